import { afterEach, describe, expect, it } from "vitest";
import { createCollection, getTransactions, subscribeTransactions } from "./registry";
import { createTestCollection } from "./test-collection";
import { NonRetriableError } from "./errors";
import { getLockedObjects } from "./locks";
import { flushMicrotasks, manualMutationFn, staticSync, uniqueId } from "./test-helpers";
import type { Collection } from "./collection";
import type { Transaction, TransactionState } from "./types";

interface Todo {
  id: string;
  title: string;
  done?: boolean;
  [key: string]: unknown;
}

const live: Collection<any>[] = [];
const track = <T extends Collection<any>>(c: T): T => {
  live.push(c);
  return c;
};
afterEach(async () => {
  for (const c of live.splice(0)) await c.dispose();
});

/** Records every state each transaction goes through (by polling after each change). */
function stateLog(collection: Collection<any>): Map<string, TransactionState[]> {
  const log = new Map<string, TransactionState[]>();
  const record = (txs: readonly Transaction[]) => {
    for (const tx of txs) {
      const states = log.get(tx.id) ?? [];
      if (states[states.length - 1] !== tx.state) states.push(tx.state);
      log.set(tx.id, states);
    }
  };
  collection.subscribeTransactions(record);
  record(collection.getTransactions());
  return log;
}

describe("createCollection", () => {
  it("returns the same instance for the same sync.id, a new one after dispose", async () => {
    const id = uniqueId();
    const a = createCollection({ sync: staticSync(id), persistence: false });
    const b = createCollection({ sync: staticSync(id), persistence: false });
    expect(b).toBe(a);
    await a.dispose();
    const c = track(createCollection({ sync: staticSync(id), persistence: false }));
    expect(c).not.toBe(a);
  });

  it("loads the data of sync.setup and applies sync updates as patches", async () => {
    const sync = staticSync<Todo>(uniqueId(), [{ id: "a", title: "A" }, { id: "b", title: "B" }]);
    const todos = track(createCollection({ sync, persistence: false }));
    await todos.ready;
    expect(todos.data).toEqual({ a: { id: "a", title: "A" }, b: { id: "b", title: "B" } });
    sync.emit({ a: { id: "a", title: "A2" }, b: null });
    expect(todos.data).toEqual({ a: { id: "a", title: "A2" } });
    sync.emit([{ id: "c", title: "C" }]);
    expect(Object.keys(todos.data)).toEqual(["a", "c"]);
  });

  it("refuses bad configuration with INVALID_CONFIG", () => {
    expect(() => createCollection({ sync: { id: "", setup: async () => ({ data: [] }) } })).toThrow(/sync.id/);
    expect(() => createCollection({ sync: { id: uniqueId(), setup: 3 as never } })).toThrow(/setup/);
    expect(() => createCollection({ sync: staticSync(uniqueId()), strategy: { type: "random" as never } })).toThrow(/strategy/);
    expect(() => createCollection({ sync: staticSync(uniqueId()), retry: { retries: -1 } })).toThrow(/retries/);
    expect(() => createCollection({ sync: staticSync(uniqueId()), mutationFn: {} as never })).toThrow(/persist/);
    expect(() => createCollection({ sync: staticSync(uniqueId()), persistence: true as never })).toThrow(/TransactionStorage/);
  });

  it("rejects ready and logs when setup fails, and keeps working locally", async () => {
    const errors: unknown[] = [];
    const todos = track(
      createCollection<Todo>({
        sync: { id: uniqueId(), setup: () => Promise.reject(new Error("backend down")) },
        persistence: false,
        logger: { warn: () => {}, error: (...args) => errors.push(args) },
      }),
    );
    await expect(todos.ready).rejects.toThrow("backend down");
    const tx = todos.insert({ id: "x", title: "X" });
    expect((await todos.whenSettled(tx)).state).toBe("completed");
    expect(todos.data["x"]).toEqual({ id: "x", title: "X" });
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe("optimistic mutations", () => {
  it("applies insert, update (object and recipe) and delete at once and returns the transaction", async () => {
    const { collection, syncControl } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }] }));
    expect(collection.data).toEqual({ a: { id: "a", title: "A" } });
    const t1 = collection.insert({ id: "b", title: "B" });
    expect(t1.state).toBe("pending");
    expect(collection.data["b"]).toEqual({ id: "b", title: "B" });
    const t2 = collection.update("a", { done: true });
    expect(collection.data["a"]).toEqual({ id: "a", title: "A", done: true });
    const t3 = collection.update("b", (draft) => {
      draft.title = "B2";
    });
    expect(collection.data["b"]?.title).toBe("B2");
    expect(t3.mutations[0]?.changes).toEqual({ title: "B2" });
    expect(t3.mutations[0]?.original).toEqual({ id: "b", title: "B" });
    expect(t3.mutations[0]?.modified).toEqual({ id: "b", title: "B2" });
    const t4 = collection.delete("a");
    expect(collection.data["a"]).toBeUndefined();
    for (const tx of [t1, t2, t3, t4]) expect((await collection.whenSettled(tx)).state).toBe("completed");
    expect(collection.data).toEqual({ b: { id: "b", title: "B2" } });
    expect(syncControl.persisted.map((p) => p.changes)).toEqual([
      { b: { id: "b", title: "B" } },
      { a: { done: true } },
      { b: { title: "B2" } },
      { a: null },
    ]);
  });

  it("gives every mutation exactly the specification's fields", () => {
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }] }));
    const tx = collection.update("a", { title: "Z" });
    expect(Object.keys(tx).sort()).toEqual(["attempts", "created_at", "current_attempt", "id", "mutations", "state", "updated_at"]);
    const m = tx.mutations[0]!;
    expect(Object.keys(m).sort()).toEqual(["changes", "created_at", "metadata", "modified", "mutationId", "original", "state", "updated_at"]);
    expect(m.metadata).toEqual({ type: "update", collection: collection.id });
    expect(m.state).toBe("created");
  });

  it("removes a field for an undefined change or a recipe delete", async () => {
    const { collection, syncControl } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A", done: true, note: "n" }] }));
    collection.update("a", { done: undefined });
    expect(collection.data["a"]).toEqual({ id: "a", title: "A", note: "n" });
    const tx = collection.update("a", (draft) => {
      delete draft["note"];
    });
    expect(collection.data["a"]).toEqual({ id: "a", title: "A" });
    await collection.whenSettled(tx);
    expect(collection.data["a"]).toEqual({ id: "a", title: "A" });
    expect(syncControl.persisted[1]?.transaction.mutations[0]?.metadata).toMatchObject({ removed: ["note"] });
  });

  it("refuses bad input with a clear error and applies nothing", () => {
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }] }));
    const before = collection.data;
    expect(() => collection.insert({ id: "a", title: "dup" })).toThrow(expect.objectContaining({ code: "ALREADY_EXISTS" }));
    expect(() => collection.insert({ title: "no id" } as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => collection.insert({ id: "d", title: "d", when: new Date() } as never)).toThrow(/when: a Date object/);
    expect(() => collection.insert({ id: "n", title: "n", x: NaN } as never)).toThrow(/not a finite number/);
    expect(() => collection.update("zz", { title: "?" })).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
    expect(() => collection.update("a", { id: "b" } as never)).toThrow(/cannot change the id/);
    expect(() => collection.update("a", null as never)).toThrow(/changes must be/);
    expect(() => collection.update("a", () => ({ id: "other", title: "x" }))).toThrow(/keep the item/);
    expect(() => collection.delete("zz")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
    expect(collection.data).toBe(before);
    expect(collection.getTransactions()).toEqual([]);
  });
});

