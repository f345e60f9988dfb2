/**
 * The model-based property of the issue: random mutations with random patches,
 * random confirm / reject / delivery orders of server deltas with duplicates
 * and gaps; after every step the in-place optimistic state equals the model's
 * confirmed state plus the remaining mutations applied in order (a mutation
 * whose patch no longer fits an atom has no effect there).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPatch, type Patch } from "./json-patch";
import { clientWins, fieldLevelMerge, serverWins, type PatchConflictStrategy } from "./strategies";
import { jsonObject, opIntent, realizePatch, type OpIntent } from "./test-arbitraries";
import { inPlaceOwner } from "./test-owner";
import type { AtomKey } from "./types";

const ATOMS = ["a", "b"] as const;

type Action =
  | { t: "mutate"; atoms: number; intents: OpIntent[] }
  | { t: "confirm"; pick: number }
  | { t: "reject"; pick: number }
  | { t: "serverStep"; atoms: number; intents: OpIntent[] }
  | { t: "deliver"; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("mutate" as const), atoms: fc.integer({ min: 1, max: 3 }), intents: fc.array(opIntent, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("confirm" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("reject" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("serverStep" as const), atoms: fc.integer({ min: 1, max: 3 }), intents: fc.array(opIntent, { minLength: 1, maxLength: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("deliver" as const), pick: fc.nat() }) },
);

const applies = (document: unknown, patch: Patch[]): { ok: true; document: unknown } | { ok: false } => {
  try {
    return { ok: true, document: applyPatch(document, patch) };
  } catch {
    return { ok: false };
  }
};

function run(strategy: PatchConflictStrategy, initial: Record<string, unknown>, actions: Action[]) {
  const owner = inPlaceOwner(initial);
  const { coordinator } = owner;
  // Model: the confirmed (server) state, the unsettled mutations, the server's deltas.
  let base = new Map<AtomKey, unknown>(Object.entries(initial));
  let model: { seq: number; patches: Map<AtomKey, Patch[]>; confirmed: boolean }[] = [];
  const server = { docs: new Map<AtomKey, unknown>(Object.entries(initial)), deltas: [] as { seq: number; data: Map<AtomKey, Patch[]>; docs: Map<AtomKey, unknown> }[] };
  const delivered = new Set<number>();
  let applied = 0;

  const expected = () => {
    const out = new Map(base);
    for (const m of model) {
      for (const [atom, patch] of m.patches) {
        const r = applies(out.get(atom), patch);
        if (r.ok) out.set(atom, r.document);
      }
    }
    return out;
  };
  const check = () => {
    const want = expected();
    for (const atom of ATOMS) expect(owner.state.get(atom)).toEqual(want.get(atom));
    const pending = new Map<AtomKey, Patch[]>();
    for (const m of model) if (!m.confirmed) for (const [atom, p] of m.patches) if (p.length) pending.set(atom, [...(pending.get(atom) ?? []), ...p]);
    expect(coordinator.getPendingPatches()).toEqual(pending);
    expect(coordinator.getConfirmedServerSeq()).toBe(applied);
  };

  for (const a of actions) {
    switch (a.t) {
      case "mutate": {
        const patches: Record<string, Patch[]> = {};
        ATOMS.forEach((atom, i) => {
          if (a.atoms & (1 << i)) patches[atom] = realizePatch(owner.state.get(atom), a.intents);
        });
        const seq = owner.mutate(patches);
        model.push({ seq, patches: new Map(Object.entries(patches)), confirmed: false });
        break;
      }
      case "confirm":
      case "reject": {
        const open = model.filter((m) => !m.confirmed);
        // Sometimes an unknown or settled seq, to check those are ignored.
        const seq = open.length === 0 || a.pick % 5 === 0 ? (a.pick % 7) + 1 : open[a.pick % open.length]!.seq;
        const target = model.find((m) => m.seq === seq && !m.confirmed);
        if (a.t === "confirm") {
          coordinator.confirmMutation(seq);
          if (target) target.confirmed = true;
        } else {
          coordinator.rejectMutation(seq, new Error("no"));
          if (target) model = model.filter((m) => m !== target);
        }
        break;
      }
      case "serverStep": {
        const data = new Map<AtomKey, Patch[]>();
        ATOMS.forEach((atom, i) => {
          if (!(a.atoms & (1 << i))) return;
          const patch = realizePatch(server.docs.get(atom), a.intents);
          data.set(atom, patch);
          server.docs.set(atom, applyPatch(server.docs.get(atom), patch));
        });
        server.deltas.push({ seq: server.deltas.length + 1, data, docs: new Map(server.docs) });
        break;
      }
      case "deliver": {
        if (server.deltas.length === 0) break;
        const d = server.deltas[a.pick % server.deltas.length]!;
        coordinator.processServerDelta({ data: d.data, serverSeq: d.seq, prevServerSeq: d.seq - 1 }, strategy);
        delivered.add(d.seq);
        while (delivered.has(applied + 1)) {
          const next = server.deltas[applied]!;
          applied++;
          base = new Map(next.docs);
          model = model.filter((m) => !m.confirmed);
          if (strategy.rebasePending) {
            for (const m of model) {
              m.patches = strategy.rebasePending(next.data, m.patches, { clientSeq: m.seq, mutationInfo: {}, optimisticPatches: m.patches, inversePatches: new Map() });
            }
          }
        }
        break;
      }
    }
    check();
  }
  coordinator.dispose();
}

describe("coordinator against a model", () => {
  const docs = fc.record({ a: jsonObject, b: jsonObject });
  for (const [name, strategy] of [["clientWins", clientWins], ["serverWins", serverWins], ["fieldLevelMerge", fieldLevelMerge]] as const) {
    it(`${name}: optimistic state == confirmed + remaining pending in order, through confirms, rejects, duplicate and out-of-order deltas`, () => {
      fc.assert(
        fc.property(docs, fc.array(action, { maxLength: 40 }), (initial, actions) => run(strategy, initial, actions)),
        { numRuns: 150 },
      );
    });
  }
});
