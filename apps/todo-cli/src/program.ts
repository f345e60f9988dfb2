import { Command } from "commander";
import { registerAdd } from "./commands/add";
import { registerDone, registerReopen, registerUndo } from "./commands/done";
import { registerNote, registerShow } from "./commands/show";
import { finishUndo } from "./undo";
import { suggest } from "./suggest";
import { registerEdit } from "./commands/edit";
import { registerExport, registerImport } from "./commands/backup";
import { registerList } from "./commands/list";
import { registerProject } from "./commands/project";
import { registerClearDone, registerRm } from "./commands/rm";
import { registerStats } from "./commands/stats";
import { registerWatch } from "./commands/watch";
import { registerSync } from "./commands/sync";
import { setSyncFlags } from "./sync/session";
import type { GlobalOptions, Runtime } from "./runtime";

/** The app's version, shown by `--version`. */
export const VERSION = "0.1.0";

/** What the program does when run with no command (the CLI opens the shell). */
export type DefaultAction = (globals: GlobalOptions) => Promise<void>;

/** Options of `createProgram`. */
export interface ProgramOptions {
  /** Runs when no command is given; absent inside the shell. */
  readonly onNoCommand?: DefaultAction | undefined;
  /** Where commander writes help (stdout) and errors (stderr). */
  readonly writeOut?: (text: string) => void;
  readonly writeErr?: (text: string) => void;
}

/**
 * The `kalphite-todo` command line, as one commander program. The CLI parses
 * `process.argv` with it once; the shell builds a fresh one per line (so no
 * option value leaks from one line to the next). Errors never exit the
 * process: commander throws (`exitOverride`) and the caller decides.
 */
export function createProgram(runtime: Runtime, options: ProgramOptions = {}): Command {
  const program = new Command("kalphite-todo")
    .description("A todo manager for the terminal, on Kalphite: memory-first, persisted in PGlite.")
    .version(VERSION, "-V, --version", "print the version")
    .option("--data-dir <dir>", "where the data lives (default: $KALPHITE_TODO_DIR, else your user data directory)")
    .option("--json", "print machine-readable JSON on stdout")
    .option("--no-color", "plain output without colours (also: NO_COLOR=1)")
    .option("--sync <url>", "sync with a kalphite-server for this run (remember it: sync connect <url>)")
    .option("--sync-mode <mode>", "operations (shared mutators, default) or entities")
    .option("--sync-token <token>", "the sync server's token (also: $KALPHITE_TODO_SYNC_TOKEN)")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    // Explicit: commander adds no implicit `help` command to a program that has its own action.
    .helpCommand("help [command]", "show help for a command")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: options.writeOut ?? ((text) => process.stdout.write(text)),
      writeErr: options.writeErr ?? ((text) => process.stderr.write(text)),
      // One line, `kalphite-todo: <problem>`, like every other error.
      outputError: (text, write) => write(`kalphite-todo: ${text.replace(/^error: /, "").trim()}\n`),
    });

  registerAdd(program, runtime);
  registerList(program, runtime);
  registerShow(program, runtime);
  registerDone(program, runtime);
  registerReopen(program, runtime);
  registerUndo(program, runtime);
  registerNote(program, runtime);
  registerEdit(program, runtime);
  registerRm(program, runtime);
  registerClearDone(program, runtime);
  registerProject(program, runtime);
  registerStats(program, runtime);
  registerExport(program, runtime);
  registerImport(program, runtime);
  registerSync(program, runtime);
  if (runtime.shell) registerWatch(program, runtime);
  // After a command succeeded: what it changed becomes the newest undo record.
  program.hook("postAction", (_program, action) => finishUndo(action, runtime.now().getTime()));
  // --sync flags apply to the data this run opens (sync/session.ts).
  program.hook("preAction", (_program, action) => setSyncFlags(action.optsWithGlobals()));

  program.addHelpText(
    "after",
    runtime.shell
      ? "\nIn the shell: type a command without `kalphite-todo`; `watch` keeps a live list on screen; `exit` or Ctrl-D leaves."
      : "\nRun with no command for the interactive shell. Exit codes: 0 success, 1 error.\nExamples:\n  kalphite-todo add \"Buy milk\" --due tomorrow --tag errand\n  kalphite-todo list --all --sort due\n  kalphite-todo done k3f9",
  );

  program.allowExcessArguments(true).action(async (_flags: object, command: Command) => {
    if (command.args.length > 0) {
      const typed = command.args[0]!;
      const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
      const close = suggest(typed, names);
      const hint = close ? ` — did you mean '${close}'?` : "";
      command.error(`unknown command '${typed}'${hint} (see: kalphite-todo help)`, { code: "commander.unknownCommand" });
    }
    if (options.onNoCommand) await options.onNoCommand(command.opts<GlobalOptions>());
    else command.outputHelp();
  });
  return program;
}
