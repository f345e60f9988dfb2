import { afterEach, describe, expect, it, vi } from "vitest";
import { createOptimisticSyncCoordinator } from "./coordinator";
import { CoordinatorError } from "./errors";
import { applyPatch, type Patch } from "./json-patch";
import { clientWins, customStrategy, fieldLevelMerge, serverWins } from "./strategies";
import { inPlaceOwner } from "./test-owner";
import type { AtomKey } from "./types";

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as CoordinatorError).code;
  }
  return "no error";
};
const delta = (serverSeq: number, prevServerSeq: number | undefined, data: Record<string, Patch[]>, extra: { confirmedClientSeq?: number } = {}) => ({
  data: new Map<AtomKey, Patch[]>(Object.entries(data)),
  serverSeq,
  ...(prevServerSeq === undefined ? {} : { prevServerSeq }),
  ...extra,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("sequence numbers and registration", () => {
  it("generateClientSeq counts up from firstClientSeq", () => {
    const a = createOptimisticSyncCoordinator();
    expect([a.generateClientSeq(), a.generateClientSeq(), a.generateClientSeq()]).toEqual([1, 2, 3]);
    expect(createOptimisticSyncCoordinator({ firstClientSeq: 10 }).generateClientSeq()).toBe(10);
  });

  it("registerPendingMutation queues patches in order; getPendingPatches aggregates per atom and returns a copy", () => {
    const c = createOptimisticSyncCoordinator();
    const onChange = vi.fn();
    c.onStateChange(onChange);
    const sym = Symbol("atom");
    c.registerPendingMutation({ clientSeq: 1, mutationInfo: { name: "a" }, optimisticPatches: new Map<AtomKey, Patch[]>([["x", [{ op: "add", path: "/a", value: 1 }]], [sym, [{ op: "replace", path: "", value: 1 }]]]) });
    c.registerPendingMutation({ clientSeq: 2, mutationInfo: { name: "b" }, optimisticPatches: new Map([["x", [{ op: "remove", path: "/a" }]]]) });
    expect(onChange).toHaveBeenCalledTimes(2);
    const pending = c.getPendingPatches();
    expect(pending).toEqual(new Map<AtomKey, Patch[]>([["x", [{ op: "add", path: "/a", value: 1 }, { op: "remove", path: "/a" }]], [sym, [{ op: "replace", path: "", value: 1 }]]]));
    pending.get("x")!.length = 0;
    expect(c.getPendingPatches().get("x")).toHaveLength(2);
    expect(c.getPendingMutations().map((m) => m.mutationInfo)).toEqual([{ name: "a" }, { name: "b" }]);
  });

  it("refuses bad registrations with a clear error and registers nothing", () => {
    const c = createOptimisticSyncCoordinator();
    const ok = new Map([["x", [{ op: "add", path: "/a", value: 1 }]]]);
    c.registerPendingMutation({ clientSeq: 5, mutationInfo: null, optimisticPatches: ok });
    expect(code(() => c.registerPendingMutation({ clientSeq: 5, mutationInfo: null, optimisticPatches: ok }))).toBe("INVALID_ARGUMENT");
    expect(code(() => c.registerPendingMutation({ clientSeq: 4, mutationInfo: null, optimisticPatches: ok }))).toBe("INVALID_ARGUMENT");
    expect(code(() => c.registerPendingMutation({ clientSeq: 6.5, mutationInfo: null, optimisticPatches: ok }))).toBe("INVALID_ARGUMENT");
    expect(code(() => c.registerPendingMutation({ clientSeq: 6, mutationInfo: null, optimisticPatches: {} as never }))).toBe("INVALID_ARGUMENT");
    expect(code(() => c.registerPendingMutation({ clientSeq: 6, mutationInfo: null, optimisticPatches: new Map([["x", [{ op: "nope", path: "/a" }]]]) }))).toBe("INVALID_PATCH");
    expect(code(() => c.registerPendingMutation({ clientSeq: 6, mutationInfo: null, optimisticPatches: ok, inversePatches: new Map([["y", []]]) }))).toBe("INVALID_ARGUMENT");
    expect(code(() => c.registerPendingMutation(null as never))).toBe("INVALID_ARGUMENT");
    expect(c.getPendingMutations().map((m) => m.clientSeq)).toEqual([5]);
    // A registered clientSeq moves generateClientSeq past it.
    expect(c.generateClientSeq()).toBe(6);
  });

  it("computes inverse patches through readState when none are given (state read before the patches apply)", () => {
    const state = new Map<AtomKey, unknown>([["x", { a: 1 }]]);
    const c = createOptimisticSyncCoordinator({ readState: (atom) => state.get(atom) });
    const rollback = vi.fn();
    c.onRollback(rollback);
    const patches = [{ op: "replace", path: "/a", value: 2 }];
    c.registerPendingMutation({ clientSeq: 1, mutationInfo: null, optimisticPatches: new Map([["x", patches]]) });
    state.set("x", applyPatch(state.get("x"), patches));
    c.rejectMutation(1);
    expect(rollback.mock.calls[0]![0]).toEqual(new Map([["x", [{ op: "replace", path: "/a", value: 1 }]]]));
  });
});

describe("confirmMutation", () => {
  it("removes the mutation from the pending patches and signals a state change; unknown and repeated seqs are ignored", () => {
    const c = createOptimisticSyncCoordinator();
    c.registerPendingMutation({ clientSeq: 1, mutationInfo: null, optimisticPatches: new Map([["x", [{ op: "add", path: "/a", value: 1 }]]]) });
    const onChange = vi.fn();
    c.onStateChange(onChange);
    c.confirmMutation(1);
    expect(c.getPendingPatches().size).toBe(0);
    expect(onChange).toHaveBeenCalledTimes(1);
    c.confirmMutation(1);
    c.confirmMutation(99);
    const rollback = vi.fn();
    c.onRollback(rollback);
    c.rejectMutation(1);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(rollback).not.toHaveBeenCalled();
  });
});

describe("rejectMutation", () => {
  it("calls onRollback with the mutation's inverse patches, its info and the error, then onStateChange", () => {
    const owner = inPlaceOwner({ todo: { title: "A" } });
    const seq = owner.mutate({ todo: [{ op: "replace", path: "/title", value: "B" }] }, { name: "rename" });
    const rollback = vi.fn();
    const order: string[] = [];
    owner.coordinator.onRollback((patches, info) => {
      rollback(patches, info);
      order.push("rollback");
    });
    owner.coordinator.onStateChange(() => order.push("change"));
    const reason = new Error("forbidden");
    owner.coordinator.rejectMutation(seq, reason);
    expect(rollback).toHaveBeenCalledWith(new Map([["todo", [{ op: "replace", path: "/title", value: "A" }]]]), { clientSeq: seq, mutationInfo: { name: "rename" }, error: reason });
    expect(order).toEqual(["rollback", "change"]);
    expect(owner.view("todo")).toEqual({ title: "A" });
    expect(owner.coordinator.getPendingPatches().size).toBe(0);
  });

  it("is correct when later mutations touched the same paths (confirmed + remaining pending in order)", () => {
    const owner = inPlaceOwner({ todo: { title: "A", tags: ["x"] } });
    const m1 = owner.mutate({ todo: [{ op: "replace", path: "/title", value: "B" }, { op: "add", path: "/tags/-", value: "y" }] });
    const m2 = owner.mutate({ todo: [{ op: "replace", path: "/title", value: "C" }, { op: "add", path: "/tags/0", value: "z" }] });
    const m3 = owner.mutate({ todo: [{ op: "remove", path: "/tags/1" }] });
    expect(owner.view("todo")).toEqual({ title: "C", tags: ["z", "y"] });
    owner.coordinator.rejectMutation(m1);
    // confirmed {A, [x]} + m2 → {C, [z, x]} + m3 → {C, [z]}
    expect(owner.view("todo")).toEqual({ title: "C", tags: ["z"] });
    owner.coordinator.rejectMutation(m2);
    // m3 (remove /tags/1) no longer fits {A, [x]}: it has no effect but stays pending.
    expect(owner.view("todo")).toEqual({ title: "A", tags: ["x"] });
    expect(owner.coordinator.getPendingMutations().map((m) => m.clientSeq)).toEqual([m3]);
    owner.coordinator.rejectMutation(m3);
    expect(owner.view("todo")).toEqual({ title: "A", tags: ["x"] });
  });

  it("without readState the first rollback is still exact: undo the later ones, the rejected one, redo the later ones", () => {
    const owner = inPlaceOwner({ todo: { title: "A" } }, { withReadState: false });
    const m1 = owner.mutate({ todo: [{ op: "replace", path: "/title", value: "B" }] });
    owner.mutate({ todo: [{ op: "replace", path: "/title", value: "C" }] });
    const rollback = vi.fn();
    owner.coordinator.onRollback(rollback);
    owner.coordinator.rejectMutation(m1);
    expect(rollback.mock.calls[0]![0].get("todo")).toEqual([
      { op: "replace", path: "/title", value: "B" },
      { op: "replace", path: "/title", value: "A" },
      { op: "replace", path: "/title", value: "C" },
    ]);
    expect(owner.view("todo")).toEqual({ title: "C" });
  });

  it("without readState, confirmed mutations before the oldest pending one are let go; a later rollback is still exact", () => {
    const owner = inPlaceOwner({ todo: { title: "A" } }, { withReadState: false });
    const m1 = owner.mutate({ todo: [{ op: "replace", path: "/title", value: "B" }] });
    const m2 = owner.mutate({ todo: [{ op: "replace", path: "/title", value: "C" }] });
    owner.coordinator.confirmMutation(m1);
    owner.coordinator.rejectMutation(m2);
    expect(owner.view("todo")).toEqual({ title: "B" });
    expect(owner.coordinator.getPendingMutations()).toEqual([]);
  });

  it("a later mutation that needed the rejected one has no effect until its base comes back", () => {
    const owner = inPlaceOwner({ todos: {} });
    const add = owner.mutate({ todos: [{ op: "add", path: "/t1", value: { title: "a" } }] });
    owner.mutate({ todos: [{ op: "replace", path: "/t1/title", value: "b" }] });
    owner.coordinator.rejectMutation(add);
    expect(owner.view("todos")).toEqual({});
    expect(owner.coordinator.getPendingPatches().get("todos")).toEqual([{ op: "replace", path: "/t1/title", value: "b" }]);
    owner.coordinator.processServerDelta(delta(1, 0, { todos: [{ op: "add", path: "/t1", value: { title: "server" } }] }), clientWins);
    expect(owner.view("todos")).toEqual({ t1: { title: "b" } });
  });

  it("leaves other atoms alone and ignores unknown seqs", () => {
    const owner = inPlaceOwner({ a: { n: 0 }, b: { n: 0 } });
    const m1 = owner.mutate({ a: [{ op: "replace", path: "/n", value: 1 }] });
    owner.mutate({ b: [{ op: "replace", path: "/n", value: 2 }] });
    const rollback = vi.fn();
    owner.coordinator.onRollback(rollback);
    owner.coordinator.rejectMutation(42);
    expect(rollback).not.toHaveBeenCalled();
    owner.coordinator.rejectMutation(m1);
    expect([...rollback.mock.calls[0]![0].keys()]).toEqual(["a"]);
    expect(owner.view("b")).toEqual({ n: 2 });
  });

  it("reports, instead of throwing, when a mutation registered without inverses is rejected with no readState", () => {
    const onError = vi.fn();
    const c = createOptimisticSyncCoordinator({ onError });
    c.registerPendingMutation({ clientSeq: 1, mutationInfo: null, optimisticPatches: new Map([["x", [{ op: "add", path: "/a", value: 1 }]]]) });
    const rollback = vi.fn();
    c.onRollback(rollback);
    c.rejectMutation(1);
    expect(rollback.mock.calls[0]![0]).toEqual(new Map());
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(CoordinatorError);
    expect(c.getPendingPatches().size).toBe(0);
  });
});

describe("processServerDelta: ordering", () => {
  const setup = () => {
    const c = createOptimisticSyncCoordinator();
    const applied: unknown[] = [];
    c.onApplyDelta((d) => applied.push(d));
    const resyncs: unknown[] = [];
    c.onResync((r) => resyncs.push(r));
    const d = (serverSeq: number, prevServerSeq?: number) => delta(serverSeq, prevServerSeq, { x: [{ op: "add", path: `/s${serverSeq}`, value: serverSeq }] });
    const seqsApplied = () => applied.map((m) => Object.keys(applyPatch({}, (m as Map<string, Patch[]>).get("x")!)).join());
    return { c, applied, resyncs, d, seqsApplied };
  };

  it("applies in order, advances the confirmed seq and ignores duplicates", () => {
    const { c, d, seqsApplied } = setup();
    c.processServerDelta(d(1, 0), clientWins);
    c.processServerDelta(d(1, 0), clientWins);
    c.processServerDelta(d(2, 1), clientWins);
    c.processServerDelta(d(1, 0), clientWins);
    expect(seqsApplied()).toEqual(["s1", "s2"]);
    expect(c.getConfirmedServerSeq()).toBe(2);
  });

  it("holds a delta after a gap and applies it once the missing one arrives", () => {
    const { c, d, seqsApplied } = setup();
    c.processServerDelta(d(3, 2), clientWins);
    c.processServerDelta(d(2, 1), clientWins);
    c.processServerDelta(d(3, 2), clientWins);
    expect(seqsApplied()).toEqual([]);
    c.processServerDelta(d(1, 0), clientWins);
    expect(seqsApplied()).toEqual(["s1", "s2", "s3"]);
    expect(c.getConfirmedServerSeq()).toBe(3);
  });

  it("without prevServerSeq applies anything newer than the confirmed seq", () => {
    const { c, d, seqsApplied } = setup();
    c.processServerDelta(d(5), clientWins);
    c.processServerDelta(d(3), clientWins);
    expect(seqsApplied()).toEqual(["s5"]);
  });

  it("asks for a resync when a gap does not fill within gapTimeoutMs", async () => {
    vi.useFakeTimers();
    const c = createOptimisticSyncCoordinator({ gapTimeoutMs: 1000 });
    const resync = vi.fn();
    c.onResync(resync);
    c.processServerDelta(delta(3, 2, {}), clientWins);
    await vi.advanceTimersByTimeAsync(999);
    expect(resync).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(resync).toHaveBeenCalledWith({ confirmedServerSeq: 0, heldServerSeqs: [3], reason: "gap" });
    // The owner loads a full state at seq 2; the held delta then applies.
    const applied = vi.fn();
    c.onApplyDelta(applied);
    c.resetServerSeq(2);
    expect(applied).toHaveBeenCalledTimes(1);
    expect(c.getConfirmedServerSeq()).toBe(3);
    c.dispose();
  });

  it("does not ask for a resync when the gap fills in time", async () => {
    vi.useFakeTimers();
    const c = createOptimisticSyncCoordinator({ gapTimeoutMs: 1000 });
    const resync = vi.fn();
    c.onResync(resync);
    c.processServerDelta(delta(2, 1, {}), clientWins);
    await vi.advanceTimersByTimeAsync(500);
    c.processServerDelta(delta(1, 0, {}), clientWins);
    await vi.advanceTimersByTimeAsync(5000);
    expect(resync).not.toHaveBeenCalled();
  });

  it("asks for a resync at once when more than maxHeldDeltas are held, or a delta overlaps the confirmed seq", () => {
    const c = createOptimisticSyncCoordinator({ maxHeldDeltas: 1 });
    const resync = vi.fn();
    c.onResync(resync);
    c.processServerDelta(delta(3, 2, {}), clientWins);
    expect(resync).not.toHaveBeenCalled();
    c.processServerDelta(delta(5, 4, {}), clientWins);
    expect(resync).toHaveBeenLastCalledWith({ confirmedServerSeq: 0, heldServerSeqs: [3, 5], reason: "gap" });
    c.resetServerSeq(4);
    c.processServerDelta(delta(8, 3, {}), clientWins);
    expect(resync).toHaveBeenLastCalledWith({ confirmedServerSeq: 5, heldServerSeqs: [], reason: "overlap" });
    c.dispose();
  });

  it("refuses malformed messages and strategies with clear errors, changing nothing", () => {
    const { c, applied } = setup();
    expect(code(() => c.processServerDelta(null as never, clientWins))).toBe("INVALID_DELTA");
    expect(code(() => c.processServerDelta({ data: {}, serverSeq: 1.5 }, clientWins))).toBe("INVALID_DELTA");
    expect(code(() => c.processServerDelta({ data: {}, serverSeq: 2, prevServerSeq: 2 }, clientWins))).toBe("INVALID_DELTA");
    expect(code(() => c.processServerDelta({ data: {}, serverSeq: 2, confirmedClientSeq: Number.NaN }, clientWins))).toBe("INVALID_DELTA");
    expect(code(() => c.processServerDelta({ data: {}, serverSeq: 1 }, {} as never))).toBe("INVALID_ARGUMENT");
    expect(code(() => c.processServerDelta({ data: [1, 2], serverSeq: 1 }, clientWins))).toBe("DELTA_FAILED");
    expect(code(() => c.processServerDelta({ data: "nope", serverSeq: 1 }, clientWins))).toBe("DELTA_FAILED");
    expect(applied).toEqual([]);
    expect(c.getConfirmedServerSeq()).toBe(0);
  });

  it("a delta that does not apply to an in-place state throws DELTA_FAILED, requests a resync and changes nothing", () => {
    const owner = inPlaceOwner({ x: { a: 1 } });
    owner.mutate({ x: [{ op: "replace", path: "/a", value: 2 }] });
    const resync = vi.fn();
    owner.coordinator.onResync(resync);
    expect(code(() => owner.coordinator.processServerDelta(delta(1, 0, { x: [{ op: "remove", path: "/missing" }] }), clientWins))).toBe("DELTA_FAILED");
    expect(resync).toHaveBeenCalledWith(expect.objectContaining({ reason: "delta-failed" }));
    expect(owner.view("x")).toEqual({ a: 2 });
    expect(owner.coordinator.getConfirmedServerSeq()).toBe(0);
    expect(owner.coordinator.getPendingPatches().get("x")).toHaveLength(1);
  });
});

describe("processServerDelta: settling and rebasing", () => {
  it("settles confirmed mutations and those up to confirmedClientSeq; the rest are rebased on the delta (one rebase, one state change)", () => {
    const owner = inPlaceOwner({ x: { n: 0, list: [] as number[] } });
    const m1 = owner.mutate({ x: [{ op: "add", path: "/list/-", value: 1 }] });
    const m2 = owner.mutate({ x: [{ op: "add", path: "/list/-", value: 2 }] });
    owner.mutate({ x: [{ op: "add", path: "/list/-", value: 3 }] });
    owner.coordinator.confirmMutation(m1);
    const rebases = vi.fn();
    const changes = vi.fn();
    const pendingSeen: unknown[] = [];
    owner.coordinator.onRebase(rebases);
    owner.coordinator.onStateChange(changes);
    const strategy = customStrategy({
      resolve: (d: Map<AtomKey, Patch[]>, pending) => {
        pendingSeen.push(pending);
        return d;
      },
    });
    // The server applied m1 and m2 and someone else's n = 7.
    owner.coordinator.processServerDelta(
      delta(1, 0, { x: [{ op: "add", path: "/list/-", value: 1 }, { op: "add", path: "/list/-", value: 2 }, { op: "replace", path: "/n", value: 7 }] }, { confirmedClientSeq: m2 }),
      strategy,
    );
    expect(pendingSeen).toEqual([new Map([["x", [{ op: "add", path: "/list/-", value: 3 }]]])]);
    expect(owner.view("x")).toEqual({ n: 7, list: [1, 2, 3] });
    expect(rebases).toHaveBeenCalledTimes(1);
    expect(changes).toHaveBeenCalledTimes(1);
    expect(owner.coordinator.getPendingMutations().map((m) => m.clientSeq)).toEqual([3]);
  });

  it("serverWins drops the pending writes the delta overrides; the mutation stays pending", () => {
    const owner = inPlaceOwner({ t: { title: "A", done: false } });
    owner.mutate({ t: [{ op: "replace", path: "/title", value: "mine" }, { op: "replace", path: "/done", value: true }] });
    owner.coordinator.processServerDelta(delta(1, 0, { t: [{ op: "replace", path: "/title", value: "theirs" }] }), serverWins);
    expect(owner.view("t")).toEqual({ title: "theirs", done: true });
    expect(owner.coordinator.getPendingPatches().get("t")).toEqual([{ op: "replace", path: "/done", value: true }]);
    expect(owner.coordinator.getPendingMutations()).toHaveLength(1);
  });

  it("clientWins re-applies pending patches on top of the delta", () => {
    const owner = inPlaceOwner({ t: { title: "A", done: false } });
    owner.mutate({ t: [{ op: "replace", path: "/title", value: "mine" }] });
    owner.coordinator.processServerDelta(delta(1, 0, { t: [{ op: "replace", path: "/title", value: "theirs" }, { op: "replace", path: "/done", value: true }] }), clientWins);
    expect(owner.view("t")).toEqual({ title: "mine", done: true });
  });

  it("fieldLevelMerge: the server wins on the fields it wrote, the client on the others", () => {
    const owner = inPlaceOwner({ todos: { t1: { title: "A", done: false, n: 0 } } });
    owner.mutate({ todos: [{ op: "replace", path: "/t1", value: { title: "mine", done: false, n: 0 } }] });
    owner.mutate({ todos: [{ op: "replace", path: "/t1/n", value: 5 }] });
    owner.coordinator.processServerDelta(delta(1, 0, { todos: [{ op: "replace", path: "/t1/done", value: true }, { op: "replace", path: "/t1/n", value: 9 }] }), fieldLevelMerge);
    // The client's object write keeps its title and takes the server's done and n; the client's exact write of n loses.
    expect(owner.view("todos")).toEqual({ t1: { title: "mine", done: true, n: 9 } });
    expect(owner.coordinator.getPendingMutations().map((m) => m.optimisticPatches.get("todos") ?? [])).toEqual([
      [{ op: "replace", path: "/t1", value: { title: "mine", done: true, n: 9 } }],
      [],
    ]);
  });

  it("fieldLevelMerge keeps a client field write below an object the server replaced", () => {
    const owner = inPlaceOwner({ todos: { t1: { title: "A", done: false } } });
    owner.mutate({ todos: [{ op: "replace", path: "/t1/title", value: "mine" }] });
    owner.coordinator.processServerDelta(delta(1, 0, { todos: [{ op: "replace", path: "/t1", value: { title: "B", done: true } }] }), fieldLevelMerge);
    expect(owner.view("todos")).toEqual({ t1: { title: "mine", done: true } });
  });

  it("a bare Patch[] delta (single-atom owners) is resolved as it is and compared with every atom's pending patches", () => {
    const c = createOptimisticSyncCoordinator();
    const applied = vi.fn();
    c.onApplyDelta(applied);
    c.registerPendingMutation({ clientSeq: 1, mutationInfo: null, optimisticPatches: new Map([["doc", [{ op: "replace", path: "/a", value: 1 }, { op: "replace", path: "/b", value: 1 }]]]) });
    const delta: Patch[] = [{ op: "replace", path: "/a", value: 2 }];
    c.processServerDelta({ data: delta, serverSeq: 1, prevServerSeq: 0 }, serverWins);
    expect(applied).toHaveBeenCalledWith(delta);
    expect(c.getPendingPatches()).toEqual(new Map([["doc", [{ op: "replace", path: "/b", value: 1 }]]]));
  });

  it("the recompute owner (confirmed + getPendingPatches) sees the same state as the in-place one", () => {
    let confirmed = new Map<AtomKey, unknown>([["t", { title: "A", done: false }]]);
    // No inverse patches and no readState: this owner recomputes, so the rollback's missing patches are only reported.
    const c = createOptimisticSyncCoordinator({ onError: () => {} });
    c.onApplyDelta((resolved: Map<AtomKey, Patch[]>) => {
      confirmed = new Map(confirmed);
      for (const [atom, p] of resolved) confirmed.set(atom, applyPatch(confirmed.get(atom), p));
    });
    let optimistic = confirmed;
    c.onStateChange(() => {
      optimistic = new Map(confirmed);
      for (const [atom, p] of c.getPendingPatches()) optimistic.set(atom, applyPatch(optimistic.get(atom), p));
    });
    c.registerPendingMutation({ clientSeq: 1, mutationInfo: null, optimisticPatches: new Map([["t", [{ op: "replace", path: "/title", value: "mine" }]]]) });
    expect(optimistic.get("t")).toEqual({ title: "mine", done: false });
    c.processServerDelta({ data: { t: [{ op: "replace", path: "/done", value: true }] }, serverSeq: 1 }, serverWins);
    expect(optimistic.get("t")).toEqual({ title: "mine", done: true });
    c.rejectMutation(1);
    expect(optimistic.get("t")).toEqual({ title: "A", done: true });
  });

  it("customStrategy checks its definition; a throwing strategy fails the delta with DELTA_FAILED and keeps its cause", () => {
    expect(code(() => customStrategy({} as never))).toBe("INVALID_ARGUMENT");
    expect(code(() => customStrategy({ resolve: () => 1, rebasePending: 1 as never }))).toBe("INVALID_ARGUMENT");
    const c = createOptimisticSyncCoordinator();
    const boom = new Error("boom");
    try {
      c.processServerDelta({ data: 1, serverSeq: 1 }, customStrategy({ resolve: () => { throw boom; } }));
      expect.unreachable();
    } catch (error) {
      expect((error as CoordinatorError).code).toBe("DELTA_FAILED");
      expect((error as CoordinatorError).cause).toBe(boom);
    }
    // A custom resolved delta of any shape reaches onApplyDelta as it is.
    const applied = vi.fn();
    c.onApplyDelta(applied);
    c.processServerDelta({ data: "snapshot", serverSeq: 1 }, customStrategy({ resolve: (d: string) => ({ full: d }) }));
    expect(applied).toHaveBeenCalledWith({ full: "snapshot" });
  });
});

describe("subscriptions", () => {
  it("each on* returns its unsubscribe; a throwing listener does not stop the others", () => {
    const onError = vi.fn();
    const c = createOptimisticSyncCoordinator({ onError });
    const second = vi.fn();
    c.onStateChange(() => {
      throw new Error("listener bug");
    });
    const off = c.onStateChange(second);
    c.registerPendingMutation({ clientSeq: 1, mutationInfo: null, optimisticPatches: new Map() });
    expect(second).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledTimes(1);
    off();
    c.confirmMutation(1);
    expect(second).toHaveBeenCalledTimes(1);
    for (const on of [c.onApplyDelta, c.onRollback, c.onRebase, c.onResync]) expect(typeof on(() => {})).toBe("function");
  });

  it("dispose drops listeners and held deltas", () => {
    const c = createOptimisticSyncCoordinator();
    const change = vi.fn();
    c.onStateChange(change);
    c.processServerDelta(delta(2, 1, {}), clientWins);
    c.dispose();
    c.registerPendingMutation({ clientSeq: 1, mutationInfo: null, optimisticPatches: new Map() });
    expect(change).not.toHaveBeenCalled();
    c.processServerDelta(delta(1, 0, {}), clientWins);
    expect(c.getConfirmedServerSeq()).toBe(1);
  });
});