describe("withMutation", () => {
  it("makes every mutation inside one atomic transaction", async () => {
    const { mutationFn, calls } = manualMutationFn<Todo>();
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }], mutationFn }));
    const tx = collection.withMutation(() => {
      collection.insert({ id: "b", title: "B" });
      collection.update("b", { done: true });
      collection.delete("a");
    });
    expect(tx.mutations.map((m) => (m.metadata as { type: string }).type)).toEqual(["insert", "update", "delete"]);
    expect(collection.data).toEqual({ b: { id: "b", title: "B", done: true } });
    await flushMicrotasks();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.changes).toEqual({ b: { id: "b", title: "B", done: true }, a: null });
    calls[0]!.reject(new NonRetriableError("refused"));
    await collection.whenSettled(tx);
    // All rolled back together.
    expect(collection.data).toEqual({ a: { id: "a", title: "A" } });
  });

  it("applies nothing when the function throws, and refuses async functions", () => {
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }] }));
    expect(() =>
      collection.withMutation(() => {
        collection.insert({ id: "b", title: "B" });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(() => collection.withMutation((async () => collection.insert({ id: "c", title: "C" })) as never)).toThrow(/synchronous/);
    expect(collection.data).toEqual({ a: { id: "a", title: "A" } });
    expect(collection.getTransactions()).toEqual([]);
  });

  it("joins nested calls and completes an empty transaction at once", async () => {
    const { collection } = track1(createTestCollection<Todo>());
    const outer = collection.withMutation(() => {
      collection.insert({ id: "x", title: "X" });
      const inner = collection.withMutation(() => collection.insert({ id: "y", title: "Y" }));
      expect(inner.mutations).toHaveLength(2);
    });
    expect(outer.mutations).toHaveLength(2);
    const empty = collection.withMutation(() => {});
    expect(empty.state).toBe("completed");
    expect(empty.mutations).toEqual([]);
  });
});

