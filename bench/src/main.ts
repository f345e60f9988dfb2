// `pnpm bench`: runs every group (or `--only <group>`), each implementation
// in its own child process, interleaved over rounds; prints a markdown table
// per group and saves the raw results under bench/results/.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "./harness/args";
import { runGroup, type RawResult } from "./harness/run-group";
import { renderTable, targetOutcomes, type Samples } from "./harness/table";
import type { GroupSpec, RunOptions } from "./harness/types";
import { coordinatorGroup } from "./groups/coordinator";
import { flushGroup } from "./groups/flush";
import { liveGroup } from "./groups/live";
import { pgliteGroup } from "./groups/pglite";
import { startupGroup } from "./groups/startup";
import { transactionsGroup } from "./groups/transactions";
import { storeGroup } from "./groups/store";
import { syncOpsGroup } from "./groups/sync-ops";
import { syncedGroup } from "./groups/synced";
import { syncWsGroup } from "./groups/sync-ws";
import { serverGroup } from "./groups/server";
import { simulatorGroup } from "./groups/simulator";
import { webGroup } from "./groups/web";

type GroupFactory = (options: RunOptions) => GroupSpec | { skipped: string } | Promise<GroupSpec | { skipped: string }>;

const GROUPS: Record<string, GroupFactory> = {
  store: storeGroup,
  flush: flushGroup,
  pglite: pgliteGroup,
  live: liveGroup,
  startup: startupGroup,
  "sync-ops": syncOpsGroup,
  synced: syncedGroup,
  transactions: transactionsGroup,
  "sync-ws": syncWsGroup,
  coordinator: coordinatorGroup,
  server: serverGroup,
  simulator: simulatorGroup,
  web: webGroup,
};

const USAGE = `usage: pnpm bench [--quick] [--only <${Object.keys(GROUPS).join("|")}>] [--rounds <n>]
  --quick       fewer rounds and smaller sizes (a smoke run, not for numbers)
  --only <id>   run one group
  --rounds <n>  override every group's round count`;

const args = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
// Children measure the built packages (dist/, what an application imports): they must exist and be current.
{
  const packages = fileURLToPath(new URL("../../packages/", import.meta.url));
  const newest = (dir: string): number => {
    let t = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }
    return t;
  };
  for (const name of ["store", "flush", "pglite", "sync-ws", "sync-ops", "transactions", "coordinator", "testing", "kalphite"]) {
    const built = `${packages}${name}/dist/index.js`;
    if (!existsSync(built)) {
      console.error(`bench: packages/${name} is not built (no dist/index.js). Run \`pnpm bench\` from the repo root (it builds first) or \`pnpm build\`.`);
      process.exit(2);
    }
    if (newest(`${packages}${name}/src`) > statSync(built).mtimeMs) {
      console.error(`bench: warning: packages/${name}/src is newer than its dist/; the bench measures dist/ (run \`pnpm build\`).`);
    }
  }
}
if (args.only !== undefined && !(args.only in GROUPS)) {
  console.error(`unknown group "${args.only}"\n${USAGE}`);
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const options: RunOptions = { quick: args.quick, rounds: args.rounds };
const startedAt = new Date();
const runStart = performance.now();
const report: Record<string, unknown> = {};

const load = () => loadavg().map((n) => n.toFixed(1)).join(" / ");
const loadAtStart = load();
console.log(`# Kalphite bench — ${startedAt.toISOString()} — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load average ${loadAtStart} (1/5/15 min)${args.quick ? " — QUICK (not for numbers)" : ""}\n`);
const outcomes: ({ group: string } & ReturnType<typeof targetOutcomes>[number])[] = [];
for (const [id, factory] of Object.entries(GROUPS)) {
  if (args.only !== undefined && args.only !== id) continue;
  const group = await factory(options);
  if ("skipped" in group) {
    const line = `### ${id}\n\nskipped: ${group.skipped}`;
    console.log(`${line}\n`);
    report[id] = { skipped: group.skipped };
    continue;
  }
  log(`${group.id}: ${group.jobs.length} children × ${group.rounds} rounds`);
  const start = performance.now();
  const { samples, raw }: { samples: Samples; raw: RawResult[] } = await runGroup(group, log);
  const table = renderTable(group, samples, group.rounds);
  console.log(`${table}\n`);
  log(`${group.id}: ${((performance.now() - start) / 1000).toFixed(0)} s`);
  const targets = targetOutcomes(group, samples);
  outcomes.push(...targets.map((t) => ({ group: id, ...t })));
  report[id] = { title: group.title, rounds: group.rounds, jobs: group.jobs, samples, targets, raw };
}

if (outcomes.length > 0) {
  const mark = (ok: boolean | undefined) => (ok === undefined ? "?" : ok ? "✓" : "✗");
  const met = outcomes.filter((o) => o.ok === true).length;
  console.log(`### targets: ${met} of ${outcomes.length} met\n`);
  for (const o of outcomes) console.log(`- ${mark(o.ok)} ${o.group} · ${o.workload} · ${o.impl}: ${o.target}, measured ${o.measured ?? "—"}`);
  console.log(`\n(total ${((performance.now() - runStart) / 1000).toFixed(0)} s; load average at the end ${load()})`);
}

const dir = fileURLToPath(new URL("../results/", import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}${startedAt.toISOString().replace(/[:.]/g, "-")}${args.quick ? "-quick" : ""}.json`;
const json = JSON.stringify(
  { startedAt: startedAt.toISOString(), node: process.version, cpus: cpus().map((c) => c.model), loadAverage: { start: loadAtStart, end: load() }, args, targets: outcomes, groups: report },
  null,
  2,
);
writeFileSync(file, json);
writeFileSync(`${dir}latest.json`, json);
log(`raw results: ${file}`);
