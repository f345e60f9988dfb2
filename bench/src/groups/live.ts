import { maxRatio, timesLowerThan } from "../harness/targets";
import type { GroupSpec, Job, RunOptions, Target } from "../harness/types";

/** Parameters of one live-query child: one implementation at one collection size. */
export interface LiveParams {
  /** `"sorted"` (default): a filtered + sorted view, update + read of its first 20; `"filtered"`: a filtered view, toggle + read of its length. */
  readonly workload?: "sorted" | "filtered";
  readonly n: number;
  /** Update + read pairs per measured run. */
  readonly updates: number;
  readonly reps: number;
}

const fmt = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

/** Kalphite's per-update cost at the largest size is at most `limit` × its cost at the smallest. */
function sizeIndependent(small: string, large: string, limit: number, impl: string): Target {
  return {
    workload: large,
    impl,
    text: `≤ ${limit}× the ${small.replace("update-read-", "")} cost (size-independent)`,
    check: (median) => {
      const a = median(small, impl);
      const b = median(large, impl);
      return a === undefined || b === undefined ? undefined : b / a <= limit;
    },
    detail: (median) => {
      const a = median(small, impl);
      const b = median(large, impl);
      return a === undefined || b === undefined ? undefined : `${(b / a).toFixed(2)}×`;
    },
  };
}

/**
 * Group 4: a filtered + sorted live view under 5,000 updates, each followed
 * by a read of the view, at 10k / 100k / 1M rows.
 */