describe("state transitions", () => {
  it("pending → persisting → persisted_awaiting_sync → completed, with awaitSync", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { mutationFn, calls } = manualMutationFn<Todo>({ awaitSync: () => gate });
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }], mutationFn }));
    const log = stateLog(collection);
    const tx = collection.update("a", { title: "B" });
    expect(tx.state).toBe("pending");
    await flushMicrotasks();
    expect(tx.state).toBe("persisting");
    expect(tx.current_attempt).toBe(1);
    expect(tx.mutations[0]!.state).toBe("persisting");
    calls[0]!.resolve();
    await flushMicrotasks();
    expect(tx.state).toBe("persisted_awaiting_sync");
    expect(collection.data["a"]?.title).toBe("B");
    release();
    await collection.whenSettled(tx);
    expect(tx.state).toBe("completed");
    expect(tx.mutations[0]!.state).toBe("synced");
    expect(tx.attempts).toHaveLength(1);
    expect(tx.attempts[0]!.completed_at).toBeInstanceOf(Date);
    await flushMicrotasks();
    expect(log.get(tx.id)).toEqual(["pending", "persisting", "persisted_awaiting_sync", "completed"]);
  });

  it("with awaitSync the optimistic value holds until sync shows it, then the synced value shows", async () => {
    const { collection, syncControl } = track1(
      createTestCollection<Todo>({
        initialData: [{ id: "a", title: "A" }],
        mutationFn: {
          persist: async () => {},
          awaitSync: ({ sync, transaction }) => sync.waitFor((data) => data["a"]?.["tx"] === transaction.id),
        },
      }),
    );
    await collection.ready;
    const tx = collection.update("a", { title: "B" });
    await flushMicrotasks();
    expect(tx.state).toBe("persisted_awaiting_sync");
    syncControl.emitUpdate([{ id: "a", title: "B (server)", tx: tx.id }]);
    await collection.whenSettled(tx);
    expect(tx.state).toBe("completed");
    expect(collection.data["a"]).toEqual({ id: "a", title: "B (server)", tx: tx.id });
  });

  it("persisted_awaiting_sync → failed when awaitSync rejects (no retry of persist)", async () => {
    const { mutationFn, calls } = manualMutationFn<Todo>({ awaitSync: () => Promise.reject(new Error("sync timeout")) });
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }], mutationFn }));
    const tx = collection.update("a", { title: "B" });
    await flushMicrotasks();
    calls[0]!.resolve();
    await collection.whenSettled(tx);
    expect(tx.state).toBe("failed");
    expect(tx.error?.message).toMatch(/awaitSync failed: sync timeout/);
    expect(calls).toHaveLength(1);
    expect(collection.data["a"]?.title).toBe("A");
  });

  it("persisting → failed at once on NonRetriableError", async () => {
    const { collection, syncControl } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }] }));
    const failure = new NonRetriableError("forbidden");
    syncControl.failNextPersist(failure);
    const tx = collection.update("a", { title: "B" });
    await collection.whenSettled(tx);
    expect(tx.state).toBe("failed");
    expect(tx.attempts).toHaveLength(1);
    expect(tx.error).toEqual({ message: "forbidden", error: failure });
    expect(tx.error?.transaction_id).toBeUndefined();
    expect(collection.data["a"]?.title).toBe("A");
  });

  it("treats an error named NonRetriableError (from elsewhere) the same way, and wraps thrown non-errors", async () => {
    const other = new Error("nope");
    other.name = "NonRetriableError";
    const { collection, syncControl } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }], retry: { retries: 0 } }));
    syncControl.failNextPersist(other);
    const t1 = collection.update("a", { title: "B" });
    await collection.whenSettled(t1);
    expect(t1.attempts).toHaveLength(1);
    const t2 = track1(
      createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }], retry: { retries: 0 }, mutationFn: { persist: () => Promise.reject("a string") } }),
    ).collection;
    const tx = t2.update("a", { title: "C" });
    await t2.whenSettled(tx);
    expect(tx.error?.error).toBeInstanceOf(Error);
    expect(tx.error?.error.message).toBe("a string");
  });
});

