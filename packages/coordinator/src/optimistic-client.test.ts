import { createKalphiteStore, type Entity } from "@kalphite/store";
import { getTransactions, subscribeTransactions, type TransactionState } from "@kalphite/transactions";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { CoordinatorError } from "./errors";
import { createOptimisticClient, type ClientMutatorTransaction, type EnginePatch, type OptimisticClientOptions, type OptimisticEngine } from "./optimistic-client";

/** An engine whose server side the test plays: it records operations; the test hands in patches and failures. */
class ScriptedEngine implements OptimisticEngine {
  readonly sent: { id: number; name: string; args: any[]; clientId: string }[] = [];
  #next = 0;
  #patch: ((p: EnginePatch) => void)[] = [];
  #failed: ((d: { operation: { id: number; clientId?: string }; error: string }) => void)[] = [];
  /** The next calls of executeOperation reject with these, in order. */
  failNextSends: Error[] = [];
  calls = 0;
  executeOperation(name: string, args: any[]): Promise<void> {
    this.calls++;
    const error = this.failNextSends.shift();
    if (error) return Promise.reject(error);
    this.sent.push({ id: ++this.#next, name, args, clientId: "c1" });
    return Promise.resolve();
  }
  getPendingOperations() {
    return this.sent;
  }
  onStatePatch(handler: (p: EnginePatch) => void) {
    this.#patch.push(handler);
  }
  onOperationFailed(handler: (d: { operation: { id: number; clientId?: string }; error: string }) => void) {
    this.#failed.push(handler);
  }
  patch(p: EnginePatch) {
    for (const h of this.#patch) h(p);
  }
  fail(id: number, error: string) {
    for (const h of this.#failed) h({ operation: { id, clientId: "c1" }, error });
  }
}

type Todo = Entity & { title: string; done: boolean };
type Counter = Entity & { n: number };

const mutators = {
  addTodo: (tx: ClientMutatorTransaction, id: string, title: string) => {
    void tx.upsert("todo", id, { title, done: false });
  },
  rename: async (tx: ClientMutatorTransaction, id: string, title: string) => {
    const todo = await tx.get<Todo>("todo", id);
    if (!todo) throw new Error(`no todo ${id}`);
    await tx.upsert("todo", id, { ...todo, title });
  },
  increment: async (tx: ClientMutatorTransaction, id: string, by: number) => {
    const counter = await tx.get<Counter>("counter", id);
    await tx.upsert("counter", id, { n: (counter?.n ?? 0) + by });
  },
  removeDone: async (tx: ClientMutatorTransaction) => {
    for (const todo of await tx.query<Todo>("todo", (t) => t.done)) await tx.delete("todo", todo.id);
  },
  twoSteps: async (tx: ClientMutatorTransaction, id: string) => {
    void tx.upsert("todo", id, { title: "first", done: false });
    await tx.get("todo", id);
    await tx.upsert("todo", `${id}-b`, { title: "second", done: false });
  },
  fails: () => {
    throw new Error("mutator says no");
  },
};

const setup = (extra: Partial<OptimisticClientOptions<typeof mutators>> = {}) => {
  const store = createKalphiteStore();
  const engine = new ScriptedEngine();
  const client = createOptimisticClient({ store, engine, mutators, ...extra });
  return { store, engine, client };
};

/** After every pending microtask (the layer-5 transactions run on microtasks). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

const silence = (p: Promise<unknown>) => {
  p.catch(() => undefined);
  return p;
};

describe("createOptimisticClient", () => {
  it("infers client.mutate from the mutators (checked by tsc)", () => {
    const { client } = setup();
    expectTypeOf(client.mutate.addTodo).parameters.toEqualTypeOf<[id: string, title: string]>();
    expectTypeOf(client.mutate.increment).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(client.mutate).not.toHaveProperty("missing");
    client.dispose();
  });

  it("refuses a bad store, engine or mutators", () => {
    const store = createKalphiteStore();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as CoordinatorError).code;
      }
      return "none";
    };
    expect(code(() => createOptimisticClient({ store: {} as never, engine: new ScriptedEngine(), mutators: {} }))).toBe("INVALID_ARGUMENT");
    expect(code(() => createOptimisticClient({ store, engine: {} as never, mutators: {} }))).toBe("INVALID_ARGUMENT");
    expect(code(() => createOptimisticClient({ store, engine: new ScriptedEngine(), mutators: { x: 1 as never } }))).toBe("INVALID_ARGUMENT");
  });

  it("runs a synchronous mutator on the store at once, in one batch, and sends the operation", async () => {
    const { store, engine, client } = setup();
    const listener = vi.fn();
    store.subscribe(listener);
    void silence(client.mutate.addTodo("t1", "milk"));
    expect(store.getById("todo", "t1")).toMatchObject({ id: "t1", type: "todo", title: "milk", done: false });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(client.getPendingOperations()).toMatchObject([{ name: "addTodo", args: ["t1", "milk"] }]);
    // Its layer-5 transaction hands it to the engine a few microtasks later; whenIdle waits for that.
    await client.whenIdle();
    expect(engine.sent).toEqual([{ id: 1, name: "addTodo", args: ["t1", "milk"], clientId: "c1" }]);
    // The engine's id is learnt once executeOperation has queued it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.getPendingOperations()).toEqual([{ name: "addTodo", args: ["t1", "milk"], operationId: 1 }]);
  });

  it("async mutators run in order and see the earlier pending effects", async () => {
    const { store, client } = setup();
    void silence(client.mutate.increment("c", 1));
    void silence(client.mutate.increment("c", 2));
    void silence(client.mutate.increment("c", 3));
    await client.whenIdle();
    expect(store.getById("counter", "c")).toMatchObject({ n: 6 });
  });

  it("an async mutator that writes before its first await is applied once, as one batch, with nothing left of its first attempt", async () => {
    const { store, engine, client } = setup();
    const batches: number[] = [];
    store.subscribe((changes) => batches.push(changes.length));
    void silence(client.mutate.twoSteps("t1"));
    await client.whenIdle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.getByType("todo").map((t) => t.id).sort()).toEqual(["t1", "t1-b"]);
    expect(batches).toEqual([2]);
    expect(engine.sent.map((o) => o.name)).toEqual(["twoSteps"]);
  });

  it("a mutator that throws rejects with its error; nothing is applied or sent", async () => {
    const { store, engine, client } = setup();
    await expect(client.mutate.fails()).rejects.toThrow("mutator says no");
    await expect(client.mutate.rename("missing", "x")).rejects.toThrow("no todo missing");
    expect(engine.sent).toEqual([]);
    expect(store.types()).toEqual([]);
  });

  it("refuses arguments that are not data", async () => {
    const { client } = setup();
    await expect(client.mutate.addTodo("t1", (() => 1) as never)).rejects.toMatchObject({ code: "INVALID_MUTATION" });
  });

  it("server state rebases: pending operations re-run on the server's data, settled ones resolve", async () => {
    const { store, engine, client } = setup();
    const first = client.mutate.increment("c", 1);
    const second = silence(client.mutate.increment("c", 10));
    await client.whenIdle();
    expect(store.getById("counter", "c")).toMatchObject({ n: 11 });
    const listener = vi.fn();
    store.subscribe(listener);
    // The server applied op 1 on top of someone else's n = 100.
    engine.patch({ operations: [{ id: 1, clientId: "c1" }], entities: [{ id: "c", type: "counter", n: 101 } as Entity] });
    await client.whenIdle();
    await expect(first).resolves.toBeUndefined();
    expect(store.getById("counter", "c")).toMatchObject({ n: 111 });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(client.getPendingOperations().map((o) => o.operationId)).toEqual([2]);
    engine.patch({ operations: [{ id: 2, clientId: "c1" }], entities: [{ id: "c", type: "counter", n: 111 } as Entity] });
    await expect(second).resolves.toBeUndefined();
    expect(client.getPendingOperations()).toEqual([]);
    expect(store.getById("counter", "c")).toMatchObject({ n: 111 });
  });

  it("a store listener that calls mutate during a rebase gets its operation queued after it, not lost", async () => {
    const { store, engine, client } = setup();
    void silence(client.mutate.addTodo("t1", "a"));
    let reacted = false;
    store.subscribe((changes) => {
      if (reacted || !changes.some((c) => c.origin === "remote")) return;
      reacted = true;
      void silence(client.mutate.addTodo("t2", "from a listener"));
    });
    engine.patch({ entities: [{ id: "s", type: "todo", title: "server", done: false } as Entity] });
    await client.whenIdle();
    expect(store.getByType("todo").map((t) => t.id).sort()).toEqual(["s", "t1", "t2"]);
    expect(client.getPendingOperations().map((o) => o.args[0])).toEqual(["t1", "t2"]);
  });

  it("a live view hears one change per rebase and never sees an intermediate state", async () => {
    const { store, engine, client } = setup();
    for (const id of ["a", "b", "c"]) void silence(client.mutate.increment(id, 1));
    await client.whenIdle();
    const view = store.getByType("counter").live.where((c) => (c as Counter).n >= 10);
    const seen: number[][] = [];
    view.subscribe((v) => seen.push(v.map((c) => (c as Counter).n).sort((x, y) => x - y)));
    // The server holds a = 9, b = 20, c = 0 (someone else's work); the pending +1s re-run on them.
    engine.patch({
      entities: [
        { id: "a", type: "counter", n: 9 },
        { id: "b", type: "counter", n: 20 },
        { id: "c", type: "counter", n: 0 },
      ] as Entity[],
    });
    await client.whenIdle();
    expect(seen).toEqual([[10, 21]]);
    expect([...view].map((c) => c.id).sort()).toEqual(["a", "b"]);
  });

  it("a rejected operation is rolled back with the server's reason; later ones stay", async () => {
    const { store, engine, client } = setup();
    void silence(client.mutate.addTodo("t1", "a"));
    await client.whenIdle();
    engine.patch({ operations: [{ id: 1 }], entities: [{ id: "t1", type: "todo", title: "a", done: false } as Entity] });
    const renamed = client.mutate.rename("t1", "b");
    const renamedAgain = client.mutate.rename("t1", "c");
    const added = client.mutate.addTodo("t2", "x");
    await client.whenIdle();
    expect(store.getById("todo", "t1")).toMatchObject({ title: "c" });
    const rejected = vi.fn();
    client.on("rejected", rejected);
    engine.fail(2, "not allowed");
    await expect(renamed).rejects.toMatchObject({ code: "REJECTED", message: expect.stringContaining("not allowed") });
    expect(rejected).toHaveBeenCalledWith(expect.objectContaining({ name: "rename", args: ["t1", "b"], operationId: 2 }));
    expect(store.getById("todo", "t1")).toMatchObject({ title: "c" });
    engine.fail(3, "still not");
    await expect(renamedAgain).rejects.toBeInstanceOf(CoordinatorError);
    expect(store.getById("todo", "t1")).toMatchObject({ title: "a" });
    expect(store.getById("todo", "t2")).toMatchObject({ title: "x" });
    expect(client.getPendingOperations().map((o) => o.name)).toEqual(["addTodo"]);
    void added;
  });

  it("a re-run that now throws has no effect but stays pending for the server's verdict", async () => {
    const { store, engine, client } = setup();
    void silence(client.mutate.addTodo("t1", "a"));
    const rename = silence(client.mutate.rename("t1", "b"));
    await client.whenIdle();
    // The server refused the add; the rename cannot find t1 on re-run.
    engine.fail(1, "no");
    await client.whenIdle();
    expect(store.getById("todo", "t1")).toBeUndefined();
    expect(client.getPendingOperations().map((o) => o.name)).toEqual(["rename"]);
    engine.fail(2, "no");
    await expect(rename).rejects.toMatchObject({ code: "REJECTED" });
  });

  it("deletions and full-state resets from the server (a reset replaces the types it names)", async () => {
    const { store, engine, client } = setup();
    store.loadEntities([{ id: "t1", type: "todo", title: "a", done: true } as Entity, { id: "t2", type: "todo", title: "b", done: false } as Entity, { id: "d", type: "draft" } as Entity]);
    void silence(client.mutate.removeDone());
    await client.whenIdle();
    expect(store.getByType("todo").map((t) => t.id)).toEqual(["t2"]);
    // The server deleted t2; the pending removeDone re-runs on what is left.
    engine.patch({ deleted: [{ entityType: "todo", entityId: "t2" }] });
    await client.whenIdle();
    expect(store.getByType("todo")).toHaveLength(0);
    void silence(client.mutate.addTodo("t3", "c"));
    engine.patch({ reset: true, operations: [{ id: 1 }], entities: [{ id: "t9", type: "todo", title: "z", done: true } as Entity, { id: "n", type: "note" } as Entity] });
    await client.whenIdle();
    expect(store.getByType("todo").map((t) => t.id).sort()).toEqual(["t3", "t9"]);
    expect(store.getById("note", "n")).toBeDefined();
    expect(store.getById("draft", "d")).toBeDefined();
  });

  it("each operation is a layer-5 transaction: pending → persisting → awaiting sync → completed once a server state includes it", async () => {
    const { store, engine, client } = setup();
    const states: TransactionState[] = [];
    const off = subscribeTransactions(() => {
      const tx = client.transactions.getTransactions()[0];
      if (tx && states[states.length - 1] !== tx.state) states.push(tx.state);
    });
    const done = client.mutate.addTodo("t1", "milk");
    await client.whenIdle();
    await flush();
    const [tx] = client.transactions.getTransactions();
    expect(tx).toMatchObject({ state: "persisted_awaiting_sync", current_attempt: 1 });
    expect(getTransactions()).toContain(tx);
    expect(tx!.mutations).toMatchObject([{ modified: { name: "addTodo", args: ["t1", "milk"] }, metadata: { type: "insert" } }]);
    expect(Object.values(client.transactions.data)).toMatchObject([{ name: "addTodo", args: ["t1", "milk"] }]);
    expect(engine.sent.map((o) => o.name)).toEqual(["addTodo"]);
    // A state patch without it leaves it waiting.
    engine.patch({ entities: [{ id: "x", type: "todo", title: "x", done: false } as Entity] });
    await flush();
    expect(tx!.state).toBe("persisted_awaiting_sync");
    engine.patch({ operations: [{ id: 1, clientId: "c1" }], entities: [{ id: "t1", type: "todo", title: "milk", done: false } as Entity] });
    await expect(done).resolves.toBeUndefined();
    await flush();
    expect(tx!.state).toBe("completed");
    expect(tx!.attempts).toHaveLength(1);
    expect(tx!.attempts[0]!.error).toBeUndefined();
    expect(client.transactions.data).toEqual({});
    expect(store.getById("todo", "t1")).toMatchObject({ title: "milk" });
    expect(states[0]).toBe("pending");
    expect(states.slice(-2)).toEqual(["persisted_awaiting_sync", "completed"]);
    off();
    client.dispose();
  });

  it("a refused operation's transaction fails with the server's reason; the operation is rolled back", async () => {
    const { store, engine, client } = setup();
    const added = silence(client.mutate.addTodo("t1", "a"));
    await client.whenIdle();
    await flush();
    const [tx] = client.transactions.getTransactions();
    engine.fail(1, "not allowed");
    await expect(added).rejects.toMatchObject({ code: "REJECTED", message: expect.stringContaining("not allowed") });
    await flush();
    expect(tx!.state).toBe("failed");
    expect(tx!.error?.error).toMatchObject({ code: "REJECTED", cause: "not allowed" });
    expect(tx!.attempts).toHaveLength(1); // awaitSync failed: the hand-off is not retried
    expect(store.getById("todo", "t1")).toBeUndefined();
    expect(client.transactions.data).toEqual({});
    client.dispose();
  });

  it("a hand-off the engine refuses is retried by the transaction (the operation stays applied meanwhile)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { store, engine, client } = setup({ retry: { retries: 2, baseDelayMs: 1000, jitter: 0 } });
    engine.failNextSends = [new Error("QUEUE_FULL")];
    const added = client.mutate.addTodo("t1", "a");
    await flush();
    const [tx] = client.transactions.getTransactions();
    expect(tx).toMatchObject({ state: "pending", current_attempt: 1 });
    expect(tx!.attempts[0]!.error?.message).toBe("QUEUE_FULL");
    expect(store.getById("todo", "t1")).toMatchObject({ title: "a" });
    expect(engine.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    expect(engine.sent.map((o) => [o.id, o.name])).toEqual([[1, "addTodo"]]);
    expect(tx).toMatchObject({ state: "persisted_awaiting_sync", current_attempt: 2 });
    engine.patch({ operations: [{ id: 1 }], entities: [{ id: "t1", type: "todo", title: "a", done: false } as Entity] });
    await expect(added).resolves.toBeUndefined();
    expect(client.getPendingOperations()).toEqual([]);
    client.dispose();
  });

  it("an operation the engine cannot queue within the retries is rolled back and its promise rejects with the engine's error", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { store, engine, client } = setup({ retry: { retries: 1, baseDelayMs: 1000, jitter: 0 } });
    engine.failNextSends = [new Error("QUEUE_FULL"), new Error("QUEUE_FULL")];
    const added = silence(client.mutate.addTodo("t1", "a"));
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    await expect(added).rejects.toThrow("QUEUE_FULL");
    await client.whenIdle();
    expect(store.getById("todo", "t1")).toBeUndefined();
    expect(client.transactions.getTransactions()[0]).toMatchObject({ state: "failed", current_attempt: 2 });
    expect(engine.calls).toBe(2);
    client.dispose();
  });

  it("an engine error that cannot get better (bad argument, closed engine) fails the hand-off at once", async () => {
    const { store, engine, client } = setup();
    engine.failNextSends = [Object.assign(new Error("args must be JSON"), { code: "INVALID_ARGUMENT" })];
    const added = silence(client.mutate.addTodo("t1", "a"));
    await expect(added).rejects.toThrow("args must be JSON");
    await client.whenIdle();
    expect(store.getById("todo", "t1")).toBeUndefined();
    expect(engine.calls).toBe(1);
    expect(client.transactions.getTransactions()[0]).toMatchObject({ state: "failed", current_attempt: 1 });
    client.dispose();
  });

  it("operations are handed to the engine in call order, and each client has its own collection", async () => {
    const { engine, client } = setup();
    const other = setup();
    for (let i = 0; i < 5; i++) void silence(client.mutate.addTodo(`t${i}`, `n${i}`));
    void silence(other.client.mutate.addTodo("o", "x"));
    await client.whenIdle();
    expect(engine.sent.map((o) => o.args[0])).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    expect(other.engine.sent.map((o) => o.args[0])).toEqual(["o"]);
    expect(client.transactions).not.toBe(other.client.transactions);
    expect(client.transactions.getTransactions()).toHaveLength(5);
    await flush();
    expect(client.getPendingOperations().map((o) => o.operationId)).toEqual([1, 2, 3, 4, 5]);
    client.dispose();
    other.client.dispose();
  });

  it("settled operation transactions are pruned from the history (prune.maxSettled)", async () => {
    const { engine, client } = setup({ prune: { maxSettled: 2 } });
    for (let i = 1; i <= 6; i++) void silence(client.mutate.addTodo(`t${i}`, "x"));
    await client.whenIdle();
    await flush();
    expect(client.transactions.getTransactions()).toHaveLength(6);
    engine.patch({ operations: [1, 2, 3, 4, 5, 6].map((id) => ({ id })) });
    await flush();
    const kept = client.transactions.getTransactions();
    expect(kept).toHaveLength(2);
    expect(kept.every((t) => t.state === "completed")).toBe(true);
    client.dispose();
  });

  it("after a restart, operations recovered in the engine's queue are never taken for the client's own", async () => {
    const store = createKalphiteStore();
    const engine = new ScriptedEngine();
    // The previous process queued these; the engine recovered them from its durable queue.
    await engine.executeOperation("addTodo", ["t0", "old"]);
    await engine.executeOperation("increment", ["c", 1]);
    const onError = vi.fn();
    const client = createOptimisticClient({ store, engine, mutators, onError });
    const mine = client.mutate.increment("c", 1); // same name and arguments as recovered op 2
    const other = client.mutate.addTodo("t1", "new");
    await client.whenIdle();
    await flush();
    expect(engine.sent.map((o) => o.id)).toEqual([1, 2, 3, 4]);
    expect(client.getPendingOperations().map((o) => o.operationId)).toEqual([3, 4]);
    // The server applies the recovered operations: their effects arrive as state; nothing of ours settles.
    engine.patch({ operations: [{ id: 1, clientId: "c1" }, { id: 2, clientId: "c1" }], entities: [{ id: "t0", type: "todo", title: "old", done: false } as Entity, { id: "c", type: "counter", n: 1 } as Entity] });
    await client.whenIdle();
    expect(client.getPendingOperations().map((o) => o.operationId)).toEqual([3, 4]);
    expect(store.getById("counter", "c")).toMatchObject({ n: 2 }); // the server's 1 plus our pending +1
    engine.patch({ operations: [{ id: 3, clientId: "c1" }, { id: 4, clientId: "c1" }], entities: [{ id: "c", type: "counter", n: 2 } as Entity, { id: "t1", type: "todo", title: "new", done: false } as Entity] });
    await expect(mine).resolves.toBeUndefined();
    await expect(other).resolves.toBeUndefined();
    expect(client.getPendingOperations()).toEqual([]);
    expect(onError).not.toHaveBeenCalled();
  });

  it("operations the engine shows only after the client started (a lazy queue load) are skipped, not claimed", async () => {
    const store = createKalphiteStore();
    const engine = new ScriptedEngine();
    await engine.executeOperation("addTodo", ["t0", "old"]);
    // The queue is loaded on the first call: until then the engine lists nothing.
    let loaded = false;
    const list = engine.getPendingOperations.bind(engine);
    engine.getPendingOperations = () => (loaded ? list() : []);
    const send = engine.executeOperation.bind(engine);
    engine.executeOperation = (name, args) => {
      loaded = true;
      return send(name, args);
    };
    const onError = vi.fn();
    const client = createOptimisticClient({ store, engine, mutators, onError });
    const mine = client.mutate.increment("c", 5);
    await client.whenIdle();
    await flush();
    expect(client.getPendingOperations().map((o) => o.operationId)).toEqual([2]);
    engine.patch({ operations: [{ id: 1, clientId: "c1" }], entities: [{ id: "t0", type: "todo", title: "old", done: false } as Entity] });
    await client.whenIdle();
    expect(client.getPendingOperations().map((o) => o.operationId)).toEqual([2]);
    expect(store.getById("todo", "t0")).toMatchObject({ title: "old" });
    expect(store.getById("counter", "c")).toMatchObject({ n: 5 });
    engine.patch({ operations: [{ id: 2, clientId: "c1" }], entities: [{ id: "c", type: "counter", n: 5 } as Entity] });
    await expect(mine).resolves.toBeUndefined();
    expect(onError).not.toHaveBeenCalled();
  });

  it("after dispose, mutate rejects with DISPOSED and patches are ignored", async () => {
    const { store, engine, client } = setup();
    void silence(client.mutate.addTodo("t0", "a"));
    await client.whenIdle();
    const [tx] = client.transactions.getTransactions();
    expect(getTransactions()).toContain(tx);
    client.dispose();
    await flush();
    expect(getTransactions()).not.toContain(tx);
    await expect(client.mutate.addTodo("t1", "a")).rejects.toMatchObject({ code: "DISPOSED" });
    engine.patch({ entities: [{ id: "x", type: "todo" } as Entity] });
    await client.whenIdle();
    expect(store.getById("todo", "x")).toBeUndefined();
  });
});
