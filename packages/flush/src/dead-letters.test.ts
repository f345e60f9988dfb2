import { describe, expect, it, vi } from "vitest";
import { NonRetriableError } from "./errors";
import { MemoryFlushEngine } from "./memory-flush-engine";
import { createMemoryFlushTarget, flushKey } from "./memory-flush-target";
import { entity, storeBatch, summary, useFakeTimersPerTest } from "./test-helpers";
import type { DeadLetterEvent, FlushChange, FlushFailureEvent } from "./types";

useFakeTimersPerTest();

/** Refuses for good every call holding a change whose entity has `poison: true`, like PostgreSQL refusing `\u0000` in jsonb. */
function poisonable(options: { name?: boolean } = {}) {
  const memory = createMemoryFlushTarget();
  memory.failWhen((changes) => {
    const bad = changes.filter((c) => (c.entity as { poison?: boolean } | undefined)?.poison === true);
    if (bad.length === 0) return undefined;
    return new NonRetriableError(`unsupported Unicode escape sequence in ${bad.map((c) => c.entityId).join(", ")}`, options.name ? { changes: bad } : undefined);
  });
  return memory;
}

function engineOver(memory: ReturnType<typeof createMemoryFlushTarget>, extra: Partial<ConstructorParameters<typeof MemoryFlushEngine>[0]> = {}) {
  const engine = new MemoryFlushEngine({ flushTarget: memory.target, random: () => 0, ...extra });
  const errors: FlushFailureEvent[] = [];
  const dead: DeadLetterEvent[] = [];
  engine.on("error", (event) => errors.push(event));
  engine.on("dead", (event) => dead.push(event));
  return { engine, errors, dead };
}

