import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";

/**
 * The wire protocol between a process that holds a data directory and the
 * others (a one-shot `kalphite-todo add …` while the shell is open). One
 * connection per command, newline-delimited JSON over a local socket that
 * only the user can open (it lives in a 0700 directory).
 *
 * client → server, first line: a `CommandRequest`.
 * server → client: `accepted` (the command now runs: from here on it is not
 * retried), then any number of `out`/`err` (text for stdout/stderr) and
 * `confirm` (a yes/no question; the client answers `{ t: "answer", yes }`),
 * then `end` with the exit code, sent only once the command's writes are
 * durable. Instead of `accepted` the server may send `retry` (it is closing
 * down): the client then tries to take the directory itself.
 */
export interface CommandRequest {
  readonly v: 1;
  readonly argv: readonly string[];
  /** The client's working directory: relative paths (export/import files, --data-dir) resolve against it. */
  readonly cwd: string;
  /** The client's environment, reduced to what commands read (`KALPHITE_TODO_NOW`, `NO_COLOR`, `FORCE_COLOR`, `TERM`, `COLUMNS`). */
  readonly env: Readonly<Record<string, string>>;
  readonly stdoutIsTTY: boolean;
  /** Whether the client can ask its user (stdin and stderr are terminals). */
  readonly interactive: boolean;
  readonly columns: number;
}

/** Messages the server sends. */
export type ServerMessage =
  | { readonly t: "accepted" }
  | { readonly t: "retry" }
  | { readonly t: "out"; readonly s: string }
  | { readonly t: "err"; readonly s: string }
  | { readonly t: "confirm"; readonly q: string }
  | { readonly t: "end"; readonly code: number };

/** Messages the client sends after its request. */
export type ClientMessage = { readonly t: "answer"; readonly yes: boolean };

/** The environment variables a served command sees from its client. */
export const FORWARDED_ENV = ["KALPHITE_TODO_NOW", "NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS"] as const;

/** The request this process sends for `argv`: its working directory, environment, terminal. */
export function requestFor(argv: readonly string[], env: NodeJS.ProcessEnv): CommandRequest {
  const forwarded: Record<string, string> = {};
  for (const key of FORWARDED_ENV) if (env[key] !== undefined) forwarded[key] = env[key];
  const fromEnv = Number.parseInt(env["COLUMNS"] ?? "", 10);
  return {
    v: 1,
    argv: [...argv],
    cwd: process.cwd(),
    env: forwarded,
    stdoutIsTTY: process.stdout.isTTY === true,
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    columns: process.stdout.columns || (fromEnv > 0 ? fromEnv : 80),
  };
}

/**
 * One command at a time against the open data: the shell's lines, the
 * holder's own command and served commands queue here, so no command sees
 * another's half-done work (an import is several awaits long).
 */
export class Gate {
  #tail: Promise<void> = Promise.resolve();

