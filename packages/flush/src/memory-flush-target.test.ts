import { describe, expect, it } from "vitest";
import { describeFlushTargetContract } from "./flush-target-contract";
import { createMemoryFlushTarget, flushKey } from "./memory-flush-target";
import type { FlushBatchContext, FlushChange } from "./types";

describeFlushTargetContract("createMemoryFlushTarget()", () => {
  const memory = createMemoryFlushTarget();
  return { target: memory.target, entities: async () => memory.entities(), meta: async (key: string) => memory.getMeta(key), reset: async () => memory.reset() };
});

describeFlushTargetContract("createMemoryFlushTarget({ clone: true })", () => {
  const memory = createMemoryFlushTarget({ clone: true });
  return { target: memory.target, entities: async () => memory.entities(), meta: async (key: string) => memory.getMeta(key), reset: async () => memory.reset() };
});

const up = (id: string, fields: Record<string, unknown> = {}): FlushChange => ({
  operation: "upsert", entityType: "todo", entityId: id, entity: { id, type: "todo", ...fields }, timestamp: 0, origin: "local", batchId: "b1",
});
const ctx = (batchIds: string[] = ["b1"], meta: Record<string, unknown> = {}): FlushBatchContext => ({ batchIds, meta });

describe("createMemoryFlushTarget", () => {
  it("exposes its state as a Map keyed by flushKey(type, id), and counts what it did", async () => {
    const memory = createMemoryFlushTarget();
    await memory.target([up("a"), up("b")], ctx());
    expect([...memory.state.keys()]).toEqual([flushKey("todo", "a"), flushKey("todo", "b")]);
    expect(memory.entities("todo")).toHaveLength(2);
    expect(memory.entities("note")).toEqual([]);
    expect({ calls: memory.calls, applied: memory.applied, rejected: memory.rejected, changes: memory.changes }).toEqual({ calls: 1, applied: 1, rejected: 0, changes: 2 });
  });

  it("failNext(n, error) rejects the next n calls without applying them", async () => {
    const memory = createMemoryFlushTarget();
    const boom = new Error("boom");
    memory.failNext(2, boom);
    await expect(memory.target([up("a")], ctx())).rejects.toBe(boom);
    await expect(memory.target([up("a")], ctx())).rejects.toBe(boom);
    expect(memory.state.size).toBe(0);
    await memory.target([up("a")], ctx());
    expect(memory.get("todo", "a")).toEqual({ id: "a", type: "todo" });
    expect(memory.rejected).toBe(2);
  });

  it("failWhen(policy) decides per call; undefined removes the policy", async () => {
    const memory = createMemoryFlushTarget();
    memory.failWhen((changes, call) => call === 1 || changes.some((c) => c.entityId === "poison"));
    await expect(memory.target([up("a")], ctx())).rejects.toThrow("injected failure (call 1)");
    await memory.target([up("a")], ctx());
    await expect(memory.target([up("poison")], ctx())).rejects.toThrow();
    memory.failWhen(undefined);
    await memory.target([up("poison")], ctx());
    expect(memory.state.size).toBe(2);
  });

  it("clone: true keeps a copy, so a later mutation of the entity does not reach it", async () => {
    const shared = createMemoryFlushTarget();
    const cloning = createMemoryFlushTarget({ clone: true });
    const change = up("a", { n: 1 });
    await shared.target([change], ctx());
    await cloning.target([change], ctx());
    (change.entity as unknown as { n: number }).n = 2;
    expect(shared.get("todo", "a")).toMatchObject({ n: 2 });
    expect(cloning.get("todo", "a")).toMatchObject({ n: 1 });
  });

  it("reset() forgets state, counters and injected failures", async () => {
    const memory = createMemoryFlushTarget();
    await memory.target([up("a")], ctx());
    memory.failNext(1);
    memory.reset();
    await memory.target([up("b")], ctx());
    expect([...memory.state.keys()]).toEqual([flushKey("todo", "b")]);
    expect(memory.calls).toBe(1);
  });

  it("records the metadata and batch ids of applied calls, and none of a refused call", async () => {
    const memory = createMemoryFlushTarget();
    await memory.target([up("a")], ctx(["b1", "b2"], { cursor: 1, device: "x" }));
    memory.failNext();
    await expect(memory.target([up("b")], ctx(["b3"], { cursor: 2 }))).rejects.toThrow("injected failure");
    await expect(memory.target([up("c")], { batchIds: "b4", meta: {} } as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await memory.target([], ctx(["b5"], { cursor: 5 }));
    expect(memory.getMeta("cursor")).toBe(5);
    expect([...memory.meta]).toEqual([["cursor", 5], ["device", "x"]]);
    expect(memory.batchIds).toEqual(["b1", "b2", "b5"]);
    expect(memory.get("todo", "b")).toBeUndefined();
    memory.reset();
    expect([memory.meta.size, memory.batchIds.length]).toEqual([0, 0]);
  });

  it("refuses bad failure injections", () => {
    const memory = createMemoryFlushTarget();
    expect(() => memory.failNext(-1)).toThrow(/count/);
    expect(() => memory.failWhen(42 as never)).toThrow(/policy/);
  });
});
