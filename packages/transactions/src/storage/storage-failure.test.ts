import { afterEach, describe, expect, it } from "vitest";
import type { Collection } from "../collection";
import { createCollection } from "../registry";
import { staticSync, uniqueId } from "../test-helpers";
import type { TransactionStorage } from "./types";

const live: Collection<any>[] = [];
afterEach(async () => {
  for (const c of live.splice(0)) await c.dispose();
});

const logger = () => {
  const errors: string[] = [];
  return { errors, logger: { warn: (m: string) => errors.push(m), error: (m: string) => errors.push(m) } };
};

describe("when persistence cannot be set up", () => {
  it("logs and works in memory when IndexedDB is missing (the default, in Node)", async () => {
    const { errors, logger: log } = logger();
    const c = createCollection({ sync: staticSync(uniqueId(), [{ id: "a", n: 1 }]), logger: log });
    live.push(c);
    await c.ready;
    expect(errors.some((m) => /storage .* could not be set up; .* memory only/.test(m))).toBe(true);
    const tx = c.update("a", { n: 2 });
    expect((await c.whenSettled(tx)).state).toBe("completed");
    expect(c.data["a"]).toEqual({ id: "a", n: 2 });
  });

  it("logs and keeps going in memory when a save fails later", async () => {
    const { errors, logger: log } = logger();
    const broken: TransactionStorage = {
      load: async () => [],
      save: () => Promise.reject(new Error("disk full")),
      remove: async () => {},
    };
    const c = createCollection({ sync: staticSync(uniqueId(), [{ id: "a", n: 1 }]), persistence: broken, logger: log });
    live.push(c);
    await c.ready;
    const t1 = c.update("a", { n: 2 });
    const t2 = c.update("a", { n: 3 });
    expect((await c.whenSettled(t1)).state).toBe("completed");
    expect((await c.whenSettled(t2)).state).toBe("completed");
    expect(errors.filter((m) => /memory only/.test(m))).toHaveLength(1);
  });

  it("skips unreadable records with a log line and recovers the rest", async () => {
    const { errors, logger: log } = logger();
    const id = uniqueId();
    const good = {
      version: 1 as const,
      collectionId: id,
      id: "ok",
      order: 1,
      transaction: {
        id: "ok",
        state: "completed" as const,
        created_at: "2026-01-01T00:00:00.000Z",
        updated_at: "2026-01-01T00:00:00.000Z",
        mutations: [],
        attempts: [],
        current_attempt: 0,
      },
    };
    const storage: TransactionStorage = {
      load: async () => [good, { ...good, id: "bad", transaction: { id: "bad", state: "weird" } as never }],
      save: async () => {},
      remove: async () => {},
    };
    const c = createCollection({ sync: staticSync(id), persistence: storage, logger: log });
    live.push(c);
    await c.ready;
    expect(c.getTransactions().map((t) => t.id)).toEqual(["ok"]);
    expect(errors.some((m) => /unreadable/.test(m))).toBe(true);
  });
});
