import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const script = join(dirname(fileURLToPath(import.meta.url)), "check-layers.mjs");
const roots: string[] = [];

/** Writes a fixture workspace: { "packages/store/package.json": {...}, "packages/store/src/a.ts": "..." }. */
function workspace(files: Record<string, string | object>): string {
  const root = mkdtempSync(join(tmpdir(), "kalphite-layers-"));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === "string" ? content : JSON.stringify(content));
  }
  return root;
}

function check(root: string) {
  const result = spawnSync(process.execPath, [script, "--root", root], { encoding: "utf8" });
  return { code: result.status, output: result.stdout + result.stderr };
}

const base = {
  "packages/store/package.json": { name: "@kalphite/store" },
  "packages/store/src/index.ts": 'export { a } from "./a";\n',
  "packages/store/src/a.ts": "export const a = 1;\n",
  "packages/flush/package.json": { name: "@kalphite/flush", dependencies: { "@kalphite/store": "workspace:*" } },
  "packages/flush/src/index.ts": 'import { a } from "@kalphite/store";\nexport const b = a;\n',
};

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("scripts/check-layers.mjs", () => {
  it("passes when dependencies point down", () => {
    const result = check(workspace(base));
    expect(result.output).toContain("Layer check passed");
    expect(result.code).toBe(0);
  });

  it("fails on an import from a higher layer", () => {
    const result = check(workspace({ ...base, "packages/store/src/a.ts": 'import { b } from "@kalphite/flush";\nexport const a = b;\n' }));
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/packages\/store\/src\/a\.ts: @kalphite\/store \(layer 1\) imports "@kalphite\/flush" \(layer 2\)/);
  });

  it("fails on a package.json dependency on a higher layer", () => {
    const result = check(workspace({ ...base, "packages/store/package.json": { name: "@kalphite/store", dependencies: { "@kalphite/pglite": "workspace:*" } }, "packages/pglite/package.json": { name: "@kalphite/pglite" } }));
    expect(result.code).toBe(1);
    expect(result.output).toContain("depends on @kalphite/pglite (layer 3)");
  });

  it("fails on an undeclared workspace import, an unknown package and a cycle between files", () => {
    const result = check(
      workspace({
        ...base,
        "packages/flush/package.json": { name: "@kalphite/flush" },
        "packages/mystery/package.json": { name: "@kalphite/mystery" },
        "packages/store/src/a.ts": 'import { c } from "./c";\nexport const a = c;\n',
        "packages/store/src/c.ts": 'import { a } from "./a";\nexport const c = () => a;\n',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.output).toContain("does not declare @kalphite/store");
    expect(result.output).toContain("@kalphite/mystery has no layer");
    expect(result.output).toMatch(/import cycle src\/(a|c)\.ts -> src\/(c|a)\.ts/);
  });

  it("fails when a package imports its own index or reaches into another package by path", () => {
    const result = check(
      workspace({
        ...base,
        "packages/store/src/a.ts": 'import type { X } from "./index";\nexport const a = 1;\n',
        "packages/flush/src/index.ts": 'import { a } from "../../store/src/a";\nexport const b = a;\n',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.output).toContain("imports its own package index");
    expect(result.output).toContain("outside its own package");
  });

  it("ignores type-only imports when looking for cycles", () => {
    const result = check(
      workspace({
        ...base,
        "packages/store/src/a.ts": 'import type { C } from "./c";\nexport const a = 1;\nexport type A = C;\n',
        "packages/store/src/c.ts": 'import { a } from "./a";\nexport type C = typeof a;\n',
      }),
    );
    expect(result.code).toBe(0);
  });
});
