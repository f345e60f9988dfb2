import type { Command } from "commander";
import { invocation, type Runtime } from "../runtime";
import { addQueryOptions, queryFromFlags, type QueryFlags } from "./query-options";

/**
 * Shell only: `watch [list options]` keeps a live list on screen, redrawn
 * whenever the data changes (here, or later from sync); `unwatch` stops it.
 */
export function registerWatch(program: Command, runtime: Runtime): void {
  const shell = runtime.shell;
  if (!shell) return;
  const watch = program
    .command("watch")
    .description("keep a live list on screen that redraws when the data changes (same options as list)")
    .argument("[words...]", "only todos containing every word");
  addQueryOptions(watch).action(async (words: string[], flags: QueryFlags, command: Command) => {
    const run = invocation(runtime, command);
    shell.watch(queryFromFlags(flags, await run.store(), run.now, words));
  });
  program
    .command("unwatch")
    .description("stop the live list")
    .action((_flags: object, command: Command) => {
      const run = invocation(runtime, command);
      run.print(shell.unwatch() ? "Live list stopped." : "No live list is running.");
    });
}
