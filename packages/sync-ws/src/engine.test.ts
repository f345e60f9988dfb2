import { describe, expect, it } from "vitest";
import { eventually, makeEngine, startServer, todo } from "./test-helpers";
import type { RemoteChangeEvent } from "./types";

describe("NetworkSyncEngine over a real server", () => {
  it("connects, sends a change, and another client receives it", async () => {
    const server = await startServer();
    const a = makeEngine(server, { userId: "ada" });
    const b = makeEngine(server, { userId: "bob" });
    const seen: RemoteChangeEvent[] = [];
    b.on("remoteChange", (e) => seen.push(e));
    expect(a.getConnectionStatus()).toBe("disconnected");
    await a.connect();
    await b.connect();
    expect(a.getConnectionStatus()).toBe("connected");
    await a.sendChange({ type: "upsert", entityType: "todo", entityId: "t1", entity: todo("t1") });
    await a.flush();
    expect(a.getOfflineQueueSize()).toBe(0);
    await eventually(() => seen.length === 1, "b got the change");
    expect(seen[0]).toMatchObject({ type: "upsert", entityType: "todo", entityId: "t1", userId: "ada", entity: todo("t1") });
    expect(b.getEntity("todo", "t1")).toEqual(todo("t1"));
  });
});
