import { defineConfig } from "tsup";

// One self-contained binary: the workspace packages (@kalphite/*) are bundled
// from source (esbuild resolves them through the tsconfig `paths` to each
// package's src/), so running the server never needs the other packages
// built. Third-party packages stay external and load from node_modules;
// PGlite must, since it finds its .wasm and data files next to its modules.
export default defineConfig({
  entry: ["src/cli.ts"],
  format: ["esm"],
  target: "node20",
  platform: "node",
  clean: true,
  sourcemap: true,
  banner: { js: "#!/usr/bin/env node" },
  tsconfig: "tsconfig.json",
  noExternal: [/^@kalphite\//],
  external: ["@electric-sql/pglite", /^@electric-sql\/pglite\//],
});
