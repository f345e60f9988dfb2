import { NonRetriableError, TransactionsError, TransactionsErrorCode } from "./errors";
import type { Attempt, PendingMutation, Transaction, TransactionState } from "./types";

/** An `Error` as stored: enough to rebuild one with the same name, message and code. */
export interface StoredError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** A transaction as stored: the same fields, dates as ISO strings, errors as {@link StoredError}. */
export interface StoredTransaction {
  id: string;
  state: TransactionState;
  created_at: string;
  updated_at: string;
  mutations: Array<
    Omit<PendingMutation, "created_at" | "updated_at"> & { created_at: string; updated_at: string }
  >;
  attempts: Array<{
    id: string;
    started_at: string;
    completed_at?: string;
    error?: StoredError;
    retry_scheduled_for?: string;
  }>;
  current_attempt: number;
  queued_behind?: string;
  error?: { transaction_id?: string; message: string; error: StoredError };
}

/** One stored record: a transaction of one collection. @see TransactionStorage */
export interface PersistedTransaction {
  /** Format version. */
  version: 1;
  /** The `sync.id` of the collection. */
  collectionId: string;
  /** The transaction id (key within the collection). */
  id: string;
  /** Creation order among transactions created in the same millisecond (ties of `created_at`). */
  order: number;
  transaction: StoredTransaction;
}

const STATES: ReadonlySet<string> = new Set(["queued", "pending", "persisting", "persisted_awaiting_sync", "completed", "failed"]);

function encodeError(error: Error): StoredError {
  const out: StoredError = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") out.code = code;
  if (typeof error.stack === "string") out.stack = error.stack;
  return out;
}

function decodeError(stored: StoredError): Error {
  let error: Error;
  if (stored.name === "NonRetriableError") error = new NonRetriableError(stored.message);
  else if (stored.name === "TransactionsError" && stored.code !== undefined && isCode(stored.code)) {
    error = new TransactionsError(stored.code, stored.message);
  } else {
    error = new Error(stored.message);
    error.name = stored.name;
    if (stored.code !== undefined) (error as Error & { code?: string }).code = stored.code;
  }
  if (stored.stack !== undefined) error.stack = stored.stack;
  return error;
}

const CODES: ReadonlySet<string> = new Set(Object.values(TransactionsErrorCode));
const isCode = (code: string): code is TransactionsErrorCode => CODES.has(code);

/** `transaction` in the stored format (JSON-safe, every field kept, `changes` included). */
export function encodeTransaction(transaction: Transaction): StoredTransaction {
  const out: StoredTransaction = {
    id: transaction.id,
    state: transaction.state,
    created_at: transaction.created_at.toISOString(),
    updated_at: transaction.updated_at.toISOString(),
    mutations: transaction.mutations.map((m) => ({
      mutationId: m.mutationId,
      original: m.original,
      modified: m.modified,
      changes: m.changes,
      metadata: m.metadata,
      created_at: m.created_at.toISOString(),
      updated_at: m.updated_at.toISOString(),
      state: m.state,
    })),
    attempts: transaction.attempts.map((a) => {
      const stored: StoredTransaction["attempts"][number] = { id: a.id, started_at: a.started_at.toISOString() };
      if (a.completed_at !== undefined) stored.completed_at = a.completed_at.toISOString();
      if (a.error !== undefined) stored.error = encodeError(a.error);
      if (a.retry_scheduled_for !== undefined) stored.retry_scheduled_for = a.retry_scheduled_for.toISOString();
      return stored;
    }),
    current_attempt: transaction.current_attempt,
  };
  if (transaction.queued_behind !== undefined) out.queued_behind = transaction.queued_behind;
  if (transaction.error !== undefined) {
    out.error = { message: transaction.error.message, error: encodeError(transaction.error.error) };
    if (transaction.error.transaction_id !== undefined) out.error.transaction_id = transaction.error.transaction_id;
  }
  return out;
}