export function liveGroup(options: RunOptions): GroupSpec {
  const sizes = options.quick ? [10_000, 50_000] : [10_000, 100_000, 1_000_000];
  const updates = options.quick ? 1_000 : 5_000;
  const jobs: Job[] = [];
  // Every size in its own children. The 1M children (seconds to generate and load) and
  // TanStack DB (~35 s to load 100k rows and build its live query here; minutes at 1M,
  // not run) get fewer rounds.
  for (const n of sizes) {
    const big = n >= 1_000_000 ? { maxRounds: 3 } : {};
    jobs.push({ impl: "recompute", label: `recompute ${fmt(n)}`, params: { n, updates, reps: 1 }, ...big });
    jobs.push({ impl: "kalphite", label: `kalphite ${fmt(n)}`, params: { n, updates, reps: 1 }, ...big });
    // The filtered view: toggle one row + read the view's length, against a Set-backed floor.
    const filtered = { workload: "filtered", n, updates, reps: 1 };
    jobs.push({ impl: "set", label: `set ${fmt(n)} (filtered)`, params: filtered, ...big });
    jobs.push({ impl: "kalphite", label: `kalphite ${fmt(n)} (filtered)`, params: filtered, ...big });
    // Peers: TinyBase and Legend-State up to 100k (3 rounds), not at 1M (minutes of loading and GBs here).
    if (n <= 100_000) {
      for (const peer of ["tinybase", "legend"]) {
        jobs.push({ impl: peer, label: `${peer} ${fmt(n)}`, params: { n, updates, reps: 1 }, maxRounds: 3 });
        jobs.push({ impl: peer, label: `${peer} ${fmt(n)} (filtered)`, params: filtered, maxRounds: 3 });
      }
    }
    if (n <= 10_000) {
      jobs.push({ impl: "tanstack", label: `tanstack ${fmt(n)}`, params: { n, updates, reps: 1 }, maxRounds: 3 });
      jobs.push({ impl: "tanstack", label: `tanstack ${fmt(n)} (filtered)`, params: filtered, maxRounds: 3 });
    } else if (n <= 100_000) {
      jobs.push({ impl: "tanstack", label: `tanstack ${fmt(n)}`, params: { n, updates, reps: 1 }, maxRounds: 1 });
      jobs.push({ impl: "tanstack", label: `tanstack ${fmt(n)} (filtered)`, params: filtered, maxRounds: 1 });
    }
  }
  const id = (n: number) => `update-read-${fmt(n)}`;
  const toggleId = (n: number) => `toggle-read-${fmt(n)}`;
  return {
    id: "live",
    title: "live — views under updates, per update: a filtered + sorted view (update, read the first 20) and a filtered view (toggle one, read its length)",
    impls: [
      { id: "recompute", label: "recompute on read (baseline)" },
      { id: "set", label: "Set of matching ids (baseline)" },
      { id: "kalphite", label: "kalphite live view" },
      { id: "tinybase", label: "tinybase query" },
      { id: "legend", label: "legend-state computed" },
      { id: "tanstack", label: "tanstack db live query" },
    ],
    rounds: options.rounds ?? (options.quick ? 1 : 5),
    jobs,
    notApplicable: sizes
      .filter((n) => n > 100_000)
      .flatMap((n) =>
        ["tinybase", "legend", "tanstack"].flatMap((impl) => [
          { workload: id(n), impl, reason: `not run: loading ${fmt(n)} rows and building the view takes minutes and GBs here` },
          { workload: toggleId(n), impl, reason: `not run: loading ${fmt(n)} rows and building the view takes minutes and GBs here` },
        ]),
      ),
    workloads: [
      ...sizes.map((n) => ({ id: id(n), label: `sorted: ${fmt(n)} rows`, unit: "µs" as const, baseline: "recompute" })),
      ...sizes.map((n) => ({ id: toggleId(n), label: `filtered: ${fmt(n)} rows, toggle + length`, unit: "µs" as const, baseline: "set" })),
    ],
    targets: [
      ...sizes.filter((n) => n <= 100_000).map((n) => timesLowerThan(id(n), "kalphite", "tanstack", 10, "tanstack")),
      sizeIndependent(id(sizes[0]!), id(sizes[sizes.length - 1]!), 2, "kalphite"),
      ...sizes.map((n) => maxRatio(toggleId(n), "kalphite", "set", 5)),
    ],
    notes: [
      "filtered: view = open todos (`completed === false`) in collection order; each update flips `completed` of a random row (it leaves the view, or enters it at its place); read = the view's length. set (baseline) = the swap-remove store plus a Set of open ids kept on every write (length = set.size). kalphite = `store.todo.live.where(…)`; tinybase = a query `where(\"completed\", false)`, `getResultRowCount`; legend-state = `computed(() => Object.values(todos.get()).filter(…))`, `.get().length`; tanstack = a live query with `where(eq(completed, false))`, `size`. Each view has one subscriber.",
      "sorted, peers: tinybase = a query selecting priority/updatedAt where completed is false, read with getResultRowCount + getResultSortedRowIds(\"updatedAt\", desc, 0, 20); legend-state = a computed filter + sort, read its length and first 20.",
      `view = open todos (\`completed === false\`, ~70 % of rows) ordered by \`updatedAt\` descending. Each update writes a new version of a random row: half get the newest timestamp (to the top), half a random one within the existing range (a random place); one in five also flips \`completed\` (leaves or re-enters the view). Same update sequence for every implementation.`,
      "read after each update = `length` and the first 20 rows (kalphite: `view.length` + `view.slice(0, 20)`; tanstack: `size` + the first 20 of `values()`; recompute: `filter` + `sort` of the whole collection, then the same reads).",
      `kalphite = \`store.todo.live.where(…).orderBy("updatedAt", "desc")\`, writes with \`store.todo.upsert\`; tanstack = \`createLiveQueryCollection(q => q.from({ todo }).where(({ todo }) => eq(todo.completed, false)).orderBy(({ todo }) => todo.updatedAt, "desc"))\` over a local-only collection, writes with \`update(id, draft)\`. Both views have one subscriber.`,
      `${updates.toLocaleString("en-US")} updates per measured run, fewer when the warm-up pace says a run would pass 1 s (recompute at every size; the count used is in the JSON). Rounds: 5 at 10k and 100k, 3 at 1M; tanstack 3 at 10k, 1 at 100k (~35 s to load and build the live query), not run at 1M (minutes).`,
    ],
  };
}
