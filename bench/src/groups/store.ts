import type { GroupSpec, RunOptions, Target } from "../harness/types";
import { maxRatio, maxValue } from "../harness/targets";

/** Sizes of the store workloads (sent to each child). */
export interface StoreParams {
  /** Entities in the bulk load and in the store the other workloads start from. */
  readonly n: number;
  readonly singles: number;
  readonly updates: number;
  readonly finds: number;
  readonly deletes: number;
  /** `filter` runs per measurement (the value reported is per run). */
  readonly filters: number;
  /** Measured runs inside each child, after one warm-up run (TanStack DB: none); rounds give the samples. */
  readonly reps: number;
  /** Workload ids to run (`heap` for the three heap rows); all when absent. */
  readonly only?: readonly string[];
  /** Collection sizes at which the delete workload runs again (rows `deletes-10k`, `deletes-1M`…). */
  readonly deleteSizes?: readonly number[];
}

const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

const fmt = (n: number) => n.toLocaleString("en-US");

/** Group 1: the in-memory store against the plain-Map floor and TanStack DB. */
export function storeGroup(options: RunOptions): GroupSpec {
  const params: StoreParams = options.quick
    ? { n: 20_000, singles: 5_000, updates: 5_000, finds: 50_000, deletes: 250, filters: 10, reps: 1 }
    : { n: 100_000, singles: 20_000, updates: 20_000, finds: 200_000, deletes: 1_000, filters: 20, reps: 1 };
  const deleteSizes = options.quick ? [5_000] : [10_000, 1_000_000];
  const impls = [
    { id: "map", label: "map (baseline)" },
    { id: "map-swap", label: "map, swap-remove (no order)" },
    { id: "kalphite", label: "kalphite" },
    { id: "kalphite-freeze", label: "kalphite freeze:true" },
    { id: "kalphite-hoisted", label: "kalphite, store.getById(\"todo\", id)" },
    { id: "kalphite-transaction", label: "kalphite, store.transaction with patches" },
    { id: "tinybase", label: "tinybase" },
    { id: "legend", label: "legend-state" },
    { id: "tanstack", label: "tanstack db" },
  ];
  const targets: Target[] = [
    maxRatio("bulk-load", "kalphite", "map", 2),
    maxRatio("single-upserts", "kalphite", "map", 3),
    maxRatio("updates", "kalphite", "map", 3),
    maxRatio("find-by-id", "kalphite", "map", 1.5),
    maxRatio("deletes", "kalphite", "map", 3),
    maxRatio("filter", "kalphite", "map", 1.5),
    maxRatio("heap-total", "kalphite", "map", 1.3),
    maxValue("heap-overhead", "kalphite", 100, "B"),
    maxRatio("batch-upserts", "kalphite-transaction", "kalphite", 1.5),
    maxRatio("deletes", "kalphite", "map-swap", 10),
    ...deleteSizes.map((n) => maxRatio(`deletes-${sizeLabel(n)}`, "kalphite", "map-swap", 10)),
  ];
  return {
    id: "store",
    title: `store — in-memory collection, ${fmt(params.n)} todos`,
    impls,
    rounds: options.rounds ?? (options.quick ? 2 : 5),
    jobs: [
      { impl: "map", params: { ...params, deleteSizes } },
      { impl: "map-swap", params: { ...params, deleteSizes } },
      { impl: "kalphite", params: { ...params, deleteSizes } },
      // Freezing costs on writes only (reads and deletes run the same code); an extra row, 3 rounds.
      { impl: "kalphite-freeze", params: { ...params, only: ["bulk-load", "single-upserts", "updates"] }, maxRounds: 3 },
      // Peers: every workload at 100k, the delete rows at the smaller size (1M: minutes and GBs for some).
      { impl: "tinybase", params: { ...params, deleteSizes: deleteSizes.filter((n) => n < 1_000_000) }, maxRounds: 3 },
      { impl: "legend", params: { ...params, deleteSizes: deleteSizes.filter((n) => n < 1_000_000) }, maxRounds: 3 },
      // Seconds per workload: fewer rounds keep the whole bench within minutes.
      { impl: "tanstack", params: { ...params }, maxRounds: 3 },
    ],
    workloads: [
      { id: "bulk-load", label: `bulk load ${fmt(params.n)}`, unit: "ms", ops: params.n, baseline: "map" },
      { id: "single-upserts", label: `${fmt(params.singles)} single upserts, 1 subscriber`, unit: "ms", ops: params.singles, baseline: "map" },
      { id: "updates", label: `${fmt(params.updates)} updates of existing, 1 subscriber`, unit: "ms", ops: params.updates, baseline: "map" },
      { id: "find-by-id", label: `${fmt(params.finds)} findById`, unit: "ms", ops: params.finds, baseline: "map" },
      ...deleteSizes
        .filter((n) => n < params.n)
        .map((n) => ({ id: `deletes-${sizeLabel(n)}`, label: `${fmt(params.deletes)} deletes from ${fmt(n)}, 1 subscriber`, unit: "ms" as const, ops: params.deletes, baseline: "map" })),
      { id: "deletes", label: `${fmt(params.deletes)} deletes from ${fmt(params.n)}, 1 subscriber`, unit: "ms", ops: params.deletes, baseline: "map" },
      ...deleteSizes
        .filter((n) => n > params.n)
        .map((n) => ({ id: `deletes-${sizeLabel(n)}`, label: `${fmt(params.deletes)} deletes from ${fmt(n)}, 1 subscriber`, unit: "ms" as const, ops: params.deletes, baseline: "map" })),
      { id: "filter", label: `filter over ${fmt(params.n)} (one pass)`, unit: "ms", baseline: "map" },
      { id: "batch-upserts", label: `${fmt(params.n)} upserts in one store.batch / store.transaction, 1 subscriber`, unit: "ms", ops: params.n, baseline: "map" },
      { id: "heap-total", label: "heap per entity, entities + store", unit: "B/entity", baseline: "map" },
      { id: "heap-overhead", label: "heap per entity beyond the entities", unit: "B/entity", baseline: "map" },
    ],
    targets,
    notApplicable: [
      { workload: "batch-upserts", impl: "tanstack", reason: "no batch distinct from its bulk insert" },
      ...deleteSizes.filter((n) => n >= 1_000_000).flatMap((n) =>
        ["tinybase", "legend", "tanstack"].map((impl) => ({ workload: `deletes-${sizeLabel(n)}`, impl, reason: `not run: a ${sizeLabel(n)}-row store of a peer takes minutes and GBs here` })),
      ),
      ...deleteSizes.filter((n) => n < 1_000_000).map((n) => ({ workload: `deletes-${sizeLabel(n)}`, impl: "tanstack", reason: "not run (seconds per workload; the 100k row shows it)" })),
    ],
    notes: [
      "map (baseline) = insertion-ordered array + Map<id, slot> + listener Set; replace in place, delete = splice + re-index of the tail, one change record per write.",
      "map, swap-remove = array + Map<id, index>; a delete moves the last entity into the hole (O(1), order not kept): the floor of the delete target (kalphite ≤ 10× it, at 10k, 100k and 1M).",
      "tinybase 10.0.1 = one table, setRow / delRow / getRow (a fresh row object; tags as a JSON cell), addRowListener, bulk load in one transaction; filter rebuilds todos from getTable. legend-state 2.1.15 = observable({ todos: Record<id, Todo> }), todos[id].set / .delete / .peek, todos.onChange, bulk load = one set; filter = Object.values(peek()).filter.",
      "kalphite = KalphiteStore without a schema, freeze:false, called as store.todo.<method>; bulk load = loadEntities. freeze:true is reported without a target; so is `store.getById(\"todo\", id)`, which skips the collection's write guard (a Proxy: ~0.45 µs per property read here, which `store.todo.findById` pays once per call).",
      "tanstack db = local-only collection: insert([...]) for the bulk load, insert / update(id, draft) / delete / get, subscribeChanges; filter = collection.toArray.filter (iterates in key order).",
      "filter ratio: kalphite's store.todo.filter vs Array.prototype.filter over the baseline's plain array (same predicate, same rows).",
      "batch-upserts: kalphite = store.batch(() => n × store.todo.upsert), kalphite-transaction = the same in store.transaction, which also builds the patches and inverse patches (target ≤ 1.5× store.batch); map = n puts, then one change record per write to the listener.",
      "targets from the issue: bulk ≤ 2×, upserts/updates/deletes ≤ 3×, findById/filter ≤ 1.5×, heap ≤ 1.3× and ≤ 100 B/entity beyond the entities.",
    ],
  };
}
