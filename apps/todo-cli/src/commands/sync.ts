import type { Command } from "commander";
import { resolveDataDir, prepareDataDir } from "../open";
import { invocation, type Runtime } from "../runtime";
import { checkMode, checkUrl, removeSyncSettings, writeSyncSettings, type SyncSettings } from "../sync/config";
import { syncSettingsFor } from "../sync/session";
import { safeText } from "../render/text";

interface ConnectFlags {
  readonly mode?: string;
  readonly token?: string;
  readonly room?: string;
}

/**
 * `sync connect <url>` (remembered in the data directory), `sync off`,
 * `sync status` (connection, pending operations, state version).
 */
export function registerSync(program: Command, runtime: Runtime): void {
  const sync = program
    .command("sync")
    .description("sync with a kalphite-server: connect <url>, off, status")
    .addHelpText("after", "\nExamples:\n  kalphite-todo sync connect http://127.0.0.1:8787 --token secret\n  kalphite-todo sync status\n  kalphite-todo --sync http://127.0.0.1:8787 list   (this run only)");

  sync
    .command("connect")
    .description("sync this data directory with a server from now on (remembered)")
    .argument("<url>", "the server, e.g. http://127.0.0.1:8787")
    .option("--mode <mode>", "operations (the shared mutators, default) or entities")
    .option("--token <token>", "the server's token (also: $KALPHITE_TODO_SYNC_TOKEN)")
    .option("--room <room>", "the room to share (default: the server's default room)")
    .action(async (url: string, flags: ConnectFlags, command: Command) => {
      const run = invocation(runtime, command);
      const globals = command.optsWithGlobals<{ dataDir?: string }>();
      const settings: SyncSettings = {
        url: checkUrl(url),
        mode: flags.mode === undefined ? "operations" : checkMode(flags.mode),
        ...(flags.token ? { token: flags.token } : {}),
        ...(flags.room ? { room: flags.room } : {}),
      };
      const dataDir = resolveDataDir(globals.dataDir, runtime.env, runtime.cwd);
      prepareDataDir(dataDir);
      writeSyncSettings(dataDir, settings);
      const data = await run.data();
      const status = data.app.sync?.status();
      if (run.json) return run.printJson({ ...settings, token: settings.token ? "(set)" : undefined, status: status ?? null });
      run.print(`Sync on: ${safeText(settings.url)} (${settings.mode}${settings.room ? `, room ${safeText(settings.room)}` : ""})`);
      if (!status || status.url !== settings.url || status.mode !== settings.mode) run.print(run.c.dim("A running kalphite-todo shell holds this data: it syncs this way from its next start."));
      else run.print(status.connection === "connected" ? run.c.green("Connected.") : run.c.yellow(`Not connected yet (${status.connection}): changes are kept here and sent once the server answers.`));
    });

  sync
    .command("off")
    .description("stop syncing this data directory (pending changes are kept for a later connect)")
    .action(async (_flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const globals = command.optsWithGlobals<{ dataDir?: string }>();
      const dataDir = resolveDataDir(globals.dataDir, runtime.env, runtime.cwd);
      const had = removeSyncSettings(dataDir);
      if (run.json) return run.printJson({ sync: false, wasOn: had });
      run.print(had ? "Sync off: this data directory is local only now." : "Sync was not on.");
    });

  sync
    .command("status")
    .description("show the server, the connection, pending operations and the state version")
    .action(async (_flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const globals = command.optsWithGlobals<{ dataDir?: string }>();
      const dataDir = resolveDataDir(globals.dataDir, runtime.env, runtime.cwd);
      const configured = syncSettingsFor(dataDir, runtime.env);
      const data = await run.data();
      const status = data.app.sync?.status();
      if (run.json) return run.printJson(status ?? { sync: false, configured: configured?.url ?? null });
      if (!status) {
        run.print("Sync is off (local only). Turn it on: kalphite-todo sync connect <url>");
        if (configured) run.print(run.c.dim(`A running kalphite-todo shell holds this data; ${safeText(configured.url)} applies from its next start.`));
        return;
      }
      const connection = status.connection === "connected" ? run.c.green(status.connection) : run.c.yellow(status.connection);
      run.print(`Server:             ${safeText(status.url)} (${status.mode}, room ${safeText(status.room)})`);
      run.print(`Connection:         ${connection}`);
      run.print(`Pending operations: ${status.pendingOperations}`);
      run.print(`State version:      ${status.stateVersion === "" ? "none yet" : status.stateVersion}`);
      run.print(`Client id:          ${status.clientId}`);
    });
}
