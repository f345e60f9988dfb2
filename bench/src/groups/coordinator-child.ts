import { createOptimisticClient, createOptimisticSyncCoordinator, type ClientMutatorTransaction, type EnginePatch } from "@kalphite/coordinator";
import { createKalphiteStore, type Entity } from "@kalphite/store";
import { measure, measureAsync, sink } from "../harness/timing";
import type { Measurements } from "../harness/types";
import { rebaseId, type CoordinatorParams } from "./coordinator";

type Todo = Entity & { type: "todo"; title: string; done: boolean; priority: number };

const mutators = {
  addTodo: (tx: ClientMutatorTransaction, id: string, title: string, priority: number) => {
    void tx.upsert("todo", id, { title, done: false, priority });
  },
};

/** An engine stub: accepts every operation (ids in order) and lets the bench hand in state patches. */
function stubEngine() {
  const handlers: ((patch: EnginePatch) => void)[] = [];
  let next = 0;
  return {
    handlers,
    sent: () => next,
    executeOperation: async () => ({ id: ++next }),
    getPendingOperations: () => [],
    onStatePatch: (handler: (patch: EnginePatch) => void) => void handlers.push(handler),
    onOperationFailed: () => {},
  };
}

/** Each client registers a layer-5 collection: the previous run's client is disposed before the next one is built. */
let previous: { dispose(): void } | undefined;
const fresh = <T extends { dispose(): void }>(client: T): T => {
  previous?.dispose();
  previous = client;
  return client;
};

const todo = (i: number, title = `todo ${i}`): Todo => ({ id: `t${i}`, type: "todo", title, done: false, priority: i % 5 });

export async function runCoordinatorChild(impl: string, raw: Record<string, unknown>): Promise<Measurements> {
  const params = raw as unknown as CoordinatorParams;
  const out: Measurements = {};
  if (impl === "store") {
    out.writes = measure({
      setup: () => {
        const store = createKalphiteStore<Todo>();
        let seen = 0;
        store.subscribe(() => seen++);
        return { store, todos: Array.from({ length: params.writes }, (_, i) => todo(i)), seen: () => seen };
      },
      run: ({ store, todos, seen }) => {
        for (const t of todos) store.todo.upsert(t.id, t);
        if (seen() !== todos.length) throw new Error(`the listener heard ${seen()} of ${todos.length} writes`);
        return store;
      },
      reps: params.reps,
    });
    return out;
  }
  if (impl !== "optimistic") throw new Error(`unknown impl ${impl}`);

  out.writes = measure({
    setup: () => {
      const store = createKalphiteStore<Todo>();
      let seen = 0;
      store.subscribe(() => seen++);
      const client = fresh(createOptimisticClient({ store, engine: stubEngine(), mutators }));
      return { store, client, seen: () => seen };
    },
    run: ({ store, client, seen }) => {
      for (let i = 0; i < params.writes; i++) void client.mutate.addTodo(`t${i}`, `todo ${i}`, i % 5);
      if (seen() !== params.writes || store.todo.length !== params.writes) throw new Error(`the listener heard ${seen()} of ${params.writes} writes`);
      return client;
    },
    reps: params.reps,
  });

  // The same writes, timed until every operation's layer-5 transaction has handed it to the engine.
  out["writes-handed"] = await measureAsync({
    setup: () => {
      const store = createKalphiteStore<Todo>();
      const engine = stubEngine();
      const client = fresh(createOptimisticClient({ store, engine, mutators }));
      return { client, engine };
    },
    run: async ({ client, engine }) => {
      for (let i = 0; i < params.writes; i++) void client.mutate.addTodo(`t${i}`, `todo ${i}`, i % 5);
      await client.whenIdle();
      if (engine.sent() !== params.writes) throw new Error(`the engine got ${engine.sent()} of ${params.writes} operations`);
      return client;
    },
    reps: params.reps,
  });

  for (const n of params.rebaseSizes) {
    out[rebaseId(n)] = measure({
      setup: () => {
        const store = createKalphiteStore<Todo>();
        const engine = stubEngine();
        const client = fresh(createOptimisticClient({ store, engine, mutators }));
        for (let i = 0; i < n; i++) void client.mutate.addTodo(`t${i}`, `todo ${i}`, i % 5);
        let notified = 0;
        store.subscribe(() => notified++);
        const patch: EnginePatch = { operations: [], entities: Array.from({ length: n }, (_, i) => todo(n + i, "from the server")) };
        return { store, engine, patch, notified: () => notified };
      },
      run: ({ store, engine, patch, notified }) => {
        for (const handler of engine.handlers) handler(patch);
        // The rebase of synchronous mutators finishes synchronously, in one store batch.
        if (store.todo.length !== 2 * n || notified() !== 1) throw new Error(`rebase: ${store.todo.length} todos, ${notified()} notifications`);
        return store;
      },
      reps: params.reps,
    });
  }

  previous?.dispose();
  previous = undefined;
  out["register-confirm"] = measure({
    setup: () => createOptimisticSyncCoordinator(),
    run: (coordinator) => {
      const seqs: number[] = [];
      for (let i = 0; i < params.registrations; i++) {
        const clientSeq = coordinator.generateClientSeq();
        coordinator.registerPendingMutation({
          clientSeq,
          mutationInfo: { name: "rename", args: [i] },
          optimisticPatches: new Map([[`todo/t${i}`, [{ op: "replace", path: "/title", value: `n${i}` }]]]),
          inversePatches: new Map([[`todo/t${i}`, [{ op: "replace", path: "/title", value: `o${i}` }]]]),
        });
        seqs.push(clientSeq);
      }
      for (const seq of seqs) coordinator.confirmMutation(seq);
      sink(coordinator.getPendingPatches());
      return coordinator;
    },
    reps: params.reps,
  });
  return out;
}
