import { afterEach, describe, expect, it, vi } from "vitest";
import type { Collection } from "./collection";
import { createCollection } from "./registry";
import { createTestCollection } from "./test-collection";
import { flushMicrotasks, staticSync, uniqueId } from "./test-helpers";

interface Todo {
  id: string;
  title: string;
  [key: string]: unknown;
}

const live: Collection<any>[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of live.splice(0)) await c.dispose();
});
const make = (options: Parameters<typeof createTestCollection<Todo>>[0] = {}) => {
  const result = createTestCollection<Todo>(options);
  live.push(result.collection);
  return result;
};

describe("createTestCollection", () => {
  it("shows initialData at once and applies emitted updates before and after setup", async () => {
    const { collection, syncControl } = make({ initialData: { a: { id: "a", title: "A" } } });
    expect(collection.data).toEqual({ a: { id: "a", title: "A" } });
    syncControl.emitUpdate([{ id: "b", title: "B" }]); // before setup resolved
    await collection.ready;
    expect(collection.data).toEqual({ a: { id: "a", title: "A" }, b: { id: "b", title: "B" } });
    syncControl.emitUpdate({ a: null });
    expect(collection.data).toEqual({ b: { id: "b", title: "B" } });
  });

  it("delays persists by the network delay (fake timers) and fails the next one on request", async () => {
    vi.useFakeTimers();
    const { collection, syncControl } = make({ initialData: [{ id: "a", title: "A" }], retry: { random: () => 0 } });
    syncControl.setNetworkDelay(500);
    const tx = collection.update("a", { title: "B" });
    await vi.advanceTimersByTimeAsync(499);
    expect(tx.state).toBe("persisting");
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe("completed");
    syncControl.failNextPersist();
    const t2 = collection.update("a", { title: "C" });
    await vi.advanceTimersByTimeAsync(500);
    expect(t2.state).toBe("pending");
    expect(t2.attempts[0]?.error?.message).toMatch(/failNextPersist/);
    await vi.advanceTimersByTimeAsync(1000 + 500);
    expect(t2.state).toBe("completed");
    expect(syncControl.persisted.map((p) => p.transaction.id)).toEqual([tx.id, t2.id]);
    expect(() => syncControl.setNetworkDelay(-1)).toThrow(/non-negative/);
  });

  it("wraps a given mutationFn (failure injected first) and a given sync source", async () => {
    const calls: string[] = [];
    const sync = staticSync<Todo>(uniqueId("wrapped"), [{ id: "s", title: "from source" }]);
    const { collection, syncControl } = make({
      sync,
      initialData: [{ id: "i", title: "from initialData" }],
      mutationFn: { persist: async ({ transaction }) => void calls.push(transaction.id) },
    });
    await collection.ready;
    expect(collection.id).toBe(sync.id);
    expect(Object.keys(collection.data).sort()).toEqual(["i", "s"]);
    sync.emit([{ id: "s", title: "pushed by the source" }]);
    expect(collection.data["s"]?.title).toBe("pushed by the source");
    syncControl.failNextPersist();
    const tx = collection.update("i", { title: "x" });
    await vi.waitFor(() => expect(tx.attempts).toHaveLength(1));
    expect(calls).toEqual([]); // the injected failure came before the given persist
  });
});

describe("collection API details", () => {
  it("can be destructured like the specification's hook", async () => {
    const { collection } = make({ initialData: [{ id: "a", title: "A" }] });
    const { insert, update, delete: remove, withMutation, whenSettled } = collection;
    const tx = withMutation(() => {
      insert({ id: "b", title: "B" });
      update("a", { title: "A2" });
      remove("b");
    });
    expect((await whenSettled(tx)).state).toBe("completed");
    expect(collection.data).toEqual({ a: { id: "a", title: "A2" } });
  });

  it("rejects whenSettled for an unknown id, and pending waiters on dispose", async () => {
    const c = createCollection<Todo>({
      sync: staticSync(uniqueId(), [{ id: "a", title: "A" }]),
      mutationFn: { persist: () => new Promise(() => {}) },
      persistence: false,
    });
    await c.ready;
    await expect(c.whenSettled("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    const tx = c.update("a", { title: "B" });
    const waiting = c.whenSettled(tx);
    await c.dispose();
    await expect(waiting).rejects.toMatchObject({ code: "DISPOSED" });
    expect(() => c.insert({ id: "z", title: "" })).toThrow(/disposed/);
  });

  it("gives awaitSync a sync instance whose waitFor sees held updates and honours an abort signal", async () => {
    const controller = new AbortController();
    let seen: unknown;
    const { collection, syncControl } = make({
      initialData: [{ id: "a", title: "A" }],
      mutationFn: {
        persist: async () => {},
        awaitSync: async ({ sync }) => {
          await sync.waitFor((d) => d["a"]?.title === "server", { signal: controller.signal }).catch((e) => {
            seen = e;
            throw e;
          });
        },
      },
    });
    await collection.ready;
    const tx = collection.update("a", { title: "mine" });
    await flushMicrotasks();
    expect(tx.state).toBe("persisted_awaiting_sync");
    controller.abort(new Error("gave up"));
    await collection.whenSettled(tx);
    expect(tx.state).toBe("failed");
    expect((seen as Error).message).toBe("gave up");
    expect(collection.data["a"]?.title).toBe("A");
    syncControl.emitUpdate([{ id: "a", title: "server" }]);
    expect(collection.data["a"]?.title).toBe("server");
  });
});
