import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/store.ts", "src/flush.ts", "src/pglite.ts", "src/sync-ws.ts", "src/sync-ops.ts", "src/transactions.ts", "src/coordinator.ts"],
  format: ["esm", "cjs"],
  dts: { compilerOptions: { paths: {} } },
  target: "node20",
  clean: true,
  sourcemap: true,
  tsconfig: "tsconfig.json",
});
