import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { STATE, type TypedCollection } from "../collection";
import { KalphiteStore } from "../store";
import { compareKeys } from "../sort-keys";
import { bulkTuning } from "./live-node";
import type { LiveGroups } from "./live-groups";
import type { LiveChange, LiveView } from "./live-types";

interface Item {
  readonly id: string;
  readonly type: "item";
  readonly rank: number | null;
  readonly group: string;
  readonly flag: boolean;
}
type Store = KalphiteStore<Item>;

// ---- random stores and queries --------------------------------------------

const ids = fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l");
interface ItemInput {
  id: string;
  rank: number | null;
  group: string;
  flag: boolean;
}
interface Query {
  steps: Step[];
  grouped: boolean;
}
const item: fc.Arbitrary<ItemInput> = fc.record({
  id: ids,
  rank: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(null)),
  group: fc.constantFrom("x", "y", "z"),
  flag: fc.boolean(),
});
type Op =
  | { kind: "upsert"; item: ItemInput }
  | { kind: "delete"; id: string }
  | { kind: "batch"; ops: Op[] }
  | { kind: "load"; items: ItemInput[] }
  | { kind: "deleteMany"; ids: string[] }
  | { kind: "clear" };
const single: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: item.map((i) => ({ kind: "upsert" as const, item: i })) },
  { weight: 2, arbitrary: ids.map((id) => ({ kind: "delete" as const, id })) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: single },
  { weight: 2, arbitrary: fc.array(single, { maxLength: 12 }).map((ops) => ({ kind: "batch" as const, ops })) },
  { weight: 1, arbitrary: fc.array(item, { maxLength: 12 }).map((items) => ({ kind: "load" as const, items })) },
  { weight: 1, arbitrary: fc.array(ids, { maxLength: 5 }).map((list) => ({ kind: "deleteMany" as const, ids: list })) },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
);

type Step =
  | { kind: "filter"; field: "flag" | "rankAbove"; value: number }
  | { kind: "orderBy"; key: "rank" | "group" | "byFunction"; desc: boolean }
  | { kind: "limit" | "offset"; n: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("filter" as const), field: fc.constantFrom("flag" as const, "rankAbove" as const), value: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant("orderBy" as const), key: fc.constantFrom("rank" as const, "group" as const, "byFunction" as const), desc: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("limit" as const, "offset" as const), n: fc.integer({ min: 0, max: 6 }) }),
);
const query: fc.Arbitrary<Query> = fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 4 }), grouped: fc.boolean() });

const predicateOf = (s: Extract<Step, { kind: "filter" }>) =>
  s.field === "flag" ? (e: Item) => e.flag : (e: Item) => e.rank !== null && e.rank > s.value;
const keyOf = (s: Extract<Step, { kind: "orderBy" }>) => (s.key === "byFunction" ? (e: Item) => `${e.group}${e.flag}` : s.key);

/** Builds the live pipeline; every step is a live view, the last may be a groupBy. */
function buildLive(store: Store, q: Query): { views: LiveView<Item>[]; groups: LiveGroups<string, Item> | undefined } {
  const views: LiveView<Item>[] = [];
  let current: { filter: LiveView<Item>["filter"] } & Pick<LiveView<Item>, "orderBy" | "limit" | "offset" | "groupBy"> = store.item.live as never;
  for (const s of q.steps) {
    const next =
      s.kind === "filter" ? current.filter(predicateOf(s)) :
      s.kind === "orderBy" ? current.orderBy(keyOf(s), s.desc ? "desc" : "asc") :
      s.kind === "limit" ? current.limit(s.n) : current.offset(s.n);
    views.push(next);
    current = next;
  }
  return { views, groups: q.grouped ? (current.groupBy("group") as LiveGroups<string, Item>) : undefined };
}

