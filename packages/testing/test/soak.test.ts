import { describe, expect, it } from "vitest";
import { formatSoakReport, runSoak } from "../soak/soak";

/** CI runs a small soak; `pnpm test:soak` runs 20 clients × 10,000 operations (soak/soak.ts). */
describe("convergence soak (kalphite-server and client processes, fault proxy, SIGKILL restarts)", () => {
  it("converges with nothing lost and nothing applied twice", { timeout: 150_000 }, async () => {
    const report = await runSoak({ clients: 4, operations: 40, seed: 1, chaosEveryMs: 700, convergeTimeoutMs: 90_000 });
    const text = formatSoakReport(report);
    expect(report.problems, text).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
    expect(report.diverged).toBe(0);
    expect(report.operations).toBe(160);
    expect(report.confirmed + report.refused).toBeGreaterThan(0);
    expect(report.clientKills).toBeGreaterThan(0);
    expect(report.serverKills).toBeGreaterThan(0);
  });
});
