import type { MedianLookup, Target } from "./types";

const ratioOf = (median: MedianLookup, workload: string, impl: string, baseline: string): number | undefined => {
  const value = median(workload, impl);
  const base = median(workload, baseline);
  return value === undefined || base === undefined || base === 0 ? undefined : value / base;
};

/** `impl`'s median on `workload` is at most `limit` times `baseline`'s (same workload). */
export function maxRatio(workload: string, impl: string, baseline: string, limit: number): Target {
  return {
    workload,
    impl,
    text: `≤ ${limit}×`,
    check: (median) => {
      const ratio = ratioOf(median, workload, impl, baseline);
      return ratio === undefined ? undefined : ratio <= limit;
    },
    measured: (median) => {
      const ratio = ratioOf(median, workload, impl, baseline);
      return ratio === undefined ? undefined : formatRatio(ratio);
    },
  };
}

/** `impl`'s median on `workload` is at most `limit` (in the workload's unit). */
export function maxValue(workload: string, impl: string, limit: number, unit: string): Target {
  return {
    workload,
    impl,
    text: `≤ ${limit} ${unit}`,
    check: (median) => {
      const value = median(workload, impl);
      return value === undefined ? undefined : value <= limit;
    },
    measured: (median) => {
      const value = median(workload, impl);
      return value === undefined ? undefined : `${Math.round(value)} ${unit}`;
    },
  };
}

/** `impl`'s median on `workload` is at least `factor` times lower than `other`'s. */
export function timesLowerThan(workload: string, impl: string, other: string, factor: number, otherLabel: string): Target {
  return {
    workload,
    impl,
    text: `≥ ${factor}× lower than ${otherLabel}`,
    check: (median) => {
      const ratio = ratioOf(median, workload, other, impl);
      return ratio === undefined ? undefined : ratio >= factor;
    },
    detail: (median) => {
      const ratio = ratioOf(median, workload, other, impl);
      return ratio === undefined ? undefined : `${formatRatio(ratio)} lower`;
    },
  };
}

/** Formats a ratio: two decimals below 10 (0.93×, 1.42×), whole numbers above (27×). */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "—";
  return ratio >= 10 ? `${Math.round(ratio)}×` : `${ratio.toFixed(2)}×`;
}
