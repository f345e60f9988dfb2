import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, freshDataDir, run } from "./helpers";

// The flush engine's default maxWaitMs: while writes keep coming, a batch
// still goes out at least this often (issue 9, defect 1).
const MAX_WAIT_MS = 1000;
// Slack for one flush into PGlite on a loaded machine.
const FLUSH_SLACK_MS = 1500;
// Fed as 60 chunks of 50 lines, one chunk every 50 ms: a burst of at least 3 s, whatever the machine's speed.
const CHUNKS = 60;
const CHUNK_LINES = 50;
const LINES = CHUNKS * CHUNK_LINES;

beforeAll(async () => {
  await ensureBuilt();
});

describe("kalphite-todo shell: a burst of piped writes, then kill -9", () => {
  it("loses at most about maxWaitMs of acknowledged writes, and what survives is a prefix of the burst", async () => {
    const dir = await freshDataDir();
    const title = (i: number) => `Burst ${String(i).padStart(5, "0")}`;
    const chunk = (c: number) => Array.from({ length: CHUNK_LINES }, (_, i) => `add "${title(c * CHUNK_LINES + i)}"\n`).join("");
    const acked: number[] = []; // when each "Added" arrived, by index
    let killedAt = 0;
    await run([], {
      dataDir: dir,
      onSpawn: (child) => {
        let buffer = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          buffer += chunk;
          const lines = buffer.split("\n");
          buffer = lines.pop()!;
          const now = Date.now();
          for (const line of lines) if (/Added \w+ {2}Burst \d+/.test(line)) acked.push(now);
          if (acked.length === LINES && killedAt === 0) {
            killedAt = Date.now();
            child.kill("SIGKILL");
          }
        });
        // Stdin stays open: the shell must not see the end of input (that would flush and exit).
        let sent = 0;
        const feeder = setInterval(() => {
          child.stdin.write(chunk(sent++));
          if (sent === CHUNKS) clearInterval(feeder);
        }, 50);
      },
    });
    expect(acked).toHaveLength(LINES);
    const saved = (JSON.parse((await run(["list", "--json"], { dataDir: dir })).stdout) as { title: string }[]).map((t) => t.title);
    // Batches are delivered whole and in order: what survived is the start of the burst.
    expect(saved).toEqual(Array.from({ length: saved.length }, (_, i) => title(i)));
    // Everything acknowledged longer than maxWaitMs (plus one flush) before the kill is there.
    const mustSurvive = acked.filter((time) => killedAt - time > MAX_WAIT_MS + FLUSH_SLACK_MS).length;
    expect(saved.length).toBeGreaterThanOrEqual(mustSurvive);
    // The burst was long enough for this to mean something.
    expect(mustSurvive).toBeGreaterThan(0);
  });
});