describe("a permanent failure does not wedge persistence (defect 2)", () => {
  it("isolates the poisoned store batch by bisection, delivers the others, and dead-letters it whole", async () => {
    const memory = poisonable();
    const { engine, errors, dead } = engineOver(memory);
    engine.scheduleBatch(storeBatch("b1", [["todo", "a"], ["todo", "b"]]));
    engine.scheduleBatch(storeBatch("b2", [["todo", "c"], ["todo", "bad", { poison: true }], ["todo", "d"]]));
    engine.scheduleBatch(storeBatch("b3", [["todo", "e"]]));
    engine.scheduleBatch(storeBatch("b4", [["todo", "f"]]));
    await engine.flush();
    expect(memory.entities().map((e) => e.id).sort()).toEqual(["a", "b", "e", "f"]);
    expect(memory.batchIds).toEqual(["b1", "b3", "b4"]);
    const letters = engine.getDeadLetters();
    expect(letters.map((l) => [l.entityType, l.entityId, l.batchId])).toEqual([["todo", "c", "b2"], ["todo", "bad", "b2"], ["todo", "d", "b2"]]);
    expect(letters[0]).toMatchObject({ key: flushKey("todo", "c"), batchIds: ["b2"], error: { code: "DEAD_LETTER", cause: expect.any(NonRetriableError), message: expect.stringContaining('todo "c"') }, change: { operation: "upsert", entityId: "c" } });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.deadLetters).toEqual(letters);
    expect(dead[0]!.error).toMatchObject({ code: "DEAD_LETTER", cause: expect.any(NonRetriableError) });
    expect(errors.map((e) => e.error.code)).toEqual(["DEAD_LETTER"]);
    expect(engine.getQueuedChanges()).toEqual([]);
    expect(engine.getStats()).toMatchObject({ deadLetters: 3, queued: 0 });
    expect(memory.calls).toBeLessThan(8); // bisection: a few calls, no retry storm
  });

  it("names the entity from the target's NonRetriableError.changes, and dead-letters only its batch without bisecting", async () => {
    const memory = poisonable({ name: true });
    const { engine, dead } = engineOver(memory);
    engine.scheduleBatch(storeBatch("b1", [["todo", "a"]]));
    engine.scheduleBatch(storeBatch("b2", [["todo", "ok"], ["todo", "bad", { poison: true }]]));
    engine.scheduleBatch(storeBatch("b3", [["todo", "z"]]));
    await engine.flush();
    expect(memory.calls).toBe(2); // the refused call, then the rest at once
    expect(memory.batchIds).toEqual(["b1", "b3"]);
    const letters = engine.getDeadLetters();
    expect(letters.map((l) => [l.entityId, l.offending])).toEqual([["ok", false], ["bad", true]]);
    expect(letters[1]!.reason).toMatch(/todo "bad" \(batch b2\).*unsupported Unicode/);
    expect(letters[0]!.reason).toMatch(/todo "ok".*held back.*todo "bad"/);
    expect(dead[0]!.error.message).toMatch(/todo "bad"/);
  });

  it("dead-letters the only change of a batch at once, naming it, without retries", async () => {
    const memory = poisonable();
    const { engine } = engineOver(memory, { maxRetries: 5 });
    engine.scheduleFlush("bad", entity("todo", "bad", { poison: true }));
    await engine.flush();
    expect(memory.calls).toBe(1);
    expect(engine.getDeadLetters()).toMatchObject([{ entityId: "bad", offending: true }]);
  });

  it("treats what isRetriable calls permanent like a NonRetriableError; other failures still retry", async () => {
    const memory = createMemoryFlushTarget();
    let calls = 0;
    memory.failWhen((changes) => {
      if (++calls === 1) return new Error("connection reset");
      return changes.some((c) => c.entityId === "big") ? Object.assign(new Error("value too long"), { sqlState: "22001" }) : undefined;
    });
    const isRetriable = vi.fn((error: unknown) => (error as { sqlState?: string }).sqlState !== "22001");
    const { engine, errors } = engineOver(memory, { isRetriable, baseRetryDelay: 10 });
    const retries: unknown[] = [];
    engine.on("retry", (event) => retries.push(event.error));
    engine.scheduleFlush("a", entity("todo", "a"));
    engine.scheduleFlush("big", entity("todo", "big"));
    const done = engine.flush();
    await vi.runAllTimersAsync();
    await done;
    expect(retries).toEqual([new Error("connection reset")]);
    expect(memory.get("todo", "a")).toBeDefined();
    expect(engine.getDeadLetters().map((l) => l.entityId)).toEqual(["big"]);
    expect(errors.map((e) => e.error.code)).toEqual(["DEAD_LETTER"]);
  });

  it("a later write of a dead-lettered entity supersedes its letter and is not blocked", async () => {
    const memory = poisonable();
    const { engine } = engineOver(memory);
    engine.scheduleBatch(storeBatch("b1", [["todo", "bad", { poison: true }], ["todo", "mate"]]));
    await engine.flush();
    expect(engine.getDeadLetters().map((l) => l.entityId)).toEqual(["bad", "mate"]);
    engine.scheduleBatch(storeBatch("b2", [["todo", "bad", { fixed: true }]]));
    expect(engine.getDeadLetters().map((l) => l.entityId)).toEqual(["mate"]); // the newer state replaces the letter
    await engine.flush();
    expect(memory.get("todo", "bad")).toEqual(entity("todo", "bad", { fixed: true }));
    // retrying the rest never puts an older state over the newer one
    expect(engine.retryDeadLetters()).toBe(1);
    await engine.flush();
    expect(memory.get("todo", "bad")).toEqual(entity("todo", "bad", { fixed: true }));
    expect(memory.get("todo", "mate")).toEqual(entity("todo", "mate"));
    expect(engine.getDeadLetters()).toEqual([]);
  });

  it("a later write that is still poisoned is dead-lettered again without holding up the others", async () => {
    const memory = poisonable();
    const { engine } = engineOver(memory);
    engine.scheduleFlush("bad", entity("todo", "bad", { poison: true }));
    await engine.flush();
    engine.scheduleFlush("bad", entity("todo", "bad", { poison: true, v: 2 }));
    engine.scheduleFlush("good", entity("todo", "good"));
    await engine.flush();
    expect(memory.get("todo", "good")).toBeDefined();
    expect(engine.getDeadLetters()).toMatchObject([{ entityId: "bad", change: { entity: { v: 2 } } }]);
  });

  it("retryDeadLetters re-delivers whole batches with their ids and meta once the cause is fixed; discardDeadLetters forgets", async () => {
    const memory = createMemoryFlushTarget();
    let broken = true;
    memory.failWhen((changes) => (broken && changes.some((c) => c.entityId === "x") ? new NonRetriableError("refused") : undefined));
    const { engine } = engineOver(memory);
    engine.scheduleBatch(storeBatch("b1", [["todo", "x"], ["todo", "y"]], { cursor: 1 }));
    engine.scheduleBatch(storeBatch("b2", [["note", "n"]]));
    engine.scheduleBatch(storeBatch("b3", [["todo", "q"], ["note", "x"]]));
    await engine.flush();
    expect(engine.getDeadLetters().map((l) => l.key)).toEqual([flushKey("todo", "x"), flushKey("todo", "y"), flushKey("todo", "q"), flushKey("note", "x")]);
    expect(engine.discardDeadLetters([{ entityType: "todo", entityId: "q" }, flushKey("note", "x")])).toBe(2);
    expect(() => engine.discardDeadLetters([42 as never])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(engine.getDeadLetters()).toHaveLength(2);
    broken = false;
    expect(engine.retryDeadLetters()).toBe(2);
    await engine.flush();
    expect(memory.batchIds).toEqual(["b2", "b1"]);
    expect(memory.getMeta("cursor")).toBe(1);
    expect(memory.get("todo", "x")).toBeDefined();
    expect(engine.getDeadLetters()).toEqual([]);
    expect(engine.retryDeadLetters()).toBe(0);
    expect(engine.discardDeadLetters()).toBe(0);
  });

  it("flush() and close() are not held up by dead letters", async () => {
    const memory = poisonable();
    const { engine } = engineOver(memory);
    engine.scheduleFlush("bad", entity("todo", "bad", { poison: true }));
    engine.scheduleFlush("good", entity("todo", "good"));
    await engine.close();
    expect(engine.state).toBe("destroyed");
    expect(memory.get("todo", "good")).toBeDefined();
    expect(engine.getDeadLetters().map((l) => l.entityId)).toEqual(["bad"]);
  });

  it("recognises a NonRetriableError from another copy of the package by its code", async () => {
    const memory = createMemoryFlushTarget();
    memory.failWhen(() => Object.assign(new Error("refused elsewhere"), { code: "NON_RETRIABLE" }));
    const { engine } = engineOver(memory, { maxRetries: 3 });
    engine.scheduleFlush("x", entity("todo", "x"));
    await engine.flush();
    expect(memory.calls).toBe(1);
    expect(engine.getDeadLetters().map((l) => l.entityId)).toEqual(["x"]);
  });

  it("is logged when nobody listens to error or dead", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const engine = new MemoryFlushEngine({ flushTarget: poisonable().target });
      engine.scheduleFlush("bad", entity("todo", "bad", { poison: true }));
      await engine.flush();
      expect(log).toHaveBeenCalledWith("[kalphite] MemoryFlushEngine:", expect.objectContaining({ code: "DEAD_LETTER" }));
    } finally {
      log.mockRestore();
    }
  });

  it("a temporary failure while bisecting is retried, then the bisection goes on", async () => {
    const memory = poisonable();
    let flaky = 2; // the 2nd call (the first bisection probe) fails once, temporarily
    const inner = memory.target;
    const target = (changes: FlushChange[], context: Parameters<typeof inner>[1]) => (--flaky === 0 ? Promise.reject(new Error("blip")) : inner(changes, context));
    const engine = new MemoryFlushEngine({ flushTarget: target, random: () => 0, baseRetryDelay: 5 });
    engine.on("error", () => {});
    engine.scheduleBatch(storeBatch("b1", [["todo", "a"]]));
    engine.scheduleBatch(storeBatch("b2", [["todo", "bad", { poison: true }]]));
    const done = engine.flush();
    await vi.runAllTimersAsync();
    await done;
    expect(summary(memory.entities().map((e) => ({ operation: "upsert", entityType: e.type, entityId: e.id }) as FlushChange))).toEqual(["upsert:todo/a"]);
    expect(engine.getDeadLetters().map((l) => l.entityId)).toEqual(["bad"]);
  });
});
