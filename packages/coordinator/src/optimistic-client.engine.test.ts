/**
 * End to end with the real `ModernSyncEngine` against the real server: three
 * clients whose engines connect, disconnect, push, pull and hear WebSocket
 * notifications at random moments while operations are made. Afterwards every
 * client's store equals the server's state and every increment the server
 * applied is in it exactly once.
 */
import { createKalphiteStore, type Entity } from "@kalphite/store";
import { ModernSyncEngine, createOperationSyncServer, type OperationSyncServer } from "@kalphite/sync-ops";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOptimisticClient, type ClientMutatorTransaction } from "./optimistic-client";

type Counter = Entity & { n: number; log: string[] };
type Claim = Entity & { owner: string };

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
};

let server: OperationSyncServer;
beforeAll(async () => {
  server = await createOperationSyncServer({ mutators: mutators as never, onError: () => {} });
});
afterAll(async () => {
  await server?.close();
});

type Action =
  | { t: "increment"; client: number; key: number; by: number }
  | { t: "claim"; client: number; key: number }
  | { t: "connect" | "disconnect" | "sync" | "flush" | "idle"; client: number };

const action: fc.Arbitrary<Action> = fc.oneof(
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

let runNo = 0;

describe("optimistic clients on ModernSyncEngine", () => {
  it("property: every client converges to the server's state; each applied increment appears exactly once", async () => {
    const notificationUrl = `${server.url.replace(/^http/, "ws")}/sync/notify`;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (actions) => {
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
