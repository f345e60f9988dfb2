import type { Entity } from "@kalphite/store";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonEqual } from "./json";
import type { ConflictStrategy } from "./types";
import { entityKey, joinVersions, localVersion, type EntityVersion } from "./version";

type Action =
  | { kind: "write"; replica: number; entity: number; op: "upsert" | "delete"; fields: Record<string, unknown>; updatedAt: number }
  | { kind: "deliver"; pick: number; keep: boolean };

const REPLICAS = ["r0", "r1", "r2", "r3"];
const ENTITIES = ["e0", "e1", "e2"];

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("write" as const),
    replica: fc.nat({ max: REPLICAS.length - 1 }),
    entity: fc.nat({ max: ENTITIES.length - 1 }),
    op: fc.constantFrom("upsert" as const, "upsert" as const, "upsert" as const, "delete" as const),
    fields: fc.dictionary(fc.constantFrom("title", "done", "note", "tags"), fc.oneof(fc.string({ unit: "binary", maxLength: 4 }), fc.boolean(), fc.integer()), { maxKeys: 3 }),
    // updatedAt may go backwards (skewed device clocks): the stamp rule must still converge.
    updatedAt: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({ kind: fc.constant("deliver" as const), pick: fc.nat(), keep: fc.boolean() }),
);

/** Replays actions: local writes, then random delivery (in any order, duplicated, delayed); finally delivers everything. */
function simulate(actions: readonly Action[], strategy: ConflictStrategy, finalOrder: readonly number[]) {
  const states = REPLICAS.map(() => new Map<string, EntityVersion>());
  let inFlight: { to: number; version: EntityVersion }[] = [];
  const receive = (to: number, version: EntityVersion) => {
    const key = entityKey(version.entityType, version.entityId);
    const local = states[to]!.get(key);
    states[to]!.set(key, local === undefined ? version : joinVersions(local, version, strategy).version);
  };
  let clock = 0;
  for (const a of actions) {
    if (a.kind === "write") {
      const id = ENTITIES[a.entity]!;
      const key = entityKey("todo", id);
      const state = states[a.replica]!;
      const previous = state.get(key);
      const current = previous !== undefined && !previous.deleted ? previous.entity : undefined;
      const entity = { ...(current ?? {}), ...a.fields, id, type: "todo", updatedAt: a.updatedAt } as Entity;
      const version = localVersion(previous, { operation: a.op, entityType: "todo", entityId: id, entity: a.op === "upsert" ? entity : undefined }, REPLICAS[a.replica]!, ++clock, strategy);
      state.set(key, version);
      REPLICAS.forEach((_, to) => {
        if (to !== a.replica) inFlight.push({ to, version });
      });
    } else if (inFlight.length > 0) {
      const index = a.pick % inFlight.length;
      const message = inFlight[index]!;
      receive(message.to, message.version);
      if (!a.keep) inFlight.splice(index, 1); // kept: it will be delivered again (duplication)
    }
  }
  // Everything still in flight arrives, in a random order.
  const rest = inFlight;
  inFlight = [];
  const order = rest.map((_, i) => i).sort((x, y) => (finalOrder[x % Math.max(finalOrder.length, 1)] ?? x) - (finalOrder[y % Math.max(finalOrder.length, 1)] ?? y) || x - y);
  for (const i of order) receive(rest[i]!.to, rest[i]!.version);
  return states;
}

/** What an application sees of a version, plus its clock. */
const visible = (v: EntityVersion | undefined) => (v === undefined ? undefined : { deleted: v.deleted, entity: v.deleted ? undefined : v.entity, vector: v.vector });

