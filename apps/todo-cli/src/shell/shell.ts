import { createInterface, type Interface } from "node:readline";
import { CommanderError } from "commander";
import { describeError } from "../errors";
import type { OpenData } from "../open";
import { createProgram } from "../program";
import { createPalette, colorEnabled } from "../render/colors";
import type { Runtime } from "../runtime";
import { historyFile, loadHistory, saveHistory, HISTORY_SIZE } from "./history";
import { LiveList } from "./live-list";
import { tokenize } from "./tokenize";
import { complete } from "./complete";

/** The shell's prompt. */
export const PROMPT = "kalphite> ";

/** Where the shell reads and writes. @default process.stdin / process.stdout / process.stderr */
export interface ShellStreams {
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: NodeJS.WriteStream;
  readonly error: NodeJS.WriteStream;
}

/**
 * The interactive shell on an open data directory: a readline prompt with
 * history, the CLI's commands (each line parsed by a fresh commander
 * program), `help`, `watch` for a live list, `exit`/`quit`. A bad line prints
 * its one-line error and the shell carries on. Ctrl-C, Ctrl-D, end of input
 * or `exit` flush every write and close the database; resolves then.
 *
 * Works without a terminal too (input piped in, one command per line), which
 * is how scripts and tests drive it.
 */
export async function runShell(data: OpenData, base: Runtime, streams?: Partial<ShellStreams>): Promise<void> {
  const input = streams?.input ?? process.stdin;
  const output = streams?.output ?? process.stdout;
  const error = streams?.error ?? process.stderr;
  const terminal = input.isTTY === true && output.isTTY === true;
  const history = terminal ? historyFile(base.env) : undefined;
  let completionProgram: ReturnType<typeof createProgram> | undefined;
  const rl: Interface = createInterface({
    completer: (line: string) => complete(line, data.app.store, (completionProgram ??= createProgram(runtime))),
    input,
    output,
    prompt: PROMPT,
    terminal,
    history: history ? loadHistory(history) : [],
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  const store = data.app.store;
  const write = (text: string) => output.write(text);
  let busy = false;
  // The output of the last command, kept on screen under the live list (which clears the screen when it redraws).
  let lastOutput: string[] = [];
  const live = new LiveList({
    store,
    palette: () => createPalette(colorEnabled(base.env, output.isTTY === true)),
    now: () => base.now(),
    columns: () => base.columns(),
    draw: (lines) => {
      // On a terminal the live list owns the screen: clear, draw, re-prompt with the typed input kept.
      if (terminal) write("\x1b[2J\x1b[H");
      const last = lastOutput.length === 0 ? [] : [createPalette(colorEnabled(base.env, output.isTTY === true)).dim("── last command ──"), ...lastOutput];
      write(`${[...lines, ...last].join("\n")}\n`);
      if (terminal && !busy) rl.prompt(true);
    },
  });
  const runtime: Runtime = {
    ...base,
    write,
    stdoutIsTTY: output.isTTY === true,
    open: async (globals) => {
      if (globals.dataDir !== undefined) throw new Error("--data-dir cannot change inside the shell; restart kalphite-todo with it");
      return data;
    },
    shell: { watch: (query) => live.start(query), unwatch: () => live.stop() },
    interactive: terminal,
    confirm: async (question) => {
      const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
      return /^y(es)?$/i.test(answer.trim());
    },
  };

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (terminal) write("\n");
    rl.close();
  };
  rl.on("SIGINT", stop); // Ctrl-C on a terminal: readline reports it here.
  process.on("SIGINT", stop); // Ctrl-C (or kill -INT) when input is not a terminal.
  process.on("SIGTERM", stop);

  if (terminal) {
    const open = store.todo.filter((todo) => !todo.completed).length;
    write(`kalphite-todo shell · ${open} open ${open === 1 ? "todo" : "todos"} · data in ${data.dataDir}\n`);
    write("Type help for commands, watch for a live list, exit to leave.\n");
  }
  rl.prompt();
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === "exit" || line === "quit") break;
      if (line === "clear") {
        if (terminal) write("\x1b[2J\x1b[H");
      } else if (line !== "" && !line.startsWith("#")) {
        busy = true;
        const release = await data.gate.acquire();
        const captured: string[] = [];
        const keep = (text: string) => {
          if (live.active && captured.length < 20) captured.push(text);
        };
        try {
          await runLine(
            line,
            { ...runtime, write: (text) => (keep(text), write(text)) },
            (text) => (keep(text), write(text)),
            (text) => (keep(text), error.write(text)),
          );
        } finally {
          release();
        }
        // What the command printed stays visible under the live list (its first lines; a long listing is not repeated).
        const printed = captured.join("").split("\n").filter(Boolean);
        if (live.active && !/^(watch|unwatch)\b/.test(line)) lastOutput = printed.length > 3 ? [...printed.slice(0, 3), `… (${printed.length - 3} more lines)`] : printed;
        if (!live.active) lastOutput = [];
        busy = false;
      }
      // Piped input arrives as whole chunks of lines that readline hands over
      // without returning to the event loop: yield once per line, so the
      // flush engine's timers (its debounce and maxWaitMs) fire during a
      // burst, and served commands from other processes get their turn.
      await new Promise((resolve) => setImmediate(resolve));
      live.drawIfChanged();
      if (stopping) break;
      rl.prompt();
    }
  } finally {
    live.stop();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    if (history) saveHistory(history, (rl as Interface & { history: string[] }).history);
    rl.close();
    await data.close();
  }
}

/** Runs one shell line through a fresh program; every error becomes one printed line. */
async function runLine(line: string, runtime: Runtime, writeOut: (text: string) => void, writeErr: (text: string) => void): Promise<void> {
  try {
    const args = tokenize(line);
    if (args[0] === "?") args[0] = "help";
    const program = createProgram(runtime, { writeOut, writeErr });
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    // Commander printed its own errors (and help/version exit "successfully").
    if (error instanceof CommanderError) return;
    writeErr(`kalphite-todo: ${describeError(error)}\n`);
  }
}
