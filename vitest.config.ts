import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { projects } from "./vitest.workspace.ts";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Tests run against source: workspace imports resolve to `src/`, never to `dist/`. */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@kalphite\/store$/, replacement: src("./packages/store/src/index.ts") },
      { find: /^@kalphite\/flush$/, replacement: src("./packages/flush/src/index.ts") },
      { find: /^@kalphite\/flush\/testing$/, replacement: src("./packages/flush/src/testing.ts") },
      { find: /^@kalphite\/pglite$/, replacement: src("./packages/pglite/src/index.ts") },
      { find: /^@kalphite\/sync-ws$/, replacement: src("./packages/sync-ws/src/index.ts") },
      { find: /^@kalphite\/sync-ops$/, replacement: src("./packages/sync-ops/src/index.ts") },
      { find: /^@kalphite\/transactions$/, replacement: src("./packages/transactions/src/index.ts") },
      { find: /^@kalphite\/coordinator$/, replacement: src("./packages/coordinator/src/index.ts") },
      { find: /^@kalphite\/react$/, replacement: src("./packages/react/src/index.ts") },
      { find: /^@kalphite\/testing$/, replacement: src("./packages/testing/src/index.ts") },
      { find: /^@kalphite\/todo-model$/, replacement: src("./packages/todo-model/src/index.ts") },
      { find: /^kalphite$/, replacement: src("./packages/kalphite/src/index.ts") },
      { find: /^kalphite\/(store|flush|pglite|sync-ws|sync-ops|transactions|coordinator)$/, replacement: src("./packages/kalphite/src/$1.ts") },
    ],
  },
  test: {
    projects,
    pool: "forks",
  },
});