describe("convergence of N replicas under random delivery order, duplication and delay", () => {
  for (const strategy of ["last-write-wins", "operational-transform", "manual"] as const) {
    it(`${strategy}: every replica ends with the same version of every entity`, () => {
      fc.assert(
        fc.property(fc.array(action, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 50 }), (actions, finalOrder) => {
          const states = simulate(actions, strategy, finalOrder);
          for (const id of ENTITIES) {
            const key = entityKey("todo", id);
            const first = visible(states[0]!.get(key));
            for (const state of states.slice(1)) expect(jsonEqual(visible(state.get(key)), first)).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it("join is commutative, associative and idempotent on versions (both automatic strategies)", () => {
    const versions = fc.array(action, { maxLength: 30 }).map((actions) => {
      // The versions one entity passes through on four replicas that never hear each other mid-way.
      const states = simulate(actions.map((a) => (a.kind === "write" ? { ...a, entity: 0 } : a)).filter((a) => a.kind === "write"), "operational-transform", []);
      return states.map((s) => s.get(entityKey("todo", "e0"))).filter((v): v is EntityVersion => v !== undefined);
    });
    fc.assert(
      fc.property(versions, fc.constantFrom("last-write-wins" as const, "operational-transform" as const), (vs, strategy) => {
        const join = (x: EntityVersion, y: EntityVersion) => joinVersions(x, y, strategy).version;
        for (const a of vs) {
          expect(visible(join(a, a))).toEqual(visible(a));
          for (const b of vs) {
            expect(jsonEqual(visible(join(a, b)), visible(join(b, a)))).toBe(true);
            for (const c of vs) expect(jsonEqual(visible(join(join(a, b), c)), visible(join(a, join(b, c))))).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("what each strategy does with two concurrent edits", () => {
  const base = localVersion(undefined, { operation: "upsert", entityType: "todo", entityId: "t", entity: { id: "t", type: "todo", title: "base", done: false, n: 1, updatedAt: 10 } }, "a", 10, "operational-transform");
  const edit = (replica: string, fields: Record<string, unknown>, strategy: ConflictStrategy) =>
    localVersion(base, { operation: "upsert", entityType: "todo", entityId: "t", entity: { ...base.entity!, ...fields } as Entity }, replica, 0, strategy);

  it("last-write-wins: the larger updatedAt wins whole; a tie goes to the larger replica id", () => {
    const x = edit("x", { title: "x", updatedAt: 30 }, "last-write-wins");
    const y = edit("y", { done: true, updatedAt: 20 }, "last-write-wins");
    expect(joinVersions(x, y, "last-write-wins").version.entity).toMatchObject({ title: "x", done: false });
    expect(joinVersions(y, x, "last-write-wins").version.entity).toMatchObject({ title: "x", done: false });
    const tieX = edit("x", { title: "x", updatedAt: 20 }, "last-write-wins");
    expect(joinVersions(tieX, y, "last-write-wins").version.entity).toMatchObject({ title: "base", done: true });
    expect(joinVersions(y, tieX, "last-write-wins")).toMatchObject({ concurrent: true });
  });

  it("operational-transform: a field changed on one side keeps that change; one changed on both is last-write-wins", () => {
    const x = edit("x", { title: "x", n: 2, updatedAt: 30 }, "operational-transform");
    const y = edit("y", { done: true, n: 3, updatedAt: 20 }, "operational-transform");
    const merged = joinVersions(x, y, "operational-transform").version;
    expect(merged.entity).toEqual({ id: "t", type: "todo", title: "x", done: true, n: 2, updatedAt: 30 });
    expect(joinVersions(y, x, "operational-transform").version.entity).toEqual(merged.entity);
  });

  it("a version that saw the other wins whole, even with an older updatedAt (the stamp never goes back)", () => {
    const later = localVersion(base, { operation: "upsert", entityType: "todo", entityId: "t", entity: { ...base.entity!, title: "later", updatedAt: 1 } as Entity }, "b", 0, "last-write-wins");
    expect(later.stamp.t).toBe(11);
    expect(joinVersions(base, later, "last-write-wins")).toEqual({ version: later, concurrent: false });
  });
});
