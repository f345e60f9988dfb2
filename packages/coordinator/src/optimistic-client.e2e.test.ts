/**
 * End to end against the real operation-sync server (HTTP on 127.0.0.1, an
 * in-memory PGlite): three clients, random operations, random orders of
 * pushes, pulls and the delivery of their answers. At the end every client's
 * store equals the server's state and no operation was applied twice.
 */
import { createKalphiteStore, type Entity } from "@kalphite/store";
import { createOperationSyncServer, type OperationSyncServer } from "@kalphite/sync-ops";
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
