#!/usr/bin/env node
// The layer rule of ../shared/ARCHITECTURE.md, checked: a workspace package
// may depend on (package.json) and import (source) only packages in a lower
// layer; package dependencies and value imports between a package's own files
// must not form cycles; code inside a package never imports its own index.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const rootFlag = process.argv.indexOf("--root");
const root = rootFlag > 0 ? resolve(process.argv[rootFlag + 1] ?? ".") : join(dirname(fileURLToPath(import.meta.url)), "..");

/** Layer of each package: lower numbers sit lower. Equal numbers may not import each other. */
export const LAYERS = {
  "@kalphite/store": 1,
  "@kalphite/flush": 2,
  "@kalphite/pglite": 3,
  "@kalphite/sync-ws": 4,
  "@kalphite/sync-ops": 5,
  "@kalphite/transactions": 6,
  "@kalphite/coordinator": 7,
  "@kalphite/react": 8,
  "@kalphite/testing": 8,
  kalphite: 9,
  "@kalphite/todo-model": 9,
};
const TOP = 10; // apps and bench: may use anything below

const errors = [];
const packages = [];
for (const group of ["packages", "apps"]) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    if (existsSync(join(dir, name, "package.json"))) packages.push(join(dir, name));
  }
}
if (existsSync(join(root, "bench", "package.json"))) packages.push(join(root, "bench"));

const byName = new Map();
for (const dir of packages) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const rel = relative(root, dir);
  let layer = LAYERS[pkg.name];
  if (layer === undefined) {
    if (rel.startsWith("packages/")) errors.push(`${rel}: package ${pkg.name} has no layer; add it to LAYERS in scripts/check-layers.mjs`);
    layer = TOP;
  }
  byName.set(pkg.name, { dir, rel, pkg, layer });
}

const workspaceName = (specifier) => {
  for (const name of byName.keys()) if (specifier === name || specifier.startsWith(name + "/")) return name;
  return undefined;
};

function sourceFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(m|c)?[tj]sx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const IMPORT_RE = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
function importsOf(file) {
  const text = readFileSync(file, "utf8");
  const found = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[3] ?? m[4];
    if (spec) found.push({ spec, typeOnly: Boolean(m[2]) });
  }
  return found;
}

function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, `${base}.tsx`, join(base, "index.ts")];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const isTest = (file) => /\.test(-d)?\.tsx?$/.test(file) || file.includes(`${"/"}test${"/"}`);

// 1. package.json dependencies and source imports point down.
const pkgGraph = new Map();
for (const [name, info] of byName) {
  const deps = { ...info.pkg.dependencies, ...info.pkg.devDependencies, ...info.pkg.peerDependencies };
  const edges = new Set();
  for (const dep of Object.keys(deps)) {
    const target = byName.get(dep);
    if (!target) continue;
    edges.add(dep);
    if (target.layer >= info.layer) errors.push(`${info.rel}/package.json: ${name} (layer ${info.layer}) depends on ${dep} (layer ${target.layer}); a package may only depend on lower layers`);
  }
  pkgGraph.set(name, edges);

  const fileGraph = new Map();
  for (const file of sourceFiles(join(info.dir, "src"))) {
    const relFile = relative(root, file);
    const valueEdges = [];
    for (const { spec, typeOnly } of importsOf(file)) {
      if (spec.startsWith(".")) {
        const target = resolveRelative(file, spec);
        if (!target) continue;
        if (!target.startsWith(info.dir + "/")) errors.push(`${relFile}: imports "${spec}", outside its own package; import the package by name`);
        if (!isTest(file) && target === join(info.dir, "src", "index.ts") && file !== target) errors.push(`${relFile}: imports its own package index ("${spec}"); import the module itself`);
        if (!typeOnly) valueEdges.push(target);
        continue;
      }
      const dep = workspaceName(spec);
      if (!dep || dep === name) continue;
      const target = byName.get(dep);
      if (target.layer >= info.layer) errors.push(`${relFile}: ${name} (layer ${info.layer}) imports "${spec}" (layer ${target.layer}); imports must point to lower layers`);
      else if (!(dep in deps)) errors.push(`${relFile}: imports "${spec}" but ${info.rel}/package.json does not declare ${dep}`);
    }
    fileGraph.set(file, valueEdges);
  }
  for (const cycle of findCycles(fileGraph)) errors.push(`${info.rel}: import cycle ${cycle.map((f) => relative(info.dir, f)).join(" -> ")}`);
}
for (const cycle of findCycles(pkgGraph)) errors.push(`package dependency cycle: ${cycle.join(" -> ")}`);

function findCycles(graph) {
  const state = new Map(); // 1 = on stack, 2 = done
  const stack = [];
  const cycles = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 2);
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

if (errors.length) {
  console.error(`Layer check failed (${errors.length}):\n` + errors.map((e) => `  - ${e}`).join("\n"));
  process.exit(1);
}
console.log(`Layer check passed: ${byName.size} packages, dependencies point down, no cycles.`);
