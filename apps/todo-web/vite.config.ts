import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The app bundles the workspace packages from source (nothing to build first). */
export const workspaceAliases = [
  { find: /^@kalphite\/store$/, replacement: src("../../packages/store/src/index.ts") },
  { find: /^@kalphite\/flush$/, replacement: src("../../packages/flush/src/index.ts") },
  { find: /^@kalphite\/pglite$/, replacement: src("../../packages/pglite/src/index.ts") },
  { find: /^@kalphite\/sync-ws$/, replacement: src("../../packages/sync-ws/src/index.ts") },
  { find: /^@kalphite\/sync-ops$/, replacement: src("../../packages/sync-ops/src/index.ts") },
  { find: /^@kalphite\/transactions$/, replacement: src("../../packages/transactions/src/index.ts") },
  { find: /^@kalphite\/coordinator$/, replacement: src("../../packages/coordinator/src/index.ts") },
  { find: /^@kalphite\/react$/, replacement: src("../../packages/react/src/index.ts") },
  { find: /^@kalphite\/todo-model$/, replacement: src("../../packages/todo-model/src/index.ts") },
];

/** Node-only modules the engines import for their defaults, mapped to the browser's own. */
const browserShims = [{ find: /^ws$/, replacement: src("./src/shims/ws.ts") }];

export default defineConfig({
  root: src("."),
  plugins: [react()],
  resolve: { alias: [...workspaceAliases, ...browserShims] },
  build: { target: "es2022", sourcemap: true, chunkSizeWarningLimit: 4096 },
  optimizeDeps: { exclude: ["@electric-sql/pglite"] },
});
