import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: { compilerOptions: { paths: {} } },
  target: "node20",
  clean: true,
  sourcemap: true,
  tsconfig: "tsconfig.json",
});
