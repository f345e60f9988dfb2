import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPGliteSyncStorage } from "../storage/pglite-storage";
import type { SyncStorage } from "../storage/types";
import { op, post } from "../test-support/http";
import { createOperationSyncServer, type OperationSyncServer, type OperationSyncServerOptions } from "./operation-sync-server";
import type { Mutator } from "./mutator-transaction";

const todoSchema = z.object({ id: z.string(), type: z.literal("todo"), title: z.string().min(1), done: z.boolean() });
const counterSchema = z.object({ id: z.string(), type: z.literal("counter"), n: z.number().int() });

const mutators: Record<string, Mutator> = {
  addTodo: async (tx, id: string, title: string) => tx.upsert("todo", id, { title, done: false }),
  completeTodo: async (tx, id: string) => {
    const todo = await tx.get("todo", id);
    if (!todo) throw new Error(`no todo ${id}`);
    await tx.upsert("todo", id, { ...todo, done: true });
  },
  increment: async (tx, id: string) => {
    const counter = await tx.get<{ id: string; type: string; n: number }>("counter", id);
    await tx.upsert("counter", id, { n: (counter?.n ?? 0) + 1 });
  },
  writeThenThrow: async (tx, id: string) => {
    await tx.upsert("todo", id, { title: "should vanish", done: false });
    throw new Error("mutator refused");
  },
  removeTodo: async (tx, id: string) => tx.delete("todo", id),
  countTodos: async (tx, counterId: string, prefix: string) => {
    const todos = (await tx.getByType("todo")).filter((t) => t.id.startsWith(prefix));
    await tx.upsert("counter", counterId, { n: todos.length });
  },
};

let storage: SyncStorage;
const servers: OperationSyncServer[] = [];
const start = async (options: Partial<OperationSyncServerOptions> = {}) => {
  const server = await createOperationSyncServer({ mutators, schema: { todo: todoSchema, counter: counterSchema }, storage, ...options });
  servers.push(server);
  return server;
};
let seq = 0;
const client = () => `client-${++seq}`;

beforeAll(async () => {
  storage = await createPGliteSyncStorage();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await storage.close();
});

const push = (server: OperationSyncServer, operations: unknown[], token?: string) =>
  post(`${server.url}/sync/operations`, { operations }, token === undefined ? {} : { token });
const pull = (server: OperationSyncServer, body: object = {}) => post(`${server.url}/sync/state`, body);

