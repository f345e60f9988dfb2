import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const scratch = join(here, "..", ".tmp-readme");

/** The README's first TypeScript block: the complete example. */
function readmeExample(): string {
  const readme = readFileSync(join(here, "..", "README.md"), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!block?.[1]) throw new Error("README.md has no ```ts block");
  return block[1];
}

describe("README.md", () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("runs its example as written, with the output its comments promise", async () => {
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, "readme-example.ts");
    writeFileSync(file, readmeExample());
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await import(file);
      expect(log.mock.calls).toEqual([
        [{ id: "t1", type: "todo", title: "Write docs", done: true }],
        ["42"],
        [["bad offending=true", "t4 offending=false"]],
        ["fixed", "travels with bad"],
      ]);
      expect(warn.mock.calls.map((call) => call[0])).toEqual(["DEAD_LETTER", "refused for good:"]);
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
  });
});
