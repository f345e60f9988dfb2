/**
 * The test projects, one per workspace package.
 *
 * Vitest 4 no longer reads a `vitest.workspace.ts` on its own (it is silently
 * ignored), so `vitest.config.ts` imports this list and passes it to
 * `test.projects`. Add a package here when it gains tests.
 */
import type { TestProjectInlineConfiguration } from "vitest/config";

const project = (
  name: string,
  dir: string,
  extra: TestProjectInlineConfiguration["test"] = {},
): TestProjectInlineConfiguration => ({
  extends: true,
  test: { name, root: dir, include: ["src/**/*.test.ts", "test/**/*.test.ts"], ...extra },
});

export const projects: TestProjectInlineConfiguration[] = [
  project("store", "packages/store", {
    typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  }),
  project("flush", "packages/flush"),
  // PGlite takes seconds to start and ~200-700 MB per instance: generous hook timeouts.
  project("pglite", "packages/pglite", { hookTimeout: 120_000, testTimeout: 60_000 }),
  project("sync-ws", "packages/sync-ws", { hookTimeout: 120_000, testTimeout: 60_000 }),
  project("sync-ops", "packages/sync-ops", { hookTimeout: 120_000, testTimeout: 60_000 }),
  project("transactions", "packages/transactions", { hookTimeout: 120_000, testTimeout: 60_000 }),
  project("coordinator", "packages/coordinator", { hookTimeout: 120_000, testTimeout: 60_000 }),
  project("react", "packages/react", { environment: "jsdom", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] }),
  project("testing", "packages/testing", { hookTimeout: 120_000, testTimeout: 120_000 }),
  project("kalphite", "packages/kalphite", { hookTimeout: 120_000, testTimeout: 60_000 }),
  project("todo-model", "packages/todo-model"),
  project("sync-server", "apps/sync-server", { hookTimeout: 180_000, testTimeout: 120_000 }),
  project("todo-web", "apps/todo-web", { hookTimeout: 180_000, testTimeout: 120_000 }),
  project("todo-cli", "apps/todo-cli", { hookTimeout: 180_000, testTimeout: 120_000 }),
  // The repository's own tooling (the layer check).
  project("scripts", "scripts", { include: ["*.test.ts"] }),
];
