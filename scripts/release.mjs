#!/usr/bin/env node
// `npm run release -- [--out DIR] [--only name,name] [--json]`: builds and
// packs every public package (and the todo app) into DIR as npm tarballs,
// with each `workspace:*` dependency replaced by the real version (pnpm pack
// does that), and checks no tarball still names `workspace:`. Prints the
// tarballs (as JSON with --json).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { ensureInstalled, pnpmCommand, quietEnv, root } from "./setup.mjs";

function option(name) {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** Every workspace package that is released: packages/* and apps/*, without "private": true. */
export function releasedPackages() {
  const found = [];
  for (const parent of ["packages", "apps"]) {
    for (const name of readdirSync(join(root, parent))) {
      const dir = join(root, parent, name);
      let manifest;
      try {
        manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      if (manifest.private) continue;
      found.push({ name: manifest.name, version: manifest.version, dir });
    }
  }
  return found;
}

/** The package.json inside an npm tarball (.tgz). */
export function manifestOfTarball(file) {
  const tar = gunzipSync(readFileSync(file));
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = Number.parseInt(header.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim() || "0", 8);
    if (name === "package/package.json") return JSON.parse(tar.subarray(offset + 512, offset + 512 + size).toString("utf8"));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${file} has no package/package.json`);
}

function pnpm(args, cwd, quiet = true) {
  const [cmd, ...pre] = pnpmCommand();
  const result = spawnSync(cmd, [...pre, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: quietEnv() });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`\`pnpm ${args.join(" ")}\` failed in ${cwd}`);
  }
  if (!quiet) process.stderr.write(result.stdout);
  return result.stdout;
}

export function release({ out, only } = {}) {
  ensureInstalled();
  const packages = releasedPackages().filter((pkg) => !only || only.includes(pkg.name));
  if (packages.length === 0) throw new Error(`no released package matches ${only?.join(", ")}`);
  const dest = resolve(out ?? mkdtempSync(join(tmpdir(), "kalphite-release-")));
  mkdirSync(dest, { recursive: true });
  process.stderr.write(`kalphite release: building ${packages.map((p) => p.name).join(", ")}…\n`);
  pnpm(["exec", "turbo", "run", "build", "--output-logs=errors-only", ...packages.map((p) => `--filter=${p.name}`)], root);
  const tarballs = [];
  for (const pkg of packages) {
    const before = new Set(readdirSync(dest));
    pnpm(["pack", "--pack-destination", dest], pkg.dir);
    const made = readdirSync(dest).filter((f) => f.endsWith(".tgz") && !before.has(f));
    const file = join(dest, made.find((f) => f.includes(pkg.version)) ?? made[0] ?? `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`);
    const manifest = manifestOfTarball(file);
    const text = JSON.stringify(manifest);
    if (text.includes("workspace:")) throw new Error(`${file} still has a workspace: dependency`);
    tarballs.push({ name: pkg.name, version: manifest.version, file });
  }
  return { dir: dest, tarballs };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  try {
    const result = release({ out: option("--out"), only: option("--only")?.split(",") });
    if (process.argv.includes("--json")) console.log(JSON.stringify(result, null, 2));
    else for (const t of result.tarballs) console.log(`${t.name}@${t.version}  ${t.file}`);
  } catch (error) {
    console.error(`kalphite release: ${error.message}`);
    process.exit(1);
  }
}
