import { KalphiteError, StoreErrorCode } from "../errors";

/** `what` was used after `dispose()`. */
export function disposedError(what: string, operation: string): KalphiteError {
  return new KalphiteError(
    StoreErrorCode.ViewDisposed,
    `${what}.${operation}: this live view was disposed (directly, through the view it was built on, or because the only view built on it was disposed); build a new one from collection.live`,
  );
}

/** A bad argument to a live query step. */
export function argumentError(message: string): KalphiteError {
  return new KalphiteError(StoreErrorCode.InvalidArgument, message);
}

/** A write through a read-only view. */
export function readOnlyError(what: string, operation: string): KalphiteError {
  return new KalphiteError(
    StoreErrorCode.UnsupportedMutation,
    `${what}: ${operation} is not supported: live views are read-only and follow the store. Write through the collection (upsert, delete, update); for a mutable copy use [...view] or view.slice().`,
  );
}

/** Several callbacks threw during one store notification: reported together. */
export function combineErrors(errors: readonly unknown[]): unknown {
  return errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} live view callbacks threw`);
}
