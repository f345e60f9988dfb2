import { useState, type FormEvent } from "react";
import { useKalphiteStore, useLiveQuery } from "@kalphite/react";
import type { Todo } from "@kalphite/todo-model";
import { AddTodoForm } from "./add-todo-form";
import { newId, run, useApp, useValue } from "./app-context";
import { TodoItem } from "./todo-item";

type Status = "open" | "done" | "all";

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The whole page: sync status, messages, the add form, filters, the list and the projects. */
export function App() {
  const app = useApp();
  const { store } = app;
  const [status, setStatus] = useState<Status>("open");
  const [project, setProject] = useState("");
  const [tag, setTag] = useState("");
  const [search, setSearch] = useState("");
  const todos = useLiveQuery(
    () =>
      store.todo.live
        .where((t: Todo) => (status === "all" ? true : status === "done" ? t.completed : !t.completed))
        .where((t: Todo) => (project === "" ? true : (t.project ?? "").toLowerCase() === project.toLowerCase()))
        .where((t: Todo) => (tag === "" ? true : t.tags.includes(tag)))
        .orderBy("createdAt"),
    [status, project, tag],
  );
  const shown = search.trim() === "" ? todos : todos.filter((t) => t.title.toLowerCase().includes(search.trim().toLowerCase()));
  const projects = useLiveQuery(() => store.project.live.orderBy("name"));
  const projectNames = useKalphiteStore(store, (s) => [...new Set([...s.project.map((p) => p.name), ...s.todo.flatMap((t) => (t.project ? [t.project] : []))])].sort(), sameList);
  const tags = useKalphiteStore(store, (s) => [...new Set(s.todo.flatMap((t) => t.tags))].sort(), sameList);
  const doneCount = useKalphiteStore(store, (s) => s.todo.filter((t) => t.completed).length);

  return (
    <div className="app">
      <header>
        <h1>Kalphite todos</h1>
        <SyncStatusBar />
      </header>
      <Messages />
      <main>
        <AddTodoForm projects={projectNames} />
        <section aria-label="Filters" className="filters">
          <label>
            Show
            <select name="status" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
              <option value="open">open</option>
              <option value="done">done</option>
              <option value="all">all</option>
            </select>
          </label>
          <label>
            Filter by project
            <select name="filter-project" value={project} onChange={(e) => setProject(e.target.value)}>
              <option value="">any project</option>
              {projectNames.map((p) => <option key={p} value={p}>{p}</option>)}
            </select>
          </label>
          <label>
            Filter by tag
            <select name="filter-tag" value={tag} onChange={(e) => setTag(e.target.value)}>
              <option value="">any tag</option>
              {tags.map((t) => <option key={t} value={t}>#{t}</option>)}
            </select>
          </label>
          <label>
            Search
            <input name="search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
          </label>
        </section>
        <section aria-label="Todos">
          <h2>
            {shown.length} {status === "all" ? "" : status} todo{shown.length === 1 ? "" : "s"}
          </h2>
          <ul className="todos" aria-label="Todo list">
            {shown.map((todo) => <TodoItem key={todo.id} todo={todo} />)}
          </ul>
          <button type="button" disabled={doneCount === 0} onClick={() => run(app, () => app.client.mutate.clearDone({}))}>
            Clear {doneCount} done
          </button>
        </section>
        <Projects names={projects.map((p) => p.name)} />
      </main>
    </div>
  );
}

function SyncStatusBar() {
  const { status } = useApp();
  const { connection, pending } = useValue(status);
  const label = connection === "connected" ? "Connected" : connection === "connecting" ? "Offline (reconnecting)" : "Offline";
  return (
    <p role="status" className={`sync ${connection}`} data-connection={connection} data-pending={pending}>
      {label} · {pending === 0 ? "all changes synced" : `${pending} pending operation${pending === 1 ? "" : "s"}`}
    </p>
  );
}

function Messages() {
  const app = useApp();
  const messages = useValue(app.messages);
  if (messages.length === 0) return null;
  return (
    <div role="alert" className="messages">
      {messages.map((m) => (
        <p key={m.id}>
          {m.text} <button type="button" onClick={() => app.dismiss(m.id)} aria-label={`Dismiss: ${m.text}`}>×</button>
        </p>
      ))}
    </div>
  );
}

function Projects({ names }: { names: readonly string[] }) {
  const app = useApp();
  const [name, setName] = useState("");
  const add = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === "") return;
    run(app, () => app.client.mutate.addProject({ id: newId(), name, now: Date.now() }));
    setName("");
  };
  return (
    <section aria-label="Projects" className="projects">
      <h2>Projects</h2>
      <ul>
        {names.map((p) => (
          <li key={p}>
            {p}{" "}
            <button type="button" onClick={() => run(app, () => app.client.mutate.deleteProject({ name: p, now: Date.now() }))} aria-label={`Delete project ${p}`}>
              Delete
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={add} aria-label="Add a project">
        <label>
          New project
          <input name="project-name" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <button type="submit">Add project</button>
      </form>
    </section>
  );
}