/** The same query, recomputed from scratch, for every step. */
function recompute(collection: readonly Item[], q: Query): { views: Item[][]; groups: Map<string, Item[]> | undefined } {
  let current = [...collection];
  const views: Item[][] = [];
  for (const s of q.steps) {
    if (s.kind === "filter") current = current.filter(predicateOf(s));
    else if (s.kind === "orderBy") {
      const key = keyOf(s);
      const select = typeof key === "function" ? key : (e: Item) => e[key];
      const sign = s.desc ? -1 : 1;
      current = [...current].sort((a, b) => sign * compareKeys(select(a), select(b)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    } else current = s.kind === "limit" ? current.slice(0, s.n) : current.slice(s.n);
    views.push(current);
  }
  if (!q.grouped) return { views, groups: undefined };
  const groups = new Map<string, Item[]>();
  for (const e of current) groups.set(e.group, [...(groups.get(e.group) ?? []), e]);
  return { views, groups };
}

function apply(store: Store, o: Op, inBatch?: (inner: Op) => void): void {
  const toItem = (i: ItemInput): Item => ({ ...i, type: "item" });
  if (o.kind === "upsert") store.item.upsert(o.item.id, toItem(o.item));
  else if (o.kind === "delete") store.item.delete(o.id);
  else if (o.kind === "batch") {
    store.batch(() =>
      o.ops.forEach((inner) => {
        apply(store, inner);
        inBatch?.(inner);
      }),
    );
  }
  else if (o.kind === "load") store.loadEntities(o.items.map(toItem));
  else if (o.kind === "deleteMany") store.item.deleteMany(o.ids);
  else store.clear();
}

const sortedEntries = (m: ReadonlyMap<string, readonly Item[]>) => [...m].map(([k, v]) => [k, [...v]] as const).sort(([a], [b]) => (a < b ? -1 : 1));

afterEach(() => {
  bulkTuning.minWork = 1 << 20;
});

describe("live views equal the same query recomputed from scratch", () => {
  it("after every change, for random changes and random queries, and every notification says what changed", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), fc.array(query, { minLength: 1, maxLength: 3 }), fc.constantFrom(1 << 20, 0, 40), (ops, queries, minWork) => {
        bulkTuning.minWork = minWork; // 0 and 40: rebuild in bulk mode whenever a batch has worked a little
        const store: Store = KalphiteStore<Item>();
        store.loadEntities([{ id: "a", type: "item", rank: 1, group: "x", flag: true }]);
        const built = queries.map((q) => ({ q, ...buildLive(store, q) }));
        const check = (where: string) => {
          for (const { q, views, groups } of built) {
            const expected = recompute(store.item, q);
            views.forEach((v, i) => expect([...v], `${where}: step ${i} of ${JSON.stringify(q)}`).toEqual(expected.views[i]));
            if (groups) expect(sortedEntries(groups), `${where}: groups of ${JSON.stringify(q)}`).toEqual(sortedEntries(expected.groups!));
          }
        };
        // A store listener reads every view: they must already be current.
        const stop = store.subscribe(() => check("in a store listener"));
        // Each view's notifications: once per change of contents, saying what changed.
        const all = built.flatMap((b) => b.views);
        const before = all.map((v) => [...v]);
        const heard: (LiveChange<Item> | undefined)[] = all.map(() => undefined);
        const counts = all.map(() => 0);
        // Views nobody listens to skip the bookkeeping: leave one in three unsubscribed.
        const listened = all.map((_, i) => i % 3 !== 2);
        all.forEach((v, i) => listened[i] && v.subscribe((view, change) => {
          expect(view).toBe(v);
          heard[i] = change;
          counts[i]!++;
        }));
        for (const o of ops) {
          counts.fill(0);
          heard.fill(undefined);
          // Inside a batch the views are current after every change, unless a batch so big it rebuilds at its end.
          apply(store, o, minWork === 1 << 20 ? (inner) => check(`inside a batch, after ${JSON.stringify(inner)}`) : undefined);
          check(`after ${JSON.stringify(o)}`);
          all.forEach((v, i) => {
            const now = [...v];
            const was = before[i]!;
            const changed = now.length !== was.length || now.some((e, k) => e !== was[k]);
            expect(counts[i], `notifications of view ${i} after ${JSON.stringify(o)}`).toBe(changed && listened[i] ? 1 : 0);
            if (changed && listened[i]) {
              const { added, removed, updated, moved } = heard[i]!;
              for (const e of moved) expect(was.some((w) => w.id === e.id) && now.includes(e)).toBe(true);
              const present = new Set(was.map((e) => e.id));
              for (const e of removed) expect(present.delete(e.id)).toBe(true);
              for (const e of added) {
                expect(present.has(e.id)).toBe(false);
                present.add(e.id);
              }
              expect([...present].sort()).toEqual(now.map((e) => e.id).sort());
              for (const e of updated) expect(now).toContain(e);
            }
            before[i] = now;
          });
        }
        stop();
        for (const { views, groups } of built) {
          groups?.dispose();
          for (const v of [...views].reverse()) v.dispose(); // subscribed: not disposed with their downstream
          for (const v of views) expect(v.disposed).toBe(true);
        }
        expect((store.item as TypedCollection<Item>)[STATE].observers.size).toBe(0);
      }),
      { numRuns: Number(process.env.LIVE_RUNS ?? 300) },
    );
  }, 120_000);
});
