import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { ServerError, messageOf } from "./errors";
import { createLogger } from "./log";
import { startSyncServer } from "./server";
import { readTokensFile } from "./tokens";

/** The data directory when neither `--data-dir` nor `--memory` is given. */
export const DEFAULT_DATA_DIR = "./kalphite-server-data";

const integer = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

const program = new Command("kalphite-server")
  .description("One process serving both Kalphite sync protocols: WebSocket entity sync and HTTP operation sync, on PGlite or PostgreSQL.")
  .option("--port <port>", "port to listen on (0 picks a free one)", integer("--port", 0, 65_535), 8787)
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--data-dir <dir>", `PGlite data directory (operations, and entity sync) [default: ${DEFAULT_DATA_DIR}]`)
  .option("--memory", "keep everything in memory (lost on exit) instead of a data directory")
  .option("--postgres <url>", "store operations in PostgreSQL (several instances may share it); also KALPHITE_POSTGRES_URL")
  .option("--token <token>", "a token valid for every room and user; also KALPHITE_SERVER_TOKEN")
  .option("--tokens <file>", 'a JSON file of tokens: { "<token>": { "user": "ada", "rooms": ["team"] } } ("*" = every room)')
  .option("--pool-size <n>", "PostgreSQL connections per room", integer("--pool-size", 1, 100), 4)
  .option("--resync-interval <ms>", "PostgreSQL: how often each room checks for changes it missed a notification of (0: never)", integer("--resync-interval", 0, 3_600_000), 5000)
  .option("--max-rooms <n>", "most operation rooms open at once (each is a SQL schema; on PostgreSQL also a pool and a LISTEN connection)", integer("--max-rooms", 1, 100_000), 100)
  .option("--quiet", "log only warnings and errors")
  .addHelpText(
    "after",
    "\nExamples:\n  kalphite-server --port 8787 --data-dir ./server-data --token secret\n  kalphite-server --port 0 --memory\n  kalphite-server --postgres postgres://user:pass@127.0.0.1:5432/kalphite --tokens tokens.json",
  );

interface Flags {
  port: number;
  host: string;
  dataDir?: string;
  memory?: boolean;
  postgres?: string;
  token?: string;
  tokens?: string;
  poolSize: number;
  resyncInterval: number;
  maxRooms: number;
  quiet?: boolean;
}

async function main(): Promise<void> {
  program.parse();
  const flags = program.opts<Flags>();
  const log = createLogger({ quiet: flags.quiet === true });
  if (flags.memory && flags.dataDir !== undefined) throw new InvalidArgumentError("give --data-dir or --memory, not both");
  const postgres = flags.postgres ?? (process.env["KALPHITE_POSTGRES_URL"] || undefined);
  const token = flags.token ?? (process.env["KALPHITE_SERVER_TOKEN"] || undefined);
  if (token === "") throw new InvalidArgumentError("--token must not be empty");
  const grants = flags.tokens === undefined ? undefined : readTokensFile(flags.tokens);
  const dataDir = flags.memory ? undefined : resolve(flags.dataDir ?? DEFAULT_DATA_DIR);
  if (token === undefined && grants === undefined) log.warn("no-auth", { message: "no --token or --tokens: anyone who can reach the port may read and write every room" });

  const server = await startSyncServer({
    port: flags.port,
    host: flags.host,
    dataDir,
    postgres,
    token,
    ...(grants ? { grants } : {}),
    poolSize: flags.poolSize,
    resyncIntervalMs: flags.resyncInterval,
    maxRooms: flags.maxRooms,
    log,
  });
  log.info("started", { url: server.url, storage: server.storageKind, dataDir: dataDir ?? "memory", auth: token !== undefined || grants !== undefined, pid: process.pid });
  process.stdout.write(`listening on ${server.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn("forced-exit", { signal });
      process.exit(1);
    }
    stopping = true;
    server.close(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error("close-failed", { error: messageOf(error) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // What a client sends never reaches here; a bug elsewhere is logged, not fatal to everyone connected.
  process.on("unhandledRejection", (error) => log.error("unhandled-rejection", { error: messageOf(error) }));
}

main().catch((error: unknown) => {
  const code = error instanceof ServerError ? `${error.code}: ` : "";
  process.stderr.write(`kalphite-server: ${code}${messageOf(error)}\n`);
  process.exit(1);
});