describe("POST /sync/operations", () => {
  it("applies operations in order and confirms each", async () => {
    const server = await start();
    const c = client();
    const res = await push(server, [op(c, 1, "addTodo", `${c}-a`, "milk"), op(c, 2, "completeTodo", `${c}-a`)]);
    expect(res.status).toBe(200);
    expect(res.body.confirmations.map((x: any) => [x.operationId, x.clientId, x.success])).toEqual([
      [1, c, true],
      [2, c, true],
    ]);
    expect(typeof res.body.confirmations[0].serverTimestamp).toBe("number");
    expect(res.body.gaps).toBeUndefined();
    const state = await pull(server, { clientId: c });
    expect(state.body.entities).toContainEqual({ id: `${c}-a`, type: "todo", title: "milk", done: true });
    expect(state.body.lastOperationIds[c]).toBe(2);
  });

  it("confirms a duplicate push again without applying it twice", async () => {
    const server = await start();
    const c = client();
    const ops = [op(c, 1, "increment", `${c}-n`), op(c, 2, "writeThenThrow", `${c}-x`)];
    const first = await push(server, ops);
    const second = await push(server, ops);
    expect(second.status).toBe(200);
    expect(second.body.confirmations.map((x: any) => [x.operationId, x.success, x.error])).toEqual(
      first.body.confirmations.map((x: any) => [x.operationId, x.success, x.error]),
    );
    expect(second.body.confirmations[1]).toMatchObject({ success: false, error: "mutator refused" });
    const state = await pull(server);
    expect(state.body.entities).toContainEqual({ id: `${c}-n`, type: "counter", n: 1 });
    // The same operation twice in one push is applied once too.
    const twice = await push(server, [op(c, 3, "increment", `${c}-n`), op(c, 3, "increment", `${c}-n`)]);
    expect(twice.body.confirmations.map((x: any) => x.success)).toEqual([true, true]);
    expect((await pull(server)).body.entities).toContainEqual({ id: `${c}-n`, type: "counter", n: 2 });
  });

  it("stops at a gap, says so, and applies the rest once the gap is filled", async () => {
    const server = await start();
    const c = client();
    const res = await push(server, [op(c, 1, "increment", `${c}-n`), op(c, 3, "increment", `${c}-n`), op(c, 4, "increment", `${c}-n`)]);
    expect(res.body.confirmations.map((x: any) => x.operationId)).toEqual([1]);
    expect(res.body.gaps).toEqual([{ clientId: c, expectedOperationId: 2, receivedOperationId: 3 }]);
    expect((await pull(server, { clientId: c })).body.lastOperationIds[c]).toBe(1);
    const resend = await push(server, [op(c, 2, "increment", `${c}-n`), op(c, 3, "increment", `${c}-n`), op(c, 4, "increment", `${c}-n`)]);
    expect(resend.body.confirmations.map((x: any) => [x.operationId, x.success])).toEqual([
      [2, true],
      [3, true],
      [4, true],
    ]);
    expect((await pull(server)).body.entities).toContainEqual({ id: `${c}-n`, type: "counter", n: 4 });
  });

  it("orders per client: another client's operations in the same push are not held by a gap", async () => {
    const server = await start();
    const a = client();
    const b = client();
    const res = await push(server, [op(a, 2, "increment", `${a}-n`), op(b, 1, "increment", `${b}-n`)]);
    expect(res.body.confirmations.map((x: any) => x.clientId)).toEqual([b]);
    expect(res.body.gaps).toEqual([{ clientId: a, expectedOperationId: 1, receivedOperationId: 2 }]);
  });

  it("rolls back a throwing mutator's writes, advances its id, and applies the operations after it", async () => {
    const server = await start();
    const c = client();
    const res = await push(server, [op(c, 1, "writeThenThrow", `${c}-gone`), op(c, 2, "addTodo", `${c}-kept`, "kept")]);
    expect(res.body.confirmations).toMatchObject([
      { operationId: 1, success: false, error: "mutator refused" },
      { operationId: 2, success: true },
    ]);
    const state = await pull(server, { clientId: c });
    const ids = state.body.entities.map((e: any) => e.id);
    expect(ids).toContain(`${c}-kept`);
    expect(ids).not.toContain(`${c}-gone`);
    expect(state.body.lastOperationIds[c]).toBe(2);
    expect(state.body.failedOperations).toEqual([{ operationId: 1, error: "mutator refused" }]);
  });

  it("refuses an unknown operation and an entity the schema rejects, as failed confirmations", async () => {
    const server = await start();
    const c = client();
    const res = await push(server, [op(c, 1, "noSuchOperation"), op(c, 2, "addTodo", `${c}-t`, ""), op(c, 3, "addTodo", `${c}-ok`, "ok")]);
    expect(res.body.confirmations[0]).toMatchObject({ success: false, error: 'Unknown operation "noSuchOperation"' });
    expect(res.body.confirmations[1].success).toBe(false);
    expect(res.body.confirmations[1].error).toMatch(/todo .*title/);
    expect(res.body.confirmations[2].success).toBe(true);
  });

  it("refuses entity data PostgreSQL cannot store (NUL, lone surrogates) as a failed operation, not a 5xx", async () => {
    const server = await start();
    const c = client();
    const res = await push(server, [op(c, 1, "addTodo", `${c}-nul`, "a\u0000b"), op(c, 2, "addTodo", `${c}-sur`, "x\ud800y"), op(c, 3, "addTodo", `${c}-ok`, "😀 ok")]);
    expect(res.status).toBe(200);
    expect(res.body.confirmations.map((x: any) => x.success)).toEqual([false, false, true]);
    expect(res.body.confirmations[0].error).toMatch(/NUL/);
  });

  it("serves the built-in upsert<Type>/delete<Type> operations, validated against the schema", async () => {
    const server = await start();
    const c = client();
    const res = await push(server, [
      op(c, 1, "upserttodo", `${c}-l`, { id: `${c}-l`, type: "todo", title: "legacy", done: false }),
      op(c, 2, "upserttodo", `${c}-bad`, { id: `${c}-bad`, type: "todo", title: 42 }),
      op(c, 3, "deletetodo", `${c}-l`),
    ]);
    expect(res.body.confirmations.map((x: any) => x.success)).toEqual([true, false, true]);
    const state = await pull(server, { stateVersion: "0" });
    expect(state.body.entities.map((e: any) => e.id)).not.toContain(`${c}-l`);
    expect(state.body.deleted).toContainEqual({ entityType: "todo", entityId: `${c}-l` });
  });

  it("lets a mutator read its own and earlier operations' writes (getByType)", async () => {
    const server = await start();
    const c = client();
    const res = await push(server, [op(c, 1, "addTodo", `${c}-a`, "a"), op(c, 2, "addTodo", `${c}-b`, "b"), op(c, 3, "removeTodo", `${c}-a`), op(c, 4, "countTodos", `${c}-count`, c)]);
    expect(res.body.confirmations.every((x: any) => x.success)).toBe(true);
    expect((await pull(server)).body.entities).toContainEqual({ id: `${c}-count`, type: "counter", n: 1 });
  });

  it("groups concurrent pushes, each still exactly once and isolated from a failing neighbour", async () => {
    const server = await start();
    const clients = Array.from({ length: 12 }, client);
    const results = await Promise.all(
      clients.map((c, i) => push(server, i % 3 === 0 ? [op(c, 1, "writeThenThrow", `${c}-x`), op(c, 2, "increment", `${c}-n`)] : [op(c, 1, "increment", `${c}-n`), op(c, 2, "increment", `${c}-n`)])),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const state = await pull(server);
    for (const [i, c] of clients.entries()) {
      expect(state.body.entities).toContainEqual({ id: `${c}-n`, type: "counter", n: i % 3 === 0 ? 1 : 2 });
      expect(state.body.lastOperationIds[c]).toBe(2);
      expect(state.body.entities.map((e: any) => e.id)).not.toContain(`${c}-x`);
    }
  });

  it("fails a push whose storage fails with 500, advancing nothing; the retry applies it once", async () => {
    let failNext = true;
    const flaky: SyncStorage = {
      ...storage,
      kind: storage.kind,
      readState: (q) => storage.readState(q),
      onChange: (l) => storage.onChange(l),
      compact: (v) => storage.compact(v),
      close: async () => undefined,
      transaction: (fn) =>
        storage.transaction((tx) =>
          fn({
            ...tx,
            baseVersion: tx.baseVersion,
            lastOperationIds: (ids) => tx.lastOperationIds(ids),
            failures: (c, ids) => tx.failures(c, ids),
            get: (t, id) => tx.get(t, id),
            getByType: (t) => tx.getByType(t),
            applyChanges: async (changes) => {
              if (failNext) {
                failNext = false;
                throw new Error("disk full");
              }
              return tx.applyChanges(changes);
            },
          }),
        ),
    };
    const errors: unknown[] = [];
    const server = await start({ storage: flaky, onError: (e) => errors.push(e) });
    const c = client();
    const ops = [op(c, 1, "increment", `${c}-n`)];
    const failed = await push(server, ops);
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe("STORAGE_FAILED");
    expect(failed.body.error.message).toMatch(/disk full/);
    expect(errors).toHaveLength(1);
    expect((await pull(server, { clientId: c })).body.lastOperationIds[c] ?? 0).toBe(0);
    const retried = await push(server, ops);
    expect(retried.body.confirmations).toMatchObject([{ operationId: 1, success: true }]);
    expect((await pull(server)).body.entities).toContainEqual({ id: `${c}-n`, type: "counter", n: 1 });
  });

  it("survives a restart between push and confirmation: the resent push is confirmed, not re-applied", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "kalphite-syncops-"));
    try {
      const c = client();
      const ops = [op(c, 1, "increment", "restart-n"), op(c, 2, "increment", "restart-n")];
      const first = await createOperationSyncServer({ mutators, storage: await createPGliteSyncStorage({ dataDir: dir }) });
      await push(first, ops); // imagine this response lost
      await first.close();
      await first.storage.close();
      const second = await createOperationSyncServer({ mutators, storage: await createPGliteSyncStorage({ dataDir: dir }) });
      try {
        const resent = await push(second, ops);
        expect(resent.body.confirmations.map((x: any) => x.success)).toEqual([true, true]);
        expect((await pull(second)).body.entities).toContainEqual({ id: "restart-n", type: "counter", n: 2 });
      } finally {
        await second.close();
        await second.storage.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("PushProcessor", () => {
  it("answers pushes made one right after another (none is left waiting)", async () => {
    const { PushProcessor } = await import("./push-processor");
    const processor = new PushProcessor({ storage, mutators, schema: undefined, builtinOperations: true, maxGroupOperations: 5000, now: Date.now, onCommitted: () => undefined });
    const c = client();
    for (let id = 1; id <= 5; id++) {
      const outcome = await processor.push([op(c, id, "increment", `${c}-seq`)]);
      expect(outcome.confirmations).toMatchObject([{ operationId: id, success: true }]);
    }
  });
});
