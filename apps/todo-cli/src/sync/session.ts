/**
 * Sync for the todo app: which server this run syncs with (`--sync` flags,
 * else what `sync connect` remembered in the data directory), opening the
 * Kalphite instance with it, and finishing a run (waiting a moment for the
 * server to confirm what this run changed).
 */
import type { KalphiteSyncOptions, createKalphite as CreateKalphite } from "kalphite";
import { describeError } from "../errors";
import type { EntitySchema } from "../schema";
import { checkMode, checkUrl, readSyncSettings, type SyncMode, type SyncSettings } from "./config";
import { SYNCED_TYPES, todoOperations } from "./translate";

type TodoApp = Awaited<ReturnType<typeof CreateKalphite<typeof EntitySchema>>>;

/** `--sync`, `--sync-mode`, `--sync-token` of this process (they win over the remembered settings). */
let flags: { url?: string; mode?: SyncMode; token?: string } = {};

/** Takes the sync flags of a parsed command line (absent ones leave earlier ones alone). @throws TodoError on a bad URL or mode */
export function setSyncFlags(globals: { sync?: string | undefined; syncMode?: string | undefined; syncToken?: string | undefined }): void {
  if (globals.sync !== undefined) flags = { ...flags, url: checkUrl(globals.sync) };
  if (globals.syncMode !== undefined) flags = { ...flags, mode: checkMode(globals.syncMode) };
  if (globals.syncToken !== undefined) flags = { ...flags, token: globals.syncToken };
}

/** The settings this run syncs with in `dataDir`, or `undefined` (local only). */
export function syncSettingsFor(dataDir: string, env: NodeJS.ProcessEnv): SyncSettings | undefined {
  const remembered = readSyncSettings(dataDir);
  const url = flags.url ?? remembered?.url;
  if (url === undefined) return undefined;
  const token = flags.token ?? env["KALPHITE_TODO_SYNC_TOKEN"] ?? remembered?.token;
  const room = remembered?.room;
  return { url, mode: flags.mode ?? remembered?.mode ?? "operations", ...(token ? { token } : {}), ...(room ? { room } : {}) };
}

const waitMs = (env: NodeJS.ProcessEnv, name: string, fallback: number) => {
  const value = Number(env[name]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};

/** Resolves with `promise`'s outcome, or `false` after `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens the todo data, synced when this run has settings: operations mode
 * sends every command as the shared mutators of `@kalphite/todo-model`
 * (`addTodo`, `completeTodo`, …; see `translate.ts`), entities mode as
 * entity changes. Waits for the first pull (up to `KALPHITE_TODO_SYNC_CONNECT_MS`,
 * @default 3000) so a command sees the server's state; offline it goes on at once.
 * A refusal is reported on stderr (the change is rolled back).
 */
export async function openTodoKalphite(createKalphite: typeof CreateKalphite, schema: typeof EntitySchema, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<TodoApp> {
  const settings = syncSettingsFor(dataDir, env);
  if (!settings) return createKalphite({ schema, dataDir });
  const sync: KalphiteSyncOptions = {
    url: settings.url,
    mode: settings.mode,
    entityTypes: SYNCED_TYPES,
    connect: false,
    ...(settings.token ? { authToken: settings.token } : {}),
    ...(settings.room ? { room: settings.room } : {}),
    ...(settings.mode === "operations" ? { toOperations: todoOperations } : {}),
  };
  const app = await createKalphite({ schema, dataDir, sync });
  app.sync!.onRejected(({ name, error }) => process.stderr.write(`kalphite-todo: the server refused ${name}: ${error} (rolled back)\n`));
  app.sync!.onError((error) => {
    if ((error as { code?: string }).code === "UNAUTHORIZED" || /\b401\b|unauthori[sz]ed/i.test(error.message)) reportOnce(`the sync server refused the token (${describeError(error)}): set it with --sync-token or sync connect <url> --token <token>`);
  });
  await within(app.sync!.connect(), waitMs(env, "KALPHITE_TODO_SYNC_CONNECT_MS", 3000));
  return app;
}

const reported = new Set<string>();
function reportOnce(text: string): void {
  if (reported.has(text)) return;
  reported.add(text);
  process.stderr.write(`kalphite-todo: ${text}\n`);
}

/**
 * Before the data closes: waits (up to `KALPHITE_TODO_SYNC_WAIT_MS`, @default 5000)
 * for the server to confirm this run's changes; what it did not confirm
 * stays stored and is sent by the next synced run (said on stderr).
 */
export async function finishTodoSync(app: TodoApp, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const sync = app.sync;
  if (!sync) return;
  if (sync.status().pendingOperations > 0 || sync.status().connection === "connected") {
    await within(sync.flush(), waitMs(env, "KALPHITE_TODO_SYNC_WAIT_MS", 5000));
  }
  const { pendingOperations, url } = sync.status();
  if (pendingOperations > 0) {
    reportOnce(`offline: ${pendingOperations} change${pendingOperations === 1 ? "" : "s"} wait${pendingOperations === 1 ? "s" : ""} for ${url} (kept here, sent on the next synced run)`);
  }
}
