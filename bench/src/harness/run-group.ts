import { runChild } from "./spawn-child";
import { addSamples, type Samples } from "./table";
import type { GroupSpec, Job } from "./types";

/** One child's raw result, as saved in the JSON file. */
export interface RawResult {
  readonly round: number;
  readonly job: string;
  readonly impl: string;
  readonly values?: Record<string, unknown>;
  readonly error?: string;
  readonly wallMs: number;
}

/** Rotates the job list so no implementation always runs first (or last) in a round. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * Runs `group.rounds` rounds; each round starts every job's child once, one
 * after another (never two at once: 2 cores), in a rotated order. A failing
 * child is reported and its values are left out; the others still count.
 */
export async function runGroup(group: GroupSpec, log: (line: string) => void): Promise<{ samples: Samples; raw: RawResult[] }> {
  const samples: Samples = {};
  const raw: RawResult[] = [];
  const reported = new Set<string>();
  const prepared = (await group.prepare?.(log)) ?? {};
  try {
    await runRounds(group, prepared.params ?? {}, samples, raw, reported, log);
  } finally {
    prepared.cleanup?.();
  }
  return { samples, raw };
}

async function runRounds(
  group: GroupSpec,
  shared: Record<string, unknown>,
  samples: Samples,
  raw: RawResult[],
  reported: Set<string>,
  log: (line: string) => void,
): Promise<void> {
  for (let round = 1; round <= group.rounds; round++) {
    const order: Job[] = rotate(group.jobs, round - 1).filter((job) => job.maxRounds === undefined || round <= job.maxRounds);
    const parts: string[] = [];
    for (const job of order) {
      const label = job.label ?? job.impl;
      const start = performance.now();
      try {
        const values = await runChild(group.id, job.impl, { ...job.params, ...shared }, { execArgv: group.execArgv ?? [] });
        addSamples(samples, job.impl, values);
        raw.push({ round, job: label, impl: job.impl, values, wallMs: performance.now() - start });
        parts.push(`${label} ${((performance.now() - start) / 1000).toFixed(1)}s`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        raw.push({ round, job: label, impl: job.impl, error: message, wallMs: performance.now() - start });
        parts.push(`${label} FAILED`);
        // Rows of an implementation that never produced a value say why.
        for (const workload of group.workloads) {
          const cell = ((samples[workload.id] ??= {})[job.impl] ??= { values: [] });
          if (cell.values.length === 0) cell.na = `failed: ${message.split("\n")[0]!.slice(0, 120)}`;
        }
        const head = message.split("\n").slice(0, 6).join("\n  ");
        if (!reported.has(head)) log(`  ${head}`);
        reported.add(head);
      }
    }
    log(`  round ${round}/${group.rounds}: ${parts.join(", ")}`);
  }
}
