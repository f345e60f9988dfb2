import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { checkBackupFile } from "../backup-file";
import { TodoError, TodoErrorCode, describeError } from "../errors";
import type { OpenData } from "../open";
import { invocation, type Runtime } from "../runtime";
import { EntitySchema, ProjectSchema, TodoSchema, type AppEntity, type Project, type Todo } from "../schema";

function counts(data: OpenData): { todos: number; projects: number } {
  return { todos: data.app.store.todo.length, projects: data.app.store.project.length };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What `export --format json` writes: a readable file of every todo and project, which `import` reads back. */
export interface JsonExport {
  readonly format: "kalphite-todo";
  readonly version: 1;
  readonly exportedAt: string;
  readonly todos: readonly Todo[];
  readonly projects: readonly Project[];
}

const FORMATS = ["backup", "json"] as const;

/** Writes beside the target and renames: a crash never leaves half a file under its name. */
function writeAtomically(target: string, file: string, bytes: Uint8Array | string): void {
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, bytes, { mode: 0o600 });
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new TodoError(TodoErrorCode.Io, `cannot write ${file}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * `export <file> [--format backup|json]`: the whole database, flushed, as
 * one backup file (a PGlite data-directory tarball), or every todo and
 * project as readable JSON (the default for a `.json` file).
 */
export function registerExport(program: Command, runtime: Runtime): void {
  program
    .command("export")
    .description("back up everything to FILE (restore it with import); --format json writes readable JSON")
    .argument("<file>", "where to write it, e.g. todos.tar.gz or todos.json")
    .addOption(new Option("-f, --format <format>", "backup (the whole database) or json (default: json for a .json file, else backup)").choices(FORMATS))
    .action(async (file: string, flags: { format?: (typeof FORMATS)[number] }, command: Command) => {
      const run = invocation(runtime, command);
      const target = run.resolvePath(file);
      const format = flags.format ?? (/\.json$/i.test(file) ? "json" : "backup");
      const data = await run.data();
      let bytes: Uint8Array | string;
      if (format === "json") {
        const content: JsonExport = {
          format: "kalphite-todo",
          version: 1,
          exportedAt: run.now.toISOString(),
          todos: [...data.app.store.todo],
          projects: [...data.app.store.project],
        };
        bytes = `${JSON.stringify(content, null, 2)}\n`;
      } else {
        await data.app.flushEngine.flush();
        bytes = new Uint8Array(await (await data.app.db.backup()).arrayBuffer());
      }
      writeAtomically(target, file, bytes);
      const size = typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length;
      const summary = { file: target, format, bytes: size, ...counts(data) };
      if (run.json) return run.printJson(summary);
      run.print(`Exported ${plural(summary.todos, "todo")} and ${plural(summary.projects, "project")} to ${file} (${format}, ${Math.ceil(size / 1024)} KiB)`);
    });
}

/** Reads a file written by `export --format json`. @throws TodoError `BAD_BACKUP` naming what is wrong */
function parseJsonExport(bytes: Uint8Array, file: string): { todos: Todo[]; projects: Project[] } {
  const bad = (why: string) => new TodoError(TodoErrorCode.BadBackup, `${file} is not a kalphite-todo JSON export (${why}); use a file written by \`kalphite-todo export --format json\``);
  let content: unknown;
  try {
    content = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw bad(describeError(error));
  }
  const top = content as Partial<JsonExport> | null;
  if (typeof top !== "object" || top === null || top.format !== "kalphite-todo") throw bad('no "format": "kalphite-todo"');
  if (top.version !== 1) throw bad(`version ${String(top.version)}, this app reads version 1`);
  if (!Array.isArray(top.todos) || !Array.isArray(top.projects)) throw bad('"todos" and "projects" must be arrays');
  const read = <T>(items: readonly unknown[], schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, what: string) =>
    items.map((item, i) => {
      const parsed = schema.safeParse(item);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw bad(`${what}[${i}]${issue ? `.${issue.path.map(String).join(".")}: ${issue.message}` : " is invalid"}`);
      }
      return parsed.data;
    });
  return { todos: read(top.todos, TodoSchema, "todos"), projects: read(top.projects, ProjectSchema, "projects") };
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
    .argument("<file>", "a file written by export (a backup, or --format json)")
    .option("-y, --yes", "do not ask first")
    .action(async (file: string, flags: { yes?: boolean }, command: Command) => {
      const run = invocation(runtime, command);
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(run.resolvePath(file));
      } catch (error) {
        throw new TodoError(TodoErrorCode.Io, `cannot read ${file}: ${describeError(error)}`, { cause: error });
      }
      const json = /^\s*\{/.test(Buffer.from(bytes.subarray(0, 64)).toString("utf8"));
      // Checked before the database is even opened.
      const exported = json ? parseJsonExport(bytes, file) : undefined;
      if (!json) checkBackupFile(bytes, file);
      const data = await run.data();
      const question = `Replace all ${plural(data.app.store.todo.length, "todo")} and ${plural(data.app.store.project.length, "project")} with the contents of ${file}? (undo brings them back)`;
      if (!(await run.confirm(question, flags.yes))) return run.print("Nothing imported.");
      if (exported) {
        const store = data.app.store;
        const keep = new Set([...exported.todos, ...exported.projects].map((entity) => `${entity.type}\u0000${entity.id}`));
        store.batch(() => {
          for (const collection of [store.todo, store.project]) {
            collection.deleteMany(collection.filter((entity) => !keep.has(`${entity.type}\u0000${entity.id}`)).map((entity) => entity.id));
          }
          for (const todo of exported.todos) store.todo.upsert(todo.id, todo);
          for (const project of exported.projects) store.project.upsert(project.id, project);
        });
        await data.app.flushEngine.flush();
        const summary = { file: run.resolvePath(file), ...counts(data) };
        if (run.json) return run.printJson(summary);
        return run.print(`Imported ${plural(summary.todos, "todo")} and ${plural(summary.projects, "project")} from ${file} (replacing what was here)`);
      }
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
