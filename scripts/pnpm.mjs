#!/usr/bin/env node
// `node scripts/pnpm.mjs <args>`: runs the repository's pinned pnpm (a global
// pnpm 10 when there is one, else `npx pnpm@<pinned>`), so the root scripts
// (`npm run build`, `typecheck`, `lint`, `bench`) work with only Node 20+.
// The pnpm it runs is on PATH for its children too (turbo looks it up).
import { spawnSync } from "node:child_process";
import { pnpmCommand, quietEnv, root } from "./setup.mjs";

const [cmd, ...pre] = pnpmCommand();
const result = spawnSync(cmd, [...pre, ...process.argv.slice(2)], { cwd: process.cwd() || root, stdio: "inherit", env: quietEnv() });
if (result.error) {
  console.error(`kalphite: cannot run pnpm (${result.error.message})`);
  process.exit(1);
}
process.exit(result.status ?? 1);
