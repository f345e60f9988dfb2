/**
 * End to end against the real operation-sync server (HTTP and WebSocket on
 * 127.0.0.1, an in-memory PGlite, one for the file):
 * - three clients on a wire-level test engine whose push and pull answers the
 *   property delivers in random orders: the store is the applied server state
 *   plus the pending operations at every step, clients converge, no operation
 *   is applied twice;
 * - three clients on the real `ModernSyncEngine`, connecting, disconnecting,
 *   pushing, pulling and hearing notifications at random moments: the same
 *   convergence and exactly-once checks;
 * - the README's example.
 */
import { createKalphiteStore, type Entity } from "@kalphite/store";
import { ModernSyncEngine, createOperationSyncServer, type OperationSyncServer } from "@kalphite/sync-ops";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOptimisticClient, type ClientMutatorTransaction } from "./optimistic-client";
import { TestHttpEngine } from "./test-http-engine";

type Counter = Entity & { n: number; log: string[] };
type Claim = Entity & { owner: string };

/** The same mutators on both sides. */
const mutators = {
  increment: async (tx: ClientMutatorTransaction, id: string, by: number, tag: string) => {
    const c = await tx.get<Counter>("counter", id);
    await tx.upsert("counter", id, { n: (c?.n ?? 0) + by, log: [...(c?.log ?? []), tag] });
  },
  claim: async (tx: ClientMutatorTransaction, id: string, owner: string) => {
    const c = await tx.get<Claim>("claim", id);
    if (c && c.owner !== owner) throw new Error(`${id} is taken by ${c.owner}`);
    await tx.upsert("claim", id, { owner });
  },
  release: async (tx: ClientMutatorTransaction, id: string, owner: string) => {
    const c = await tx.get<Claim>("claim", id);
    if (!c || c.owner !== owner) throw new Error(`${owner} does not hold ${id}`);
    await tx.delete("claim", id);
  },
  // The README's.
  addTodo: async (tx: ClientMutatorTransaction, id: string, title: string) => {
    await tx.upsert("todo", id, { title, done: false });
  },
  toggle: async (tx: ClientMutatorTransaction, id: string) => {
    const todo = await tx.get<{ id: string; type: "todo"; done: boolean }>("todo", id);
    if (!todo) throw new Error(`no todo ${id}`);
    await tx.upsert("todo", id, { ...todo, done: !todo.done });
  },
};

let server: OperationSyncServer;
beforeAll(async () => {
  server = await createOperationSyncServer({ mutators: mutators as never, onError: () => {} });
});
afterAll(async () => {
  await server?.close();
});

type Action =
  | { t: "mutate"; client: number; kind: number; key: number; by: number }
  | { t: "push"; client: number }
  | { t: "pull"; client: number }
  | { t: "deliver"; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("mutate" as const), client: fc.nat(2), kind: fc.nat(2), key: fc.nat(2), by: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("push" as const), client: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("pull" as const), client: fc.nat(2) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("deliver" as const), pick: fc.nat() }) },
);

let runNo = 0;

const serverState = async (prefix: string) => {
  const res = await fetch(`${server.url}/sync/state`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({}) });
  const body = (await res.json()) as { entities: Entity[] };
  return body.entities.filter((e) => e.id.startsWith(prefix));
};

const snapshot = (entities: readonly Entity[]) =>
  entities
    .map((e) => {
      const { updatedAt: _u, ...rest } = e as Entity & Record<string, unknown>;
      return rest;
    })
    .sort((a, b) => `${a.type}/${a.id}`.localeCompare(`${b.type}/${b.id}`));

