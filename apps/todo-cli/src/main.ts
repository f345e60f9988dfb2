import { resolve } from "node:path";
import { CommanderError } from "commander";
import { createClock } from "./dates";
import { TodoError, TodoErrorCode, describeError } from "./errors";
import { acquireDataDir } from "./lock";
import { openData, prepareDataDir, resolveDataDir, type OpenData } from "./open";
import { createProgram } from "./program";
import type { GlobalOptions, Runtime } from "./runtime";
import { CommandServer, Gate, forwardCommand, requestFor, type ClientIO, type CommandRequest } from "./serve";
import { guardStdout, writeOut } from "./stdout";

function terminalColumns(env: NodeJS.ProcessEnv): number {
  const fromEnv = Number.parseInt(env["COLUMNS"] ?? "", 10);
  return process.stdout.columns || (fromEnv > 0 ? fromEnv : 80);
}

/** Thrown by `open` when a live process holds the directory: the command is sent there instead. */
class HeldElsewhere extends Error {
  constructor(
    readonly endpoint: string,
    readonly pid: number | undefined,
    readonly dataDir: string,
  ) {
    super(`the data directory ${dataDir} is held by another kalphite-todo (pid ${pid ?? "unknown"})`);
  }
}

/** Asks a yes/no question on stderr, reading the answer from stdin. */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

const interactive = () => process.stdin.isTTY === true && process.stderr.isTTY === true;

/**
 * Runs a command another process sent (see `serve.ts`) against this
 * process's open data, with the client's working directory, environment,
 * terminal width and questions. Resolves to the exit code once its writes
 * are durable.
 */
export async function runServed(request: CommandRequest, io: ClientIO, opened: Promise<OpenData>): Promise<number> {
  let data: OpenData;
  try {
    data = await opened;
  } catch (error) {
    io.err(`kalphite-todo: ${describeError(error)}\n`);
    return 1;
  }
  const release = await data.gate.acquire();
  try {
    const env: NodeJS.ProcessEnv = { ...request.env };
    const runtime: Runtime = {
      env,
      now: createClock(env),
      write: io.out,
      stdoutIsTTY: request.stdoutIsTTY,
      columns: () => request.columns,
      cwd: request.cwd,
      interactive: request.interactive,
      confirm: io.confirm,
      open: async (globals: GlobalOptions) => {
        if (globals.dataDir !== undefined && resolve(request.cwd, globals.dataDir) !== data.dataDir) {
          throw new TodoError(TodoErrorCode.InvalidInput, `this process serves ${data.dataDir} only`);
        }
        return data;
      },
    };
    let code = 0;
    try {
      const program = createProgram(runtime, { writeOut: io.out, writeErr: io.err });
      await program.parseAsync([...request.argv], { from: "user" });
    } catch (error) {
      if (error instanceof CommanderError) code = error.exitCode;
      else {
        io.err(`kalphite-todo: ${describeError(error)}\n`);
        code = 1;
      }
    }
    try {
      await data.app.flushEngine.flush();
    } catch (error) {
      io.err(`kalphite-todo: your changes could not be saved: ${describeError(error)}\n`);
      code = 1;
    }
    return code;
  } finally {
    release();
  }
}

const RETRY = Symbol("retry");

