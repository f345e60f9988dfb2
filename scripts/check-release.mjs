#!/usr/bin/env node
// CI: `node scripts/check-release.mjs` packs the umbrella (`kalphite` and
// the layers it depends on) and the todo app like a release, then, in a
// scratch project outside the workspace, with plain npm from the registry:
//   1. installs the umbrella's tarballs (plus zod and TypeScript),
//   2. runs an ESM script and a CommonJS script against them,
//   3. type-checks a consumer (types inferred from a zod schema) with
//      `skipLibCheck: false` under `node16` and `bundler` resolution,
//   4. runs @arethetypeswrong/cli on each tarball (profile node16: node16
//      CJS and ESM, and bundler),
//   5. installs the todo app globally from its tarball (`npm i -g`, into a
//      scratch prefix) and runs `kalphite-todo add` and `list`.
// Exits non-zero on the first failure, printing the failing command's output.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { release } from "./release.mjs";
import { quietEnv, root } from "./setup.mjs";

/** `kalphite` and every workspace package it depends on, directly or not (read from the package.json files). */
function umbrellaPackages() {
  const manifests = new Map();
  for (const dir of readdirSync(join(root, "packages"))) {
    const file = join(root, "packages", dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    manifests.set(pkg.name, pkg);
  }
  const seen = new Set(["kalphite"]);
  const queue = ["kalphite"];
  while (queue.length > 0) {
    const deps = manifests.get(queue.shift())?.dependencies ?? {};
    for (const [name, spec] of Object.entries(deps)) {
      if (String(spec).startsWith("workspace:") && !seen.has(name)) {
        seen.add(name);
        queue.push(name);
      }
    }
  }
  return [...seen];
}

const UMBRELLA = umbrellaPackages();
const APP = "@kalphite/todo-cli";
const TYPESCRIPT = JSON.parse(readFileSync(join(root, "node_modules", "typescript", "package.json"), "utf8")).version;
// The sync layers' servers take node:http servers, so a Node consumer has Node's types.
const TYPES_NODE = JSON.parse(readFileSync(join(root, "node_modules", "@types", "node", "package.json"), "utf8")).version;
const ZOD = JSON.parse(readFileSync(join(root, "packages", "kalphite", "node_modules", "zod", "package.json"), "utf8")).version;

const scratch = mkdtempSync(join(tmpdir(), "kalphite-release-check-"));
const keep = process.argv.includes("--keep");

function step(label, cmd, args, cwd, env = {}) {
  process.stdout.write(`release check: ${label}… `);
  const result = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...quietEnv(), ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    console.log("FAILED");
    console.log(`$ ${[cmd, ...args].join(" ")}  (in ${cwd})`);
    process.stdout.write(result.stdout ?? "");
    process.stdout.write(result.stderr ?? "");
    if (result.error) console.log(result.error.message);
    process.exit(1);
  }
  console.log("ok");
  return result.stdout;
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
try {
  const { tarballs } = release({ out: join(scratch, "tarballs"), only: [...UMBRELLA, APP] });
  const file = (name) => tarballs.find((t) => t.name === name).file;

  // 1. A consumer project outside the workspace, plain npm.
  const app = join(scratch, "consumer");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, version: "1.0.0" }, null, 2));
  step("npm install of the umbrella's tarballs", npm, ["install", "--no-audit", "--no-fund", "--loglevel=error", ...UMBRELLA.map(file), `zod@${ZOD}`, `typescript@${TYPESCRIPT}`, `@types/node@${TYPES_NODE}`], app);

  // 2. ESM and CommonJS at run time.
  const program = (load) => `${load}
const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string(), done: z.boolean() });
const main = async () => {
  const app = await createKalphite({ schema: z.discriminatedUnion("type", [Todo]), dbName: "memory://" });
  app.store.todo.upsert("t1", { title: "Ship it", done: false });
  await app.flushEngine.flush();
  const rows = await app.db.getAll();
  await app.close();
  if (rows.length !== 1 || rows[0].title !== "Ship it") throw new Error("unexpected rows: " + JSON.stringify(rows));
  console.log("ok", rows.length);
};
main().catch((error) => { console.error(error); process.exit(1); });
`;
  writeFileSync(join(app, "esm.mjs"), program('import { createKalphite } from "kalphite";\nimport { z } from "zod";'));
  writeFileSync(join(app, "cjs.cjs"), program('const { createKalphite } = require("kalphite");\nconst { z } = require("zod");'));
  step("an ESM script", process.execPath, ["esm.mjs"], app);
  step("a CommonJS script", process.execPath, ["cjs.cjs"], app);

  // 3. Types, inferred from a zod schema, checked with skipLibCheck: false.
  writeFileSync(
    join(app, "types.ts"),
    `import { z } from "zod";
import { createKalphite, type Kalphite } from "kalphite";
import type { KalphiteStore } from "kalphite/store";
import { MemoryFlushEngine } from "kalphite/flush";
import { FrontendDatabase } from "kalphite/pglite";

const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string(), done: z.boolean() });
const Schema = z.discriminatedUnion("type", [Todo]);
type TodoEntity = z.infer<typeof Todo>;

export async function run(): Promise<string> {
  const app = await createKalphite({ schema: Schema, dbName: "memory://" });
  const todo: TodoEntity = app.store.todo.upsert("t1", { title: "typed", done: false });
  const titles: string[] = app.store.todo.filter((t) => !t.done).map((t) => t.title);
  // @ts-expect-error: "done" is a boolean
  app.store.todo.upsert("t2", { title: "wrong", done: "no" });
  const store: KalphiteStore<TodoEntity> = app.store;
  const kalphite: Kalphite<TodoEntity> = app;
  void [store, kalphite, MemoryFlushEngine, FrontendDatabase];
  await app.close();
  return todo.title + titles.join();
}
`,
  );
  for (const [name, moduleKind, resolution] of [
    ["node16", "node16", "node16"],
    ["bundler", "esnext", "bundler"],
  ]) {
    writeFileSync(
      join(app, `tsconfig.${name}.json`),
      JSON.stringify({ compilerOptions: { module: moduleKind, moduleResolution: resolution, target: "es2022", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] }, files: ["types.ts"] }, null, 2),
    );
    step(`tsc --noEmit, ${name} resolution, skipLibCheck: false`, process.execPath, [join(app, "node_modules", "typescript", "bin", "tsc"), "-p", `tsconfig.${name}.json`], app);
  }

  // 4. Are the types wrong? For node16 (CJS and ESM) and bundler.
  const attw = join(root, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js");
  for (const name of UMBRELLA) step(`attw --profile node16 ${name}`, process.execPath, [attw, file(name), "--profile", "node16", "--format", "table-flipped"], scratch);

  // 5. The todo app, installed globally from its tarball.
  const prefix = join(scratch, "global");
  step("npm install -g of the todo app's tarball", npm, ["install", "-g", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", prefix, file(APP)], scratch);
  const bin = process.platform === "win32" ? join(prefix, "kalphite-todo.cmd") : join(prefix, "bin", "kalphite-todo");
  const dataDir = join(scratch, "todo-data");
  step("kalphite-todo add", bin, ["add", "Installed globally", "--data-dir", dataDir], scratch);
  const listed = step("kalphite-todo list", bin, ["list", "--json", "--data-dir", dataDir], scratch);
  if (!listed.includes("Installed globally")) {
    console.log(`release check: kalphite-todo list did not show the todo:\n${listed}`);
    process.exit(1);
  }
  console.log("release check: passed");
} finally {
  if (!keep) rmSync(scratch, { recursive: true, force: true });
  else console.log(`release check: scratch project kept in ${scratch}`);
}