describe("ordered strategy", () => {
  it("queues a transaction behind the one holding its object, in strict order", async () => {
    const { mutationFn, calls } = manualMutationFn<Todo>();
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }, { id: "b", title: "B" }], mutationFn }));
    const t1 = collection.update("a", { title: "A1" });
    await flushMicrotasks();
    expect(t1.state).toBe("persisting");
    expect(getLockedObjects(collection.getTransactions() as Transaction[])).toEqual(new Set(["a"]));
    const t2 = collection.update("a", { title: "A2" });
    const t3 = collection.update("b", { title: "B1" });
    expect(t2.state).toBe("queued");
    expect(t2.queued_behind).toBe(t1.id);
    expect(t3.state).toBe("pending"); // other object: not queued
    expect(collection.data["a"]?.title).toBe("A2");
    await flushMicrotasks();
    expect(calls.map((c) => c.transaction.id)).toEqual([t1.id, t3.id]);
    calls[0]!.resolve();
    await collection.whenSettled(t1);
    await flushMicrotasks();
    expect(t2.state).toBe("persisting");
    expect(t2.queued_behind).toBeUndefined();
    expect(calls[2]!.transaction.id).toBe(t2.id);
  });

  it("rolls back the chain behind a failed middle transaction, naming it in error.transaction_id", async () => {
    const { mutationFn, calls } = manualMutationFn<Todo>();
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A" }], mutationFn }));
    const log = stateLog(collection);
    const first = collection.update("a", { title: "1" });
    const middle = collection.update("a", { title: "2" });
    const third = collection.update("a", { title: "3" });
    const fourth = collection.update("a", { done: true });
    expect([first, middle, third, fourth].map((t) => t.state)).toEqual(["pending", "queued", "queued", "queued"]);
    expect(third.queued_behind).toBe(middle.id);
    expect(collection.data["a"]).toEqual({ id: "a", title: "3", done: true });
    await flushMicrotasks();
    calls[0]!.resolve();
    await collection.whenSettled(first);
    await flushMicrotasks();
    expect(middle.state).toBe("persisting");
    calls[1]!.reject(new NonRetriableError("middle refused"));
    await collection.whenSettled(fourth);
    expect(first.state).toBe("completed");
    expect(middle.state).toBe("failed");
    expect(middle.error?.transaction_id).toBeUndefined();
    for (const t of [third, fourth]) {
      expect(t.state).toBe("failed");
      expect(t.error?.transaction_id).toBe(middle.id);
      expect(t.error?.error).toMatchObject({ code: "DEPENDENCY_FAILED" });
    }
    expect(calls).toHaveLength(2); // the rolled-back ones never persisted
    expect(collection.data["a"]).toEqual({ id: "a", title: "1" });
    await flushMicrotasks();
    expect(log.get(third.id)).toEqual(["queued", "failed"]);
  });

  it("holds sync updates to locked objects until the holder completes", async () => {
    const { mutationFn, calls } = manualMutationFn<Todo>({ awaitSync: ({ sync }) => sync.waitFor((d) => d["a"]?.title === "mine") });
    const { collection, syncControl } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A", n: 0 }, { id: "b", title: "B" }], mutationFn }));
    await collection.ready;
    const tx = collection.update("a", { title: "mine" });
    await flushMicrotasks();
    syncControl.emitUpdate([{ id: "a", title: "A", n: 1 }, { id: "b", title: "B2" }]);
    expect(collection.data["b"]?.title).toBe("B2"); // not locked: at once
    expect(collection.data["a"]).toEqual({ id: "a", title: "mine", n: 0 }); // locked: held
    calls[0]!.resolve();
    await flushMicrotasks();
    expect(tx.state).toBe("persisted_awaiting_sync");
    syncControl.emitUpdate([{ id: "a", title: "mine", n: 2 }]);
    await collection.whenSettled(tx);
    expect(collection.data["a"]).toEqual({ id: "a", title: "mine", n: 2 });
  });
});