describe("optimistic clients against the real server", () => {
  it("a delta that does not touch a pending operation's entity leaves its effect applied once", async () => {
    const run = `r${++runNo}-`;
    const [a, b] = [0, 1].map((i) => {
      const store = createKalphiteStore();
      const engine = new TestHttpEngine(server.url, `${run}c${i}`);
      return { store, engine, client: createOptimisticClient({ store, engine, mutators }) };
    }) as [any, any];
    (await a.engine.pull())();
    const done = a.client.mutate.increment(`${run}k`, 1, "a1");
    await a.client.whenIdle();
    void b.client.mutate.increment(`${run}other`, 5, "b1");
    await b.client.whenIdle();
    (await b.engine.push())();
    (await a.engine.pull())();
    await a.client.whenIdle();
    expect(a.store.getById("counter", `${run}k`)).toMatchObject({ n: 1, log: ["a1"] });
    expect(a.store.getById("counter", `${run}other`)).toMatchObject({ n: 5 });
    (await a.engine.push())();
    (await a.engine.pull())();
    await done;
    expect(a.store.getById("counter", `${run}k`)).toMatchObject({ n: 1, log: ["a1"] });
    expect(a.client.getPendingOperations()).toEqual([]);
  });

  it("property: every client converges to the server's state; no operation is applied twice", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 10, maxLength: 40 }), async (actions) => {
        const run = `r${++runNo}-`;
        const clients = [0, 1, 2].map((i) => {
          const store = createKalphiteStore();
          const engine = new TestHttpEngine(server.url, `${run}client${i}`);
          const client = createOptimisticClient({ store, engine, mutators });
          // The server state this client has applied, kept by the test from the same patches.
          const confirmed = new Map<string, Entity>();
          engine.onStatePatch((p) => {
            if (p.reset) confirmed.clear();
            for (const d of p.deleted ?? []) confirmed.delete(`${d.entityType}/${d.entityId}`);
            for (const e of p.entities ?? []) confirmed.set(`${e.type}/${e.id}`, e);
          });
          return { store, engine, client, confirmed };
        });
        /** At every moment: the store == the applied server state + the pending operations run in order. */
        const checkInvariant = async (c: (typeof clients)[number]) => {
          await c.client.whenIdle();
          const model = new Map(c.confirmed);
          const tx: ClientMutatorTransaction = {
            get: async <T extends Entity>(type: string, id: string) => model.get(`${type}/${id}`) as T | undefined,
            getByType: async () => [],
            query: async () => [],
            upsert: async (type, id, entity) => void model.set(`${type}/${id}`, { ...entity, id, type } as Entity),
            delete: async (type, id) => void model.delete(`${type}/${id}`),
            clientId: "",
            operationId: 0,
          };
          for (const op of c.client.getPendingOperations()) {
            const before = new Map(model);
            try {
              await (mutators as Record<string, (...a: any[]) => Promise<void>>)[op.name]!(tx, ...op.args);
            } catch {
              model.clear();
              for (const [k, v] of before) model.set(k, v);
            }
          }
          const mine = [...c.store.getByType("counter"), ...c.store.getByType("claim")].filter((e) => e.id.startsWith(run));
          expect(snapshot(mine)).toEqual(snapshot([...model.values()].filter((e) => e.id.startsWith(run))));
        };
        // Everyone starts from the server's state, so later pulls are deltas.
        for (const c of clients) (await c.engine.pull())();
        const deliveries: Promise<() => void>[] = [];
        const outcomes: { tag: string; by: number; counter: string; result?: "ok" | "rejected" }[] = [];
        let seq = 0;
        const track = (p: Promise<void>, record?: (typeof outcomes)[number]) =>
          p.then(
            () => record && (record.result = "ok"),
            () => record && (record.result = "rejected"),
          );
        const settledAll: Promise<unknown>[] = [];

        for (const a of actions) {
          if (a.t === "mutate") {
            const { client } = clients[a.client]!;
            const key = `${run}k${a.key}`;
            if (a.kind === 0) {
              const tag = `${a.client}:${++seq}`;
              const record = { tag, by: a.by, counter: key };
              outcomes.push(record);
              settledAll.push(track(client.mutate.increment(key, a.by, tag), record));
            } else if (a.kind === 1) settledAll.push(track(client.mutate.claim(key, `c${a.client}`)));
            else settledAll.push(track(client.mutate.release(key, `c${a.client}`)));
            await clients[a.client]!.client.whenIdle();
          } else if (a.t === "push") {
            deliveries.push(clients[a.client]!.engine.push());
            await deliveries[deliveries.length - 1];
          } else if (a.t === "pull") {
            deliveries.push(clients[a.client]!.engine.pull());
            await deliveries[deliveries.length - 1];
          } else if (deliveries.length > 0) {
            const [d] = deliveries.splice(a.pick % deliveries.length, 1);
            (await d!)();
          }
          for (const c of clients) await checkInvariant(c);
        }
        // Deliver what is left in a scrambled order, then let everyone catch up.
        for (const d of deliveries.reverse()) (await d)();
        for (let round = 0; round < 3; round++) {
          for (const c of clients) (await c.engine.push())();
          for (const c of clients) {
            await c.client.whenIdle();
            (await c.engine.pull())();
            await c.client.whenIdle();
          }
        }
        await Promise.all(settledAll);

        const truth = snapshot(await serverState(run));
        for (const c of clients) {
          expect(c.client.getPendingOperations()).toEqual([]);
          const mine = [...c.store.getByType("counter"), ...c.store.getByType("claim")].filter((e) => e.id.startsWith(run));
          expect(snapshot(mine)).toEqual(truth);
        }
        // Each resolved increment is in its counter's log exactly once; rejected ones never.
        for (const o of outcomes) {
          const counter = truth.find((e) => e.type === "counter" && e.id === o.counter) as Counter | undefined;
          const times = (counter?.log ?? []).filter((t) => t === o.tag).length;
          expect(times).toBe(o.result === "ok" ? 1 : 0);
        }
        for (const counter of truth.filter((e) => e.type === "counter") as unknown as Counter[]) {
          const sum = outcomes.filter((o) => o.counter === counter.id && o.result === "ok").reduce((s, o) => s + o.by, 0);
          expect(counter.n).toBe(sum);
        }
        for (const c of clients) c.client.dispose();
      }),
      { numRuns: 20 },
    );
  });
});

