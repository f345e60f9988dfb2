import { createKalphiteStore, type Entity } from "@kalphite/store";
import { describe, expect, expectTypeOf, it, vi } from "vitest";
import { CoordinatorError } from "./errors";
import { createOptimisticClient, type ClientMutatorTransaction, type EnginePatch, type OptimisticEngine } from "./optimistic-client";

/** An engine whose server side the test plays: it records operations; the test hands in patches and failures. */
class ScriptedEngine implements OptimisticEngine {
  readonly sent: { id: number; name: string; args: any[]; clientId: string }[] = [];
  #next = 0;
  #patch: ((p: EnginePatch) => void)[] = [];
  #failed: ((d: { operation: { id: number; clientId?: string }; error: string }) => void)[] = [];
  failNextSend: Error | undefined;
  executeOperation(name: string, args: any[]): Promise<void> {
    if (this.failNextSend) {
      const error = this.failNextSend;
      this.failNextSend = undefined;
      return Promise.reject(error);
    }
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

const setup = () => {
  const store = createKalphiteStore();
  const engine = new ScriptedEngine();
  const client = createOptimisticClient({ store, engine, mutators });
  return { store, engine, client };
};

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
    expect(engine.sent).toEqual([{ id: 1, name: "addTodo", args: ["t1", "milk"], clientId: "c1" }]);
    expect(client.getPendingOperations()).toMatchObject([{ name: "addTodo", args: ["t1", "milk"] }]);
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

  it("an operation the engine cannot queue is rolled back and its promise rejects with the engine's error", async () => {
    const { store, engine, client } = setup();
    engine.failNextSend = new Error("QUEUE_FULL");
    await expect(client.mutate.addTodo("t1", "a")).rejects.toThrow("QUEUE_FULL");
    await client.whenIdle();
    expect(store.getById("todo", "t1")).toBeUndefined();
  });

  it("after dispose, mutate rejects with DISPOSED and patches are ignored", async () => {
    const { store, engine, client } = setup();
    client.dispose();
    await expect(client.mutate.addTodo("t1", "a")).rejects.toMatchObject({ code: "DISPOSED" });
    engine.patch({ entities: [{ id: "x", type: "todo" } as Entity] });
    await client.whenIdle();
    expect(store.getById("todo", "x")).toBeUndefined();
  });
});
