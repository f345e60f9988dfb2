/**
 * The database's lifecycle:
 *
 *   created ──init()──▶ opening ──▶ ready ◀──▶ restoring
 *      ▲                   │ open failed          (restore())
 *      └───────────────────┘
 *   any state ──close()──▶ closed
 *
 * Only `ready` (and `restoring`, whose callers wait their turn) serves reads
 * and writes. A failing user migration leaves the database `ready` at the
 * last good version (`init()` still rejects).
 */
export type DatabaseState = "created" | "opening" | "ready" | "restoring" | "closed";

/** The allowed moves; anything else is a bug in `FrontendDatabase`. */
export const TRANSITIONS: Readonly<Record<DatabaseState, readonly DatabaseState[]>> = {
  created: ["opening", "closed"],
  opening: ["ready", "created", "closed"],
  ready: ["restoring", "closed"],
  restoring: ["ready", "closed"],
  closed: [],
};
