import { describe, expect, it, vi } from "vitest";
import type { EnginePatch, OptimisticEngine } from "@kalphite/coordinator";
import { hideRecoveredOperations } from "./engine-facade";

/** A fake engine that records handlers, so the test can play the server's answers. */
function fakeEngine(pending: Array<{ id: number; name: string }>) {
  const handlers = { patch: [] as Array<(p: EnginePatch) => void>, confirmed: [] as Array<(o: { id: number }) => void>, failed: [] as Array<(d: { operation: { id: number; name?: string }; error: string }) => void> };
  const engine: OptimisticEngine = {
    executeOperation: vi.fn(async (name: string) => void pending.push({ id: pending.length + 10, name })),
    getPendingOperations: () => pending,
    onStatePatch: (h) => void handlers.patch.push(h),
    onOperationConfirmed: (h) => void handlers.confirmed.push(h),
    onOperationFailed: (h) => void handlers.failed.push(h),
  };
  return { engine, handlers };
}

describe("hideRecoveredOperations", () => {
  it("hides recovered operations from pending lists, patches, confirmations and failures", async () => {
    const { engine, handlers } = fakeEngine([{ id: 1, name: "addTodo" }, { id: 2, name: "editTodo" }, { id: 3, name: "addTodo" }]);
    const onRecoveredRejected = vi.fn();
    const fullState = vi.fn(async (): Promise<EnginePatch> => ({ entities: [{ id: "t1", type: "todo" }] }));
    const facade = hideRecoveredOperations(engine, { recovered: new Set([1, 2]), fullState, onRecoveredRejected, onError: vi.fn() });
    expect(facade.getPendingOperations().map((o) => o.id)).toEqual([3]);

    const patches: EnginePatch[] = [];
    facade.onStatePatch((p) => void patches.push(p));
    const confirmed = vi.fn();
    const failed = vi.fn();
    facade.onOperationConfirmed!(confirmed);
    facade.onOperationFailed(failed);

    for (const h of handlers.patch) h({ entities: [], operations: [{ id: 1 }, { id: 3 }] });
    expect(patches).toEqual([{ entities: [], operations: [{ id: 3 }] }]);
    for (const h of handlers.confirmed) h({ id: 2 });
    for (const h of handlers.confirmed) h({ id: 3 });
    expect(confirmed.mock.calls).toEqual([[{ id: 3 }]]);

    // A refused recovered operation: reported, and the server's full state handed on as a reset.
    for (const h of handlers.failed) h({ operation: { id: 2, name: "editTodo" }, error: "no todo" });
    expect(failed).not.toHaveBeenCalled();
    expect(onRecoveredRejected).toHaveBeenCalledWith({ id: 2, name: "editTodo" }, "no todo");
    await vi.waitFor(() => expect(patches).toHaveLength(2));
    expect(patches[1]).toEqual({ entities: [{ id: "t1", type: "todo" }], reset: true, operations: [] });
    // Told twice (a duplicate answer): one report, one resync.
    for (const h of handlers.failed) h({ operation: { id: 2, name: "editTodo" }, error: "no todo" });
    expect(onRecoveredRejected).toHaveBeenCalledTimes(1);
    expect(fullState).toHaveBeenCalledTimes(1);
    // The client's own refusals pass through.
    for (const h of handlers.failed) h({ operation: { id: 3 }, error: "refused" });
    expect(failed).toHaveBeenCalledWith({ operation: { id: 3 }, error: "refused" });
  });

  it("reports a resync that fails", async () => {
    const { engine, handlers } = fakeEngine([{ id: 1, name: "addTodo" }]);
    const onError = vi.fn();
    hideRecoveredOperations(engine, { recovered: new Set([1]), fullState: () => Promise.reject(new Error("offline")), onRecoveredRejected: vi.fn(), onError });
    for (const h of handlers.failed) h({ operation: { id: 1 }, error: "x" });
    await vi.waitFor(() => expect(onError).toHaveBeenCalledWith(new Error("offline")));
  });

  it("passes operations through to the engine", async () => {
    const { engine } = fakeEngine([]);
    const facade = hideRecoveredOperations(engine, { recovered: new Set(), fullState: vi.fn(), onRecoveredRejected: vi.fn(), onError: vi.fn() });
    await facade.executeOperation("addTodo", [{ id: "t1" }]);
    expect(engine.executeOperation).toHaveBeenCalledWith("addTodo", [{ id: "t1" }]);
    expect(facade.getPendingOperations()).toEqual([{ id: 10, name: "addTodo" }]);
  });
});
