import { describe, expect, it } from "vitest";
import { describeFlushTargetContract } from "./flush-target-contract";
import { createMemoryFlushTarget, flushKey } from "./memory-flush-target";
import type { FlushChange } from "./types";

describeFlushTargetContract("createMemoryFlushTarget()", () => {
  const memory = createMemoryFlushTarget();
  return { target: memory.target, entities: async () => memory.entities(), reset: async () => memory.reset() };
});

describeFlushTargetContract("createMemoryFlushTarget({ clone: true })", () => {
  const memory = createMemoryFlushTarget({ clone: true });
  return { target: memory.target, entities: async () => memory.entities(), reset: async () => memory.reset() };
});

const up = (id: string, fields: Record<string, unknown> = {}): FlushChange => ({
  operation: "upsert", entityType: "todo", entityId: id, entity: { id, type: "todo", ...fields }, timestamp: 0,
});

describe("createMemoryFlushTarget", () => {
  it("exposes its state as a Map keyed by flushKey(type, id), and counts what it did", async () => {
    const memory = createMemoryFlushTarget();
    await memory.target([up("a"), up("b")]);
    expect([...memory.state.keys()]).toEqual([flushKey("todo", "a"), flushKey("todo", "b")]);
    expect(memory.entities("todo")).toHaveLength(2);
    expect(memory.entities("note")).toEqual([]);
    expect({ calls: memory.calls, applied: memory.applied, rejected: memory.rejected, changes: memory.changes }).toEqual({ calls: 1, applied: 1, rejected: 0, changes: 2 });
  });

  it("failNext(n, error) rejects the next n calls without applying them", async () => {
    const memory = createMemoryFlushTarget();
    const boom = new Error("boom");
    memory.failNext(2, boom);
    await expect(memory.target([up("a")])).rejects.toBe(boom);
    await expect(memory.target([up("a")])).rejects.toBe(boom);
    expect(memory.state.size).toBe(0);
    await memory.target([up("a")]);
    expect(memory.get("todo", "a")).toEqual({ id: "a", type: "todo" });
    expect(memory.rejected).toBe(2);
  });

  it("failWhen(policy) decides per call; undefined removes the policy", async () => {
    const memory = createMemoryFlushTarget();
    memory.failWhen((changes, call) => call === 1 || changes.some((c) => c.entityId === "poison"));
    await expect(memory.target([up("a")])).rejects.toThrow("injected failure (call 1)");
    await memory.target([up("a")]);
    await expect(memory.target([up("poison")])).rejects.toThrow();
    memory.failWhen(undefined);
    await memory.target([up("poison")]);
    expect(memory.state.size).toBe(2);
  });

  it("clone: true keeps a copy, so a later mutation of the entity does not reach it", async () => {
    const shared = createMemoryFlushTarget();
    const cloning = createMemoryFlushTarget({ clone: true });
    const change = up("a", { n: 1 });
    await shared.target([change]);
    await cloning.target([change]);
    (change.entity as unknown as { n: number }).n = 2;
    expect(shared.get("todo", "a")).toMatchObject({ n: 2 });
    expect(cloning.get("todo", "a")).toMatchObject({ n: 1 });
  });

  it("reset() forgets state, counters and injected failures", async () => {
    const memory = createMemoryFlushTarget();
    await memory.target([up("a")]);
    memory.failNext(1);
    memory.reset();
    await memory.target([up("b")]);
    expect([...memory.state.keys()]).toEqual([flushKey("todo", "b")]);
    expect(memory.calls).toBe(1);
  });

  it("refuses bad failure injections", () => {
    const memory = createMemoryFlushTarget();
    expect(() => memory.failNext(-1)).toThrow(/count/);
    expect(() => memory.failWhen(42 as never)).toThrow(/policy/);
  });
});
