import { KalphiteStore } from "@kalphite/store";
import { describe, expect, it } from "vitest";
import { bindStore } from "./bind-store";
import type { NetworkSyncEngine } from "./network-sync-engine";
import { eventually, makeEngine, startServer } from "./test-helpers";
import type { ConflictStrategy } from "./types";

interface Todo {
  id: string;
  type: "todo";
  title: string;
  done: boolean;
  note?: string;
  updatedAt: number;
}
type Store = KalphiteStore<Todo>;

/** The store's todos, sorted, with sorted keys: equal stores give equal strings. */
const snapshot = (store: Store) =>
  [...store.todo]
    .map((t) => Object.fromEntries(Object.entries(t).sort(([x], [y]) => (x < y ? -1 : 1))))
    .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));

async function replicas(n: number, strategy: ConflictStrategy = "last-write-wins") {
  const server = await startServer({ conflictResolution: strategy });
  const out: { store: Store; engine: NetworkSyncEngine; unbind: () => void }[] = [];
  for (let i = 0; i < n; i++) {
    const store = KalphiteStore<Todo>();
    const engine = makeEngine(server, { userId: `user${i}`, clientId: `replica-${i}`, conflictResolution: { strategy } });
    out.push({ store, engine, unbind: bindStore(store, engine) });
  }
  await Promise.all(out.map((r) => r.engine.connect()));
  return { server, replicas: out };
}

async function settle(rs: { engine: NetworkSyncEngine }[]) {
  await Promise.all(rs.map((r) => r.engine.flush()));
}

describe("bindStore: stores converge through the server", () => {
  it("two stores: upserts and deletes go both ways, remote changes never echo", async () => {
    const { replicas: [a, b] } = await replicas(2);
    let sentByB = 0;
    b!.engine.on("ack", () => sentByB++);
    a!.store.todo.upsert("t1", { title: "from a", done: false, updatedAt: 1 });
    b!.store.todo.upsert("t2", { title: "from b", done: false, updatedAt: 1 });
    await settle([a!, b!]);
    await eventually(() => a!.store.todo.length === 2 && b!.store.todo.length === 2, "both stores hold both todos");
    expect(snapshot(a!.store)).toEqual(snapshot(b!.store));
    a!.store.todo.delete("t2");
    await settle([a!]);
    await eventually(() => b!.store.todo.length === 1, "the delete reached b");
    expect(b!.store.todo.findById("t2")).toBeUndefined();
    // b applied a's upsert and delete with origin "remote": it sent only its own change.
    expect(sentByB).toBe(1);
    expect(b!.engine.getOfflineQueueSize()).toBe(0);
  });

  it("three stores converge on every entity", async () => {
    const { replicas: rs } = await replicas(3);
    rs.forEach((r, i) => {
      for (let k = 0; k < 5; k++) r.store.todo.upsert(`t${i}-${k}`, { title: `t${i}-${k}`, done: k % 2 === 0, updatedAt: 10 + k });
    });
    rs[1]!.store.todo.update("t1-1", (d) => {
      d.done = true;
    });
    await settle(rs);
    await eventually(() => rs.every((r) => r.store.todo.length === 15), "15 todos everywhere");
    await settle(rs);
    await eventually(() => JSON.stringify(snapshot(rs[1]!.store)) === JSON.stringify(snapshot(rs[0]!.store)) && JSON.stringify(snapshot(rs[2]!.store)) === JSON.stringify(snapshot(rs[0]!.store)), "identical stores");
    expect(rs[2]!.store.todo.findById("t1-1")).toMatchObject({ done: true });
  });

  it("unbind() stops both directions", async () => {
    const { replicas: [a, b] } = await replicas(2);
    b!.unbind();
    a!.store.todo.upsert("t1", { title: "x", done: false, updatedAt: 1 });
    b!.store.todo.upsert("t2", { title: "y", done: false, updatedAt: 1 });
    await settle([a!, b!]);
    await eventually(() => b!.engine.getEntity("todo", "t1") !== undefined, "b's engine got t1");
    await new Promise((r) => setImmediate(r));
    expect(b!.store.todo.findById("t1")).toBeUndefined();
    expect(a!.engine.getEntity("todo", "t2")).toBeUndefined();
  });

  it("local changes a full queue refused are kept and sent once there is room: nothing is dropped", async () => {
    const server = await startServer();
    const store = KalphiteStore<Todo>();
    const engine = makeEngine(server, { userId: "a", maxQueueSize: 2 });
    const errors: string[] = [];
    engine.on("error", (e) => errors.push(e.code));
    bindStore(store, engine);
    await engine.init();
    for (let i = 0; i < 5; i++) store.todo.upsert(`t${i}`, { title: `t${i}`, done: false, updatedAt: 1 });
    await new Promise((r) => setImmediate(r));
    expect(engine.getOfflineQueueSize()).toBe(2);
    expect(errors).toEqual(["QUEUE_FULL", "QUEUE_FULL", "QUEUE_FULL"]);
    const other = makeEngine(server, { userId: "b" });
    await other.connect();
    await engine.connect();
    await eventually(() => [0, 1, 2, 3, 4].every((i) => other.getEntity("todo", `t${i}`) !== undefined), "all five reached the server");
  });

  for (const strategy of ["last-write-wins", "operational-transform", "manual"] as const) {
    it(`concurrent edits under ${strategy} end identical on every replica`, async () => {
      const { replicas: rs } = await replicas(3, strategy);
      const [a, b, c] = rs as [(typeof rs)[0], (typeof rs)[0], (typeof rs)[0]];
      a.store.todo.upsert("t1", { title: "base", done: false, note: "n", updatedAt: 100 });
      await settle(rs);
      await eventually(() => rs.every((r) => r.store.todo.length === 1), "base everywhere");
      // Concurrent: a and b edit different fields offline, c edits the title too.
      await Promise.all([a.engine.disconnect(), b.engine.disconnect(), c.engine.disconnect()]);
      a.store.todo.update("t1", (d) => void Object.assign(d, { title: "a-title", updatedAt: 200 }));
      b.store.todo.update("t1", (d) => void Object.assign(d, { done: true, updatedAt: 300 }));
      c.store.todo.update("t1", (d) => void Object.assign(d, { title: "c-title", updatedAt: 150 }));
      await Promise.all(rs.map((r) => r.engine.connect()));
      await settle(rs);
      // A second round of catch-up so every replica has heard every version.
      await Promise.all(rs.map((r) => r.engine.disconnect()));
      await Promise.all(rs.map((r) => r.engine.connect()));
      await eventually(() => {
        const s = rs.map((r) => JSON.stringify(snapshot(r.store)));
        return s[0] === s[1] && s[1] === s[2];
      }, "identical stores");
      const result = a.store.todo.findById("t1");
      if (strategy === "operational-transform") {
        // title changed on a (200) and c (150): last-write-wins for that field; done changed on b only.
        expect(result).toMatchObject({ title: "a-title", done: true, note: "n", updatedAt: 300 });
      } else {
        // Whole-entity last-write-wins: b's edit has the largest updatedAt.
        expect(result).toMatchObject({ title: "base", done: true, updatedAt: 300 });
      }
    });
  }
});