/**
 * Runs `kalphite-todo` with `argv` (without `node` and the script) and
 * resolves to the exit code: 0 on success, 1 on any error (printed as one
 * line on stderr). Resolves only after every write is durable and the
 * database is closed. No command opens the interactive shell.
 *
 * The first process to need a data directory holds it (opens PGlite) and
 * serves every other process's commands over a local socket until it exits;
 * those send their command there (see `serve.ts`) and print what comes back.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  guardStdout();
  // A shell waits this long for a holder that may be a one-shot command about to finish.
  const shellDeadline = Date.now() + 5000;
  for (let attempt = 0; ; attempt++) {
    const code = await attemptMain(argv, env, Date.now() < shellDeadline);
    if (code !== RETRY) return code;
    // The holder was closing down: it releases the directory within moments.
    await new Promise((done) => setTimeout(done, Math.min(200, 10 * (attempt + 1))));
  }
}

async function attemptMain(argv: readonly string[], env: NodeJS.ProcessEnv, shellMayWait: boolean): Promise<number | typeof RETRY> {
  let opened: Promise<OpenData> | undefined;
  let openedDir: string | undefined;
  let releaseTurn: (() => void) | undefined;
  let code = 0;
  let interrupted = false;
  const fail = (error: unknown) => {
    process.stderr.write(`kalphite-todo: ${describeError(error)}\n`);
    code = 1;
  };
  // Ctrl-C during a command: finish it and close the database cleanly (a
  // half-written first-run directory would not open again); twice forces.
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("kalphite-todo: finishing up and saving… (Ctrl-C again to force)\n");
  };
  let heldElsewhere: HeldElsewhere | undefined;
  let wantsShell = false;
  try {
    const now = createClock(env);
    const openHere = async (dir: string): Promise<OpenData> => {
      prepareDataDir(dir);
      const acquired = await acquireDataDir(dir);
      if (!acquired.held) throw new HeldElsewhere(acquired.endpoint, acquired.pid, dir);
      const gate = new Gate();
      const server = new CommandServer((request, io) => runServed(request, io, ready));
      acquired.lock.serve((socket) => server.handle(socket));
      const ready = openData(dir, acquired.lock, server, gate);
      const data = await ready;
      // This process's own command takes the first turn.
      releaseTurn = await gate.acquire();
      return data;
    };
    const runtime: Runtime = {
      env,
      now,
      write: writeOut,
      stdoutIsTTY: process.stdout.isTTY === true,
      columns: () => terminalColumns(env),
      cwd: process.cwd(),
      interactive: interactive(),
      confirm: askOnTerminal,
      open: (globals: GlobalOptions) => {
        const dir = resolveDataDir(globals.dataDir, env);
        if (opened && dir !== openedDir) throw new Error(`data directory changed from ${openedDir} to ${dir}`);
        openedDir = dir;
        return (opened ??= openHere(dir));
      },
    };
    const program = createProgram(runtime, {
      writeOut,
      onNoCommand: async (globals) => {
        wantsShell = true;
        const data = await runtime.open(globals);
        releaseTurn?.();
        releaseTurn = undefined;
        const { runShell } = await import("./shell/shell");
        process.off("SIGINT", onSigint); // the shell handles Ctrl-C itself
        await runShell(data, runtime);
      },
    });
    process.on("SIGINT", onSigint);
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    // Commander has printed its own error (or the help / version, exit code 0).
    if (error instanceof CommanderError) code = error.exitCode;
    else if (error instanceof HeldElsewhere) heldElsewhere = error;
    else fail(error);
  }
  releaseTurn?.();
  if (opened) {
    try {
      await (await opened).close();
    } catch (error) {
      // A failed open was reported above; a failed close means writes may be lost: say so.
      if (code === 0 && !heldElsewhere) fail(error);
    }
  }
  if (heldElsewhere) {
    if (wantsShell) {
      process.off("SIGINT", onSigint);
      if (shellMayWait) return RETRY;
      fail(
        new TodoError(
          TodoErrorCode.Conflict,
          `a kalphite-todo shell is already open on ${heldElsewhere.dataDir} (pid ${heldElsewhere.pid ?? "unknown"}): use that one (one-shot commands work meanwhile: they are sent to it)`,
        ),
      );
      return code;
    }
    const forwarded = await forward(heldElsewhere.endpoint, argv, env);
    process.off("SIGINT", onSigint);
    if (forwarded === RETRY) return RETRY;
    return interrupted && forwarded === 0 ? 130 : forwarded;
  }
  process.off("SIGINT", onSigint);
  return interrupted && code === 0 ? 130 : code;
}

async function forward(endpoint: string, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | typeof RETRY> {
  const request = requestFor(argv, env);
  const outcome = await forwardCommand(endpoint, request, {
    out: writeOut,
    err: (text) => process.stderr.write(text),
    confirm: askOnTerminal,
  });
  return outcome.kind === "retry" ? RETRY : outcome.code;
}
