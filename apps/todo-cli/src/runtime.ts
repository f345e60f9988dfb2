import { resolve } from "node:path";
import type { Command } from "commander";
import { toIsoDay } from "./dates";
import type { OpenData } from "./open";
import type { TodoStore } from "./projects";
import { createPalette, colorEnabled, type Palette } from "./render/colors";
import type { TodoQuery } from "./todos";
import { beginUndo } from "./undo";

/** The options every command accepts (declared on the program). */
export interface GlobalOptions {
  readonly dataDir?: string | undefined;
  readonly json?: boolean | undefined;
  /** `false` with `--no-color`. */
  readonly color?: boolean | undefined;
}

/** What only the interactive shell can do: its live list. */
export interface ShellControls {
  /** Shows `query`'s list now and again whenever the data changes. */
  watch(query: TodoQuery): void;
  /** Stops the live list; returns whether one was running. */
  unwatch(): boolean;
}

/**
 * What commands run against: the CLI gives one per process, the shell one per
 * session. Everything a command touches outside its arguments comes through
 * here, so the shell and the CLI share every command unchanged.
 */
export interface Runtime {
  readonly env: NodeJS.ProcessEnv;
  /** Opens the data once (the shell passes its open instance). */
  open(globals: GlobalOptions): Promise<OpenData>;
  /** The clock (`KALPHITE_TODO_NOW` in tests). */
  now(): Date;
  /** Writes to stdout. */
  write(text: string): void;
  /** Whether stdout is a terminal (for colour). */
  readonly stdoutIsTTY: boolean;
  /** Terminal width in columns: stdout's, else `COLUMNS`, else 80. */
  columns(): number;
  /** Present inside the interactive shell. */
  readonly shell?: ShellControls | undefined;
  /** The working directory relative paths (backup files) resolve against: the client's, for a served command. */
  readonly cwd: string;
  /** Whether the user can be asked (stdin and stderr are terminals). */
  readonly interactive: boolean;
  /** Asks the user a yes/no question (only called when `interactive`); `false` unless they answer yes. */
  confirm(question: string): Promise<boolean>;
}

/** One command invocation: its output mode and helpers. */
export interface Invocation {
  readonly json: boolean;
  readonly c: Palette;
  readonly now: Date;
  /** The local day of `now`, `YYYY-MM-DD`. */
  readonly today: string;
  readonly width: number;
  /** Prints a line (or lines) on stdout. */
  print(text?: string): void;
  /** Prints `value` as JSON on stdout. */
  printJson(value: unknown): void;
  /** The store (opening the data on first use). */
  store(): Promise<TodoStore>;
  /** The open data (store, database, flush engine). */
  data(): Promise<OpenData>;
  /** `path` resolved against the user's working directory. */
  resolvePath(path: string): string;
  /**
   * Asks before a destructive bulk command: true at once with `--yes` or
   * without a terminal (scripts), else the user's answer.
   */
  confirm(question: string, yes: boolean | undefined): Promise<boolean>;
}

/** The invocation for an action: reads the global options from `command`. */
export function invocation(runtime: Runtime, command: Command): Invocation {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const json = globals.json === true;
  const now = runtime.now();
  const data = async () => {
    const opened = await runtime.open(globals);
    beginUndo(command, opened.app.store);
    return opened;
  };
  return {
    json,
    c: createPalette(!json && colorEnabled(runtime.env, runtime.stdoutIsTTY, globals.color)),
    now,
    today: toIsoDay(now),
    width: runtime.columns(),
    print: (text = "") => runtime.write(`${text}\n`),
    printJson: (value) => runtime.write(`${JSON.stringify(value, null, 2)}\n`),
    store: async () => (await data()).app.store,
    data,
    resolvePath: (path) => resolve(runtime.cwd, path),
    confirm: async (question, yes) => yes === true || !runtime.interactive || (await runtime.confirm(question)),
  };
}
