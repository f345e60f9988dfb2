import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { checkBackupFile } from "../backup-file";
import { TodoError, TodoErrorCode, describeError } from "../errors";
import type { OpenData } from "../open";
import { invocation, type Runtime } from "../runtime";
import { EntitySchema, type AppEntity } from "../schema";

function counts(data: OpenData): { todos: number; projects: number } {
  return { todos: data.app.store.todo.length, projects: data.app.store.project.length };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `export <file>`: the whole database, flushed, as one backup file (a PGlite data-directory tarball). */
export function registerExport(program: Command, runtime: Runtime): void {
  program
    .command("export")
    .description("back up everything to FILE (restore it with import)")
    .argument("<file>", "where to write the backup, e.g. todos.tar.gz")
    .action(async (file: string, _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      const target = run.resolvePath(file);
      const data = await run.data();
      await data.app.flushEngine.flush();
      const bytes = new Uint8Array(await (await data.app.db.backup()).arrayBuffer());
      // Write beside the target and rename: a crash never leaves half a backup under its name.
      const temporary = `${target}.${process.pid}.tmp`;
      try {
        writeFileSync(temporary, bytes);
        renameSync(temporary, target);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw new TodoError(TodoErrorCode.Io, `cannot write ${file}: ${describeError(error)}`, { cause: error });
      }
      const summary = { file: target, bytes: bytes.length, ...counts(data) };
      if (run.json) return run.printJson(summary);
      run.print(`Exported ${plural(summary.todos, "todo")} and ${plural(summary.projects, "project")} to ${file} (${Math.ceil(bytes.length / 1024)} KiB)`);
    });
}

/**
 * Replaces the store's contents with `entities` without echoing anything but
 * the removals to the database (the restored rows are there already; deleting
 * rows that are not is harmless), so live views see one batch of changes.
 */
function reconcile(data: OpenData, entities: readonly AppEntity[]): void {
  const store = data.app.store;
  const keep = new Set(entities.map((entity) => `${entity.type}\u0000${entity.id}`));
  store.batch(() => {
    for (const collection of [store.todo, store.project]) {
      const stale = collection.filter((entity) => !keep.has(`${entity.type}\u0000${entity.id}`)).map((entity) => entity.id);
      collection.deleteMany(stale);
    }
  });
  store.loadEntities(entities);
}

/** `import <file>`: replaces everything with a backup made by `export`. A bad file changes nothing. */
export function registerImport(program: Command, runtime: Runtime): void {
  program
    .command("import")
    .description("restore a backup written by export (replaces all current todos and projects)")
    .argument("<file>", "a backup file written by export")
    .action(async (file: string, _flags: object, command: Command) => {
      const run = invocation(runtime, command);
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(run.resolvePath(file));
      } catch (error) {
        throw new TodoError(TodoErrorCode.Io, `cannot read ${file}: ${describeError(error)}`, { cause: error });
      }
      checkBackupFile(bytes, file); // before the database is even opened
      const data = await run.data();
      const { db, flushEngine } = data.app;
      await flushEngine.flush();
      // restore() checks the archive completely and swaps it in whole, or leaves the database as it was.
      const previous = await db.backup();
      try {
        await db.restore(new Blob([bytes]));
      } catch (error) {
        throw new TodoError(TodoErrorCode.BadBackup, `cannot import ${file}: ${describeError(error)}`, { cause: error });
      }
      // The app's own check: every entity must be a todo or project of this app (a Kalphite database of
      // some other app restores fine). Any failure from here on puts the previous data back.
      const entities: AppEntity[] = [];
      try {
        for (const row of await db.getAll()) {
          const parsed = EntitySchema.safeParse(row);
          if (!parsed.success) {
            throw new TodoError(TodoErrorCode.BadBackup, `cannot import ${file}: it holds ${row.type} "${row.id}", which is not a todo or project of this app`);
          }
          entities.push(parsed.data);
        }
      } catch (error) {
        await db.restore(previous);
        if (error instanceof TodoError) throw error;
        throw new TodoError(TodoErrorCode.BadBackup, `cannot import ${file}: the restored data cannot be read (${describeError(error)}); your data was left as it was`, { cause: error });
      }
      reconcile(data, entities);
      await flushEngine.flush();
      const summary = { file: run.resolvePath(file), ...counts(data) };
      if (run.json) return run.printJson(summary);
      run.print(`Imported ${plural(summary.todos, "todo")} and ${plural(summary.projects, "project")} from ${file} (replacing what was here)`);
    });
}
