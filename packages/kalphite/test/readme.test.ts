import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const scratch = join(here, ".tmp");

/** The README's TypeScript blocks: [0] the local example, [1] the synced one. */
function readmeExample(index = 0): string {
  const readme = readFileSync(join(here, "..", "README.md"), "utf8");
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)][index];
  if (!block?.[1]) throw new Error(`README.md has no ts block #${index}`);
  return block[1];
}

describe("README.md", () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("runs its example as written: schema, create, write, read, close, reopen", async () => {
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, "readme-example.ts");
    writeFileSync(file, readmeExample());
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await import(file);
      expect(log.mock.calls).toEqual([[["Ship it"]], ["Ship it", true]]);
    } finally {
      log.mockRestore();
    }
  });

  it("runs its synced example as written: a server, two clients, mutate, flush, a refusal", async () => {
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, "readme-synced.ts");
    writeFileSync(file, readmeExample(1));
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await import(file);
      expect(log.mock.calls).toEqual([[["Buy milk"]], [true], ["no todo nope"], [0]]);
    } finally {
      log.mockRestore();
    }
  }, 60_000);
});