const corrupt = (why: string): never => {
  throw new TransactionsError(TransactionsErrorCode.CorruptRecord, `Stored transaction record is malformed: ${why}`);
};

const date = (value: unknown, field: string): Date => {
  const d = typeof value === "string" ? new Date(value) : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) return corrupt(`${field} is not an ISO date`);
  return d;
};

const object = (value: unknown, field: string): Record<string, any> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return corrupt(`${field} is not an object`);
  return value as Record<string, any>;
};

const storedError = (value: unknown, field: string): Error => {
  const e = object(value, field);
  if (typeof e["name"] !== "string" || typeof e["message"] !== "string") return corrupt(`${field} has no name/message`);
  return decodeError(e as StoredError);
};

/** The transaction `stored` holds. Throws `CORRUPT_RECORD` when it is malformed. */
export function decodeTransaction(stored: unknown): Transaction {
  const s = object(stored, "transaction");
  if (typeof s["id"] !== "string" || s["id"] === "") corrupt("id is not a non-empty string");
  if (!STATES.has(s["state"])) corrupt(`state ${JSON.stringify(s["state"])} is unknown`);
  if (!Array.isArray(s["mutations"]) || !Array.isArray(s["attempts"])) corrupt("mutations/attempts are not arrays");
  if (typeof s["current_attempt"] !== "number") corrupt("current_attempt is not a number");
  const transaction: Transaction = {
    id: s["id"],
    state: s["state"],
    created_at: date(s["created_at"], "created_at"),
    updated_at: date(s["updated_at"], "updated_at"),
    mutations: (s["mutations"] as unknown[]).map((value, i) => {
      const m = object(value, `mutations[${i}]`);
      if (typeof m["mutationId"] !== "string") corrupt(`mutations[${i}].mutationId is not a string`);
      if (m["state"] !== "created" && m["state"] !== "persisting" && m["state"] !== "synced") corrupt(`mutations[${i}].state is unknown`);
      const mutation: PendingMutation = {
        mutationId: m["mutationId"],
        original: object(m["original"], `mutations[${i}].original`),
        modified: object(m["modified"], `mutations[${i}].modified`),
        changes: object(m["changes"], `mutations[${i}].changes`),
        metadata: m["metadata"],
        created_at: date(m["created_at"], `mutations[${i}].created_at`),
        updated_at: date(m["updated_at"], `mutations[${i}].updated_at`),
        state: m["state"],
      };
      return mutation;
    }),
    attempts: (s["attempts"] as unknown[]).map((value, i) => {
      const a = object(value, `attempts[${i}]`);
      if (typeof a["id"] !== "string") corrupt(`attempts[${i}].id is not a string`);
      const attempt: Attempt = { id: a["id"], started_at: date(a["started_at"], `attempts[${i}].started_at`) };
      if (a["completed_at"] !== undefined) attempt.completed_at = date(a["completed_at"], `attempts[${i}].completed_at`);
      if (a["error"] !== undefined) attempt.error = storedError(a["error"], `attempts[${i}].error`);
      if (a["retry_scheduled_for"] !== undefined) {
        attempt.retry_scheduled_for = date(a["retry_scheduled_for"], `attempts[${i}].retry_scheduled_for`);
      }
      return attempt;
    }),
    current_attempt: s["current_attempt"],
  };
  if (typeof s["queued_behind"] === "string") transaction.queued_behind = s["queued_behind"];
  if (s["error"] !== undefined) {
    const e = object(s["error"], "error");
    if (typeof e["message"] !== "string") corrupt("error.message is not a string");
    transaction.error = { message: e["message"], error: storedError(e["error"], "error.error") };
    if (typeof e["transaction_id"] === "string") transaction.error.transaction_id = e["transaction_id"];
  }
  return transaction;
}

/** A record for `transaction` of collection `collectionId`. */
export function toRecord(collectionId: string, transaction: Transaction, order = 0): PersistedTransaction {
  return { version: 1, collectionId, id: transaction.id, order, transaction: encodeTransaction(transaction) };
}