type EngineAction =
  | { t: "increment"; client: number; key: number; by: number }
  | { t: "claim"; client: number; key: number }
  | { t: "connect" | "disconnect" | "sync" | "flush" | "idle"; client: number };

const engineAction: fc.Arbitrary<EngineAction> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("increment" as const), client: fc.nat(2), key: fc.nat(1), by: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("claim" as const), client: fc.nat(2), key: fc.nat(1) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constantFrom("connect" as const, "disconnect" as const, "sync" as const, "flush" as const, "idle" as const), client: fc.nat(2) }) },
);

const strip = (entities: readonly Entity[]) =>
  entities
    .map((e) => {
      const { updatedAt: _u, ...rest } = e as Entity & Record<string, unknown>;
      return rest;
    })
    .sort((a, b) => `${a.type}/${a.id}`.localeCompare(`${b.type}/${b.id}`));


describe("optimistic clients on ModernSyncEngine", () => {
  it("property: every client converges to the server's state; each applied increment appears exactly once", async () => {
    const notificationUrl = `${server.url.replace(/^http/, "ws")}/sync/notify`;
    await fc.assert(
      fc.asyncProperty(fc.array(engineAction, { minLength: 5, maxLength: 25 }), async (actions) => {
        const run = `e${++runNo}-`;
        const clients = [0, 1, 2].map((i) => {
          const store = createKalphiteStore();
          const engine = new ModernSyncEngine({ baseUrl: server.url, clientId: `${run}c${i}`, userId: "u", pullInterval: 0, notificationUrl });
          engine.on?.("error", () => {});
          const client = createOptimisticClient({ store, engine, mutators, onError: () => {} });
          return { store, engine, client };
        });
        const increments: { tag: string; by: number; key: string; result?: "ok" | "rejected" }[] = [];
        const settled: Promise<unknown>[] = [];
        const background: Promise<unknown>[] = [];
        let seq = 0;
        try {
          for (const a of actions) {
            const c = clients[a.client]!;
            switch (a.t) {
              case "increment": {
                const record: (typeof increments)[number] = { tag: `${a.client}:${++seq}`, by: a.by, key: `${run}k${a.key}` };
                increments.push(record);
                settled.push(
                  c.client.mutate.increment(record.key, a.by, record.tag).then(
                    () => (record.result = "ok"),
                    () => (record.result = "rejected"),
                  ),
                );
                break;
              }
              case "claim":
                settled.push(c.client.mutate.claim(`${run}x${a.key}`, `c${a.client}`).catch(() => undefined));
                break;
              case "connect":
                background.push(c.engine.connect().catch(() => undefined));
                break;
              case "disconnect":
                background.push(c.engine.disconnect().catch(() => undefined));
                break;
              case "sync":
                background.push(c.engine.syncState().catch(() => undefined));
                break;
              case "flush":
                background.push(c.engine.flush().catch(() => undefined));
                break;
              case "idle":
                await c.client.whenIdle();
                break;
            }
          }
          await Promise.all(background);
          for (const c of clients) await c.engine.connect();
          for (let round = 0; round < 2; round++) {
            for (const c of clients) {
              await c.client.whenIdle();
              await c.engine.flush();
            }
            for (const c of clients) {
              await c.engine.syncState();
              await c.client.whenIdle();
            }
          }
          await Promise.all(settled);

          const res = await fetch(`${server.url}/sync/state`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
          const truth = strip(((await res.json()) as { entities: Entity[] }).entities.filter((e) => e.id.startsWith(run)));
          for (const c of clients) {
            expect(c.client.getPendingOperations()).toEqual([]);
            const mine = [...c.store.getByType("counter"), ...c.store.getByType("claim")].filter((e) => e.id.startsWith(run));
            expect(strip(mine)).toEqual(truth);
          }
          for (const r of increments) {
            const counter = truth.find((e) => e.type === "counter" && e.id === r.key) as Counter | undefined;
            expect((counter?.log ?? []).filter((t) => t === r.tag).length).toBe(r.result === "ok" ? 1 : 0);
          }
        } finally {
          for (const c of clients) {
            c.client.dispose();
            await c.engine.close();
          }
        }
      }),
      { numRuns: 8 },
    );
  });
});

it("the README example works", async () => {
  const store = createKalphiteStore();
  const engine = new ModernSyncEngine({ baseUrl: server.url, clientId: "readme", userId: "u", pullInterval: 0 });
  try {
    const client = createOptimisticClient({ store, engine, mutators });
    const rejected: string[] = [];
    client.on("rejected", ({ name, error }) => rejected.push(`${name}: ${error.message}`));
    await engine.connect();

    const done = client.mutate.addTodo("t1", "Buy milk");
    await client.whenIdle();
    expect(store.getById("todo", "t1")).toMatchObject({ title: "Buy milk", done: false }); // shown at once
    await done; // the server applied it
    await client.mutate.toggle("t1");
    await engine.syncState();
    await client.whenIdle();
    expect(store.getById("todo", "t1")).toMatchObject({ done: true });
    expect(client.getPendingOperations()).toEqual([]);

    // A refusal: the server has no todo "nope" (the client run is given one to see the server refuse).
    store.getByType("todo").upsert("nope", { id: "nope", type: "todo", title: "local only", done: false });
    await expect(client.mutate.toggle("nope")).rejects.toMatchObject({ code: "REJECTED" });
    expect(store.getById("todo", "nope")).toMatchObject({ done: false });
    expect(rejected).toEqual([expect.stringContaining("toggle: ")]);
  } finally {
    await engine.close();
  }
});
