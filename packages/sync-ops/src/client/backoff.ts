/**
 * Delay before retry `attempt` (0-based), in ms: `base · 2^attempt` capped at
 * `max`, then "equal jitter": half of it fixed, half drawn from `random()`,
 * so many clients that failed together do not retry together.
 */
export function backoff(attempt: number, base: number, max: number, random: () => number): number {
  const capped = Math.min(max, base * 2 ** Math.min(attempt, 30));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0.5;
  return Math.round(capped / 2 + (capped / 2) * unit);
}