describe("parallel strategy", () => {
  it("persists every transaction at once, without queueing or rollback of others", async () => {
    const { mutationFn, calls } = manualMutationFn<Todo>();
    const { collection } = track1(createTestCollection<Todo>({ initialData: [{ id: "a", title: "A", n: 0 }], mutationFn, strategy: { type: "parallel" } }));
    const t1 = collection.update("a", { title: "A1" });
    const t2 = collection.update("a", { n: 1 });
    expect(t2.state).toBe("pending");
    await flushMicrotasks();
    expect(calls.map((c) => c.transaction.id)).toEqual([t1.id, t2.id]);
    calls[0]!.reject(new NonRetriableError("no"));
    calls[1]!.resolve();
    await collection.whenSettled(t1);
    await collection.whenSettled(t2);
    expect(t1.state).toBe("failed");
    expect(t2.state).toBe("completed");
    expect(collection.data["a"]).toEqual({ id: "a", title: "A", n: 1 });
  });

  it("merges incoming synced data with pending mutations and re-applies the optimistic updates on top", async () => {
    const { mutationFn, calls } = manualMutationFn<Todo>();
    const merges: Array<[unknown, number]> = [];
    const { collection, syncControl } = track1(
      createTestCollection<Todo>({
        initialData: [{ id: "a", title: "A", tags: ["x"] }],
        mutationFn,
        strategy: {
          type: "parallel",
          merge: (synced, pending) => {
            merges.push([synced, pending.length]);
            if (synced === undefined) return undefined;
            // Keep the union of tags the server and the pending mutations know.
            const tags = new Set<string>((synced["tags"] as string[]) ?? []);
            for (const m of pending) for (const t of (m.changes["tags"] as string[] | undefined) ?? []) tags.add(t);
            return { ...synced, tags: [...tags] };
          },
        },
      }),
    );
    await collection.ready;
    const tx = collection.update("a", { title: "mine", tags: ["x", "y"] });
    await flushMicrotasks();
    expect(tx.state).toBe("persisting");
    syncControl.emitUpdate([{ id: "a", title: "server", tags: ["x", "z"], n: 5 }]);
    // Not held (parallel): merged, then the optimistic update on top.
    expect(collection.data["a"]).toEqual({ id: "a", title: "mine", tags: ["x", "y"], n: 5 });
    expect(merges.at(-1)).toEqual([{ id: "a", title: "server", tags: ["x", "z"], n: 5 }, 1]);
    calls[0]!.reject(new NonRetriableError("no"));
    await collection.whenSettled(tx);
    expect(collection.data["a"]).toEqual({ id: "a", title: "server", tags: ["x", "z"], n: 5 });
  });
});

describe("monitoring", () => {
  it("exposes transactions per collection and globally, with coalesced notifications", async () => {
    const { collection } = track1(createTestCollection<Todo>());
    const seen: number[] = [];
    const globalSeen: number[] = [];
    const off = collection.subscribeTransactions((txs) => seen.push(txs.length));
    const offGlobal = subscribeTransactions((txs) => globalSeen.push(txs.filter((t) => collection.getTransaction(t.id)).length));
    const t1 = collection.insert({ id: "a", title: "A" });
    const t2 = collection.insert({ id: "b", title: "B" });
    expect(collection.getTransactions()).toEqual([t1, t2]);
    expect(getTransactions()).toContain(t1);
    await flushMicrotasks(1);
    expect(seen).toEqual([2]);
    await collection.whenSettled(t2);
    await flushMicrotasks();
    expect(globalSeen.at(-1)).toBe(2);
    off();
    offGlobal();
    expect(collection.getTransaction(t1.id)).toBe(t1);
  });

  it("keeps the full history by default and prunes on request", async () => {
    const { collection } = track1(createTestCollection<Todo>());
    for (let i = 0; i < 5; i++) await collection.whenSettled(collection.insert({ id: `t${i}`, title: String(i) }));
    expect(collection.getTransactions()).toHaveLength(5);
    expect(collection.pruneHistory({ maxSettled: 2 })).toBe(3);
    expect(collection.getTransactions().map((t) => t.mutations[0]!.modified["id"])).toEqual(["t3", "t4"]);
    const pruned = track1(createTestCollection<Todo>({ prune: { maxSettled: 1 } })).collection;
    for (let i = 0; i < 3; i++) await pruned.whenSettled(pruned.insert({ id: `p${i}`, title: "" }));
    expect(pruned.getTransactions()).toHaveLength(1);
  });

  it("notifies data subscribers on every change and isolates a throwing listener", async () => {
    const errors: unknown[] = [];
    const { collection } = track1(createTestCollection<Todo>({ logger: { warn: () => {}, error: (m) => errors.push(m) } }));
    const seen: string[][] = [];
    collection.subscribe(() => {
      throw new Error("bad listener");
    });
    collection.subscribe((data) => seen.push(Object.keys(data)));
    collection.insert({ id: "a", title: "A" });
    expect(seen.at(-1)).toEqual(["a"]);
    expect(errors.length).toBeGreaterThan(0);
  });
});

function track1<T extends { collection: Collection<any> }>(result: T): T {
  track(result.collection);
  return result;
}
