/**
 * The optimistic client (`@kalphite/coordinator`) learns operation ids in call
 * order and knows only the operations it sent. After a reload the engine
 * also holds operations recovered from IndexedDB that this page never sent
 * through the client: their effects are already in the entity snapshot, the
 * engine pushes them again (same ids: the server applies each once), and
 * this facade keeps them out of the client's sight so it never mistakes one
 * for its own. When the server refuses a recovered operation, the facade asks
 * for the server's full state and hands it to the client as a reset patch,
 * which drops the refused effect.
 */
import type { EnginePatch, OptimisticEngine } from "@kalphite/coordinator";

type FailedHandler = Parameters<OptimisticEngine["onOperationFailed"]>[0];
type ConfirmedHandler = Parameters<NonNullable<OptimisticEngine["onOperationConfirmed"]>>[0];

/** Options of `hideRecoveredOperations`. */
export interface FacadeOptions {
  /** Ids of the operations found in storage at start. */
  recovered: ReadonlySet<number>;
  /** Fetches the server's full state (a reset pull). */
  fullState: () => Promise<EnginePatch>;
  /** Told of a refused recovered operation (the UI shows it like any refusal). */
  onRecoveredRejected: (operation: { id: number; name?: string }, error: string) => void;
  /** Where a failed resync goes. */
  onError: (error: unknown) => void;
}

/** An `OptimisticEngine` over `engine` that hides the recovered operations. */
export function hideRecoveredOperations(engine: OptimisticEngine, options: FacadeOptions): OptimisticEngine {
  // Ids only grow per client, so a recovered id never names a new operation: the set never shrinks.
  const recovered = new Set(options.recovered);
  const refused = new Set<number>();
  const patchHandlers: Array<(patch: EnginePatch) => void> = [];
  const mine = (op: { id: number }) => !recovered.has(op.id);
  engine.onStatePatch((patch) => {
    const visible: EnginePatch = patch.operations === undefined ? patch : { ...patch, operations: patch.operations.filter(mine) };
    for (const handler of patchHandlers) handler(visible);
  });
  engine.onOperationFailed(({ operation, error }) => {
    if (!recovered.has(operation.id) || refused.has(operation.id)) return;
    refused.add(operation.id);
    options.onRecoveredRejected(operation, error);
    options.fullState().then(
      (patch) => {
        for (const handler of patchHandlers) handler({ ...patch, reset: true, operations: [] });
      },
      (failure: unknown) => options.onError(failure),
    );
  });
  return {
    executeOperation: (name, args) => engine.executeOperation(name, args),
    getPendingOperations: () => engine.getPendingOperations().filter(mine),
    onStatePatch: (handler) => void patchHandlers.push(handler),
    onOperationConfirmed: (handler: ConfirmedHandler) => engine.onOperationConfirmed?.((op) => (mine(op) ? handler(op) : undefined)),
    onOperationFailed: (handler: FailedHandler) => engine.onOperationFailed((data) => (mine(data.operation) ? handler(data) : undefined)),
  };
}
