import { CommanderError } from "commander";
import { createClock } from "./dates";
import { describeError } from "./errors";
import { openData, resolveDataDir, type OpenData } from "./open";
import { createProgram } from "./program";
import type { GlobalOptions, Runtime } from "./runtime";

function terminalColumns(env: NodeJS.ProcessEnv): number {
  const fromEnv = Number.parseInt(env["COLUMNS"] ?? "", 10);
  return process.stdout.columns || (fromEnv > 0 ? fromEnv : 80);
}

/**
 * Runs `kalphite-todo` with `argv` (without `node` and the script) and
 * resolves to the exit code: 0 on success, 1 on any error (printed as one
 * line on stderr). Resolves only after every write is durable and the
 * database is closed. No command opens the interactive shell.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let opened: Promise<OpenData> | undefined;
  let openedDir: string | undefined;
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
  try {
    const now = createClock(env);
    const runtime: Runtime = {
      env,
      now,
      write: (text) => process.stdout.write(text),
      stdoutIsTTY: process.stdout.isTTY === true,
      columns: () => terminalColumns(env),
      open: (globals: GlobalOptions) => {
        const dir = resolveDataDir(globals.dataDir, env);
        if (opened && dir !== openedDir) throw new Error(`data directory changed from ${openedDir} to ${dir}`);
        openedDir = dir;
        return (opened ??= openData(dir));
      },
    };
    const program = createProgram(runtime, {
      onNoCommand: async (globals) => {
        const data = await runtime.open(globals);
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
    else fail(error);
  }
  if (opened) {
    try {
      await (await opened).close();
    } catch (error) {
      // A failed open was reported above; a failed close means writes may be lost: say so.
      if (code === 0) fail(error);
    }
  }
  process.off("SIGINT", onSigint);
  return interrupted && code === 0 ? 130 : code;
}
