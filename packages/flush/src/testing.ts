/**
 * `@kalphite/flush/testing`: the `FlushTarget` contract as a Vitest suite, for
 * every implementation of the interface (the in-memory target here, the PGlite
 * one in `@kalphite/pglite`, yours). Needs `vitest` (an optional peer dependency).
 *
 * @example
 * import { describeFlushTargetContract } from "@kalphite/flush/testing";
 * describeFlushTargetContract("my target", async () => ({ target, read: (type, id) => myRead(type, id) }));
 */
export { describeFlushTargetContract } from "./flush-target-contract";
export type { FlushTargetHarness } from "./flush-target-contract";