  /** Waits for the turn; resolves to the function that ends it. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const ready = this.#tail.then(() => once(release));
    this.#tail = this.#tail.then(() => turn);
    return ready;
  }
}

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

/** What a served command can do towards its client. */
export interface ClientIO {
  out(text: string): void;
  err(text: string): void;
  /** Asks the client's user; `false` when the client went away. */
  confirm(question: string): Promise<boolean>;
}

/** Runs one served command and resolves to its exit code (after its writes are durable). */
export type ServeHandler = (request: CommandRequest, io: ClientIO) => Promise<number>;

function send(socket: Socket, message: ServerMessage): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`);
}

function isRequest(value: unknown): value is CommandRequest {
  const r = value as CommandRequest;
  return (
    typeof r === "object" && r !== null && r.v === 1 && Array.isArray(r.argv) && r.argv.every((a) => typeof a === "string") &&
    typeof r.cwd === "string" && typeof r.env === "object" && r.env !== null && typeof r.columns === "number"
  );
}

/**
 * The holder's side: reads one request per connection, runs it through
 * `handler`, streams the output back. Never crashes on what a client sends
 * (a bad request is answered with an error and closed). `stop()` makes new
 * requests retry elsewhere and waits for the running ones.
 */
export class CommandServer {
  readonly #handler: ServeHandler;
  readonly #running = new Set<Promise<unknown>>();
  #stopping = false;

  constructor(handler: ServeHandler) {
    this.#handler = handler;
  }

  handle(socket: Socket): void {
    socket.setEncoding("utf8");
    socket.on("error", () => {
      // The client went away (Ctrl-C, killed): its command still completes here.
    });
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    lines.on("error", () => {
      // readline re-emits the socket's errors: handled above.
    });
    let started = false;
    const answers: Array<(yes: boolean) => void> = [];
    socket.on("close", () => {
      for (const answer of answers.splice(0)) answer(false);
    });
    lines.on("line", (line) => {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        message = undefined;
      }
      if (started) {
        if ((message as ClientMessage | undefined)?.t === "answer") answers.shift()?.((message as ClientMessage).yes === true);
        return;
      }
      started = true;
      if (!isRequest(message)) {
        send(socket, { t: "accepted" });
        send(socket, { t: "err", s: "kalphite-todo: the serving process did not understand the request (is one of them an older version?)\n" });
        send(socket, { t: "end", code: 1 });
        socket.end();
        return;
      }
      if (this.#stopping) {
        send(socket, { t: "retry" });
        socket.end();
        return;
      }
      const io: ClientIO = {
        out: (s) => send(socket, { t: "out", s }),
        err: (s) => send(socket, { t: "err", s }),
        confirm: (q) =>
          new Promise<boolean>((resolve) => {
            if (socket.destroyed) return resolve(false);
            answers.push(resolve);
            send(socket, { t: "confirm", q });
          }),
      };
      const task = (async () => {
        send(socket, { t: "accepted" });
        let code = 1;
        try {
          code = await this.#handler(message, io);
        } catch (error) {
          io.err(`kalphite-todo: ${error instanceof Error ? error.message : String(error)}\n`);
        }
        send(socket, { t: "end", code });
        socket.end();
      })();
      this.#running.add(task);
      void task.finally(() => this.#running.delete(task));
    });
  }

  /** From now on new requests are told to retry; resolves when the running ones have finished. */
  async stop(): Promise<void> {
    this.#stopping = true;
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}

/** How a forwarded command ended. */
export type ForwardOutcome = { readonly kind: "done"; readonly code: number } | { readonly kind: "retry" };

/** Where the client writes and how it asks. */
export interface ForwardIO {
  out(text: string): void;
  err(text: string): void;
  confirm(question: string): Promise<boolean>;
}

/**
 * The client's side: sends `request` to the holder at `endpoint` and relays
 * what comes back. `retry` when the holder is closing down or went away
 * before accepting the command (safe: nothing ran); a holder that dies while
 * running it is reported (the command may or may not have been saved).
 */
export function forwardCommand(endpoint: string, request: CommandRequest, io: ForwardIO): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    const socket = connect(endpoint);
    socket.setEncoding("utf8");
    let accepted = false;
    let settled = false;
    const finish = (outcome: ForwardOutcome) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    socket.once("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("error", () => {
      // Reported through "close".
    });
    socket.on("close", () => {
      if (settled) return;
      if (!accepted) return finish({ kind: "retry" });
      io.err("kalphite-todo: the kalphite-todo process holding the data directory exited while running this command; it may or may not have been saved (check with: kalphite-todo list)\n");
      finish({ kind: "done", code: 1 });
    });
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    lines.on("error", () => {
      // readline re-emits the socket's errors (ECONNREFUSED from a dead holder): reported through "close".
    });
    lines.on("line", (line) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(line) as ServerMessage;
      } catch {
        return;
      }
      switch (message.t) {
        case "accepted":
          accepted = true;
          break;
        case "retry":
          finish({ kind: "retry" });
          break;
        case "out":
          io.out(message.s);
          break;
        case "err":
          io.err(message.s);
          break;
        case "confirm":
          void io.confirm(message.q).then((yes) => {
            if (!socket.destroyed) socket.write(`${JSON.stringify({ t: "answer", yes } satisfies ClientMessage)}\n`);
          });
          break;
        case "end":
          finish({ kind: "done", code: message.code });
          break;
      }
    });
  });
}
