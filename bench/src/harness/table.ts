import { median, spread } from "./stats";
import { formatRatio } from "./targets";
import type { GroupSpec, MedianLookup, Unit, Value } from "./types";

/** Every sample of one group: samples[workload][impl] = values over rounds (numbers), or the n/a reason. */
export type Samples = Record<string, Record<string, { values: number[]; na?: string }>>;

/**
 * Adds one child's measurements to `samples`. A key `workload@impl` files the
 * value under another implementation's row (a child that measures two
 * configurations on one expensive setup).
 */
export function addSamples(samples: Samples, impl: string, values: Record<string, Value>): void {
  for (const [key, value] of Object.entries(values)) {
    const at = key.indexOf("@");
    const workload = at < 0 ? key : key.slice(0, at);
    const row = at < 0 ? impl : key.slice(at + 1);
    const cell = ((samples[workload] ??= {})[row] ??= { values: [] });
    if (typeof value === "number") cell.values.push(value);
    else cell.na = value.na;
  }
}

/** Looks medians up in `samples`. */
export function medianLookup(samples: Samples): MedianLookup {
  return (workload, impl) => {
    const values = samples[workload]?.[impl]?.values;
    return values && values.length > 0 ? median(values) : undefined;
  };
}

function formatValue(value: number, unit: Unit): string {
  if (unit === "B/entity") return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`;
}

function formatPerOp(ms: number, ops: number, style: "time" | "rate"): string {
  if (style === "rate") {
    const perSecond = (ops / ms) * 1000;
    return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M/s` : `${Math.round(perSecond / 1000).toLocaleString("en-US")} k/s`;
  }
  const us = (ms * 1000) / ops;
  return us >= 100 ? `${us.toFixed(0)} µs` : us >= 1 ? `${us.toFixed(2)} µs` : `${(us * 1000).toFixed(0)} ns`;
}

/** The group's markdown table: medians, µs/op, ratio to the workload's baseline, spread and targets. */
export function renderTable(group: GroupSpec, samples: Samples, rounds: number): string {
  const get = medianLookup(samples);
  const lines = [
    `### ${group.title} (${rounds} round${rounds === 1 ? "" : "s"}, median)`,
    "",
    "| workload | impl | median | per op | ratio | spread | target |",
    "|---|---|---:|---:|---:|---:|---|",
  ];
  for (const workload of group.workloads) {
    let first = true;
    for (const impl of group.impls) {
      const cell = samples[workload.id]?.[impl.id];
      const planned = group.notApplicable?.find((na) => na.workload === workload.id && na.impl === impl.id);
      if (cell === undefined && planned === undefined) continue;
      const name = first ? workload.label : "";
      first = false;
      if (cell === undefined) {
        lines.push(`| ${name} | ${impl.label} | n/a | | | | ${planned!.reason} |`);
        continue;
      }
      const value = get(workload.id, impl.id);
      if (value === undefined) {
        lines.push(`| ${name} | ${impl.label} | n/a | | | | ${cell.na ?? "no result"} |`);
        continue;
      }
      const base = get(workload.id, workload.baseline);
      const ratio = impl.id === workload.baseline ? "1.00×" : base === undefined || base === 0 ? "—" : formatRatio(value / base);
      const perOp = workload.ops !== undefined && workload.unit === "ms" ? formatPerOp(value, workload.ops, workload.perOp ?? "time") : "";
      const target = group.targets
        .filter((t) => t.workload === workload.id && t.impl === impl.id)
        .map((t) => {
          const ok = t.check(get);
          const detail = t.detail?.(get);
          return `${t.text} ${ok === undefined ? "?" : ok ? "✓" : "✗"}${detail ? ` (${detail})` : ""}`;
        })
        .join("; ");
      const spreadText = `±${Math.round((spread(cell.values) * 100) / 2)}%`;
      lines.push(`| ${name} | ${impl.label} | ${formatValue(value, workload.unit)} | ${perOp} | ${ratio} | ${spreadText} | ${target} |`);
    }
  }
  if (group.notes?.length) lines.push("", ...group.notes.map((note) => `- ${note}`));
  return lines.join("\n");
}

/** The targets of a group with their outcome, for the summary and the JSON file. */
export function targetOutcomes(
  group: GroupSpec,
  samples: Samples,
): { workload: string; impl: string; target: string; ok: boolean | undefined; measured: string | undefined }[] {
  const get = medianLookup(samples);
  return group.targets.map((t) => ({
    workload: group.workloads.find((w) => w.id === t.workload)?.label ?? t.workload,
    impl: t.impl,
    target: t.text,
    ok: t.check(get),
    measured: t.detail?.(get) ?? t.measured?.(get),
  }));
}
