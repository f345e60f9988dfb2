import { afterEach, describe, expect, it, vi } from "vitest";
import type { Collection } from "../collection";
import { createCollection } from "../registry";
import { manualMutationFn, staticSync, uniqueId } from "../test-helpers";
import type { MutationFn } from "../types";
import type { TransactionStorage } from "./types";

interface Todo {
  id: string;
  title: string;
  [key: string]: unknown;
}

/**
 * Reload scenarios against a storage: `open()` gives a storage over the same
 * durable data each time (a new object, as after a page reload). Everything
 * but the storage's contents is new on the second start.
 */
export function recoverySuite(name: string, open: () => Promise<TransactionStorage>): void {
  describe(`recovery after a reload: ${name}`, () => {
    const live: Collection<any>[] = [];
    afterEach(async () => {
      for (const c of live.splice(0)) await c.dispose();
    });
    const start = async (id: string, mutationFn: MutationFn<Todo>, data: Todo[] = [{ id: "a", title: "A" }]) => {
      const c = createCollection<Todo>({ sync: staticSync(id, data), mutationFn, persistence: await open(), logger: quiet });
      live.push(c);
      await c.ready;
      return c;
    };

    it("retries a pending transaction, treats a persisted one as synced, keeps the queue order", async () => {
      const id = uniqueId("reload");
      const before = manualMutationFn<Todo>({ awaitSync: () => new Promise(() => {}) });
      const first = await start(id, before.mutationFn, [{ id: "a", title: "A" }, { id: "b", title: "B" }]);
      const persisted = first.update("b", { title: "B persisted" });
      const pending = first.update("a", { title: "A1" });
      const queued = first.update("a", { title: "A2" });
      await vi.waitFor(() => expect(before.calls).toHaveLength(2));
      before.calls[0]!.resolve(); // b's persist succeeded; sync never confirmed it
      await vi.waitFor(() => expect(persisted.state).toBe("persisted_awaiting_sync"));
      expect(pending.state).toBe("persisting"); // page closes mid-persist
      expect(queued.state).toBe("queued");
      await first.dispose();

      const after = manualMutationFn<Todo>();
      const second = await start(id, after.mutationFn, [{ id: "a", title: "A" }, { id: "b", title: "B" }]);
      const txs = second.getTransactions();
      expect(txs.map((t) => t.id)).toEqual([persisted.id, pending.id, queued.id]);
      const [p, q, r] = txs;
      expect(p!.state).toBe("completed"); // treated as synced; its optimistic update is dropped
      expect(second.data["b"]?.title).toBe("B");
      expect(r!.state).toBe("queued");
      expect(r!.queued_behind).toBe(pending.id);
      expect(second.data["a"]?.title).toBe("A2"); // optimistic updates re-applied
      await vi.waitFor(() => expect(after.calls).toHaveLength(1));
      expect(after.calls.map((c) => c.transaction.id)).toEqual([pending.id]);
      expect(q!.state).toBe("persisting"); // retried at once
      expect(q!.attempts).toHaveLength(2);
      expect(q!.attempts[0]?.error).toMatchObject({ code: "INTERRUPTED" });
      expect(after.calls[0]!.attempt).toBe(2);
      expect(after.calls[0]!.changes).toEqual({ a: { title: "A1" } });
      after.calls[0]!.resolve();
      await second.whenSettled(pending.id);
      await vi.waitFor(() => expect(after.calls).toHaveLength(2));
      expect(after.calls.map((c) => c.transaction.id)).toEqual([pending.id, queued.id]);
      after.calls[1]!.resolve();
      await second.whenSettled(queued.id);
      expect(second.data["a"]?.title).toBe("A2");
      await second.dispose();

      // Third start: everything settled, history kept.
      const third = await start(id, after.mutationFn);
      expect(third.getTransactions().map((t) => t.state)).toEqual(["completed", "completed", "completed"]);
      expect(third.data["a"]?.title).toBe("A");
    });

    it("orders transactions created before recovery finished behind the recovered ones", async () => {
      const id = uniqueId("early");
      const before = manualMutationFn<Todo>();
      const first = await start(id, before.mutationFn);
      const old = first.update("a", { title: "old" });
      await vi.waitFor(() => expect(before.calls).toHaveLength(1));
      await first.dispose();

      const after = manualMutationFn<Todo>();
      const second = createCollection<Todo>({
        sync: staticSync(id, [{ id: "a", title: "A" }]),
        initialData: [{ id: "a", title: "A" }],
        mutationFn: after.mutationFn,
        persistence: await open(),
        logger: quiet,
      });
      live.push(second);
      const early = second.update("a", { title: "early" }); // before recovery has loaded anything
      expect(early.state).toBe("pending");
      await second.ready;
      expect(early.state).toBe("queued");
      expect(early.queued_behind).toBe(old.id);
      expect(second.data["a"]?.title).toBe("early");
      await vi.waitFor(() => expect(after.calls).toHaveLength(1));
      expect(after.calls.map((c) => c.transaction.id)).toEqual([old.id]);
      after.calls[0]!.resolve();
      await second.whenSettled(old.id);
      await vi.waitFor(() => expect(after.calls).toHaveLength(2));
      expect(after.calls.map((c) => c.transaction.id)).toEqual([old.id, early.id]);
    });
  });
}

const quiet = { warn: () => {}, error: () => {} };
