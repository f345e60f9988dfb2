import { useState, type FormEvent, type KeyboardEvent } from "react";
import { PRIORITIES, type Priority, type Todo } from "@kalphite/todo-model";
import { newId, parseTags, run, useApp } from "./app-context";

/** One todo: done checkbox, what it is, edit and delete; an inline form while editing. */
export function TodoItem({ todo }: { todo: Todo }) {
  const app = useApp();
  const [editing, setEditing] = useState(false);
  const toggle = () =>
    run(app, () => (todo.completed ? app.client.mutate.uncompleteTodo({ id: todo.id, now: Date.now() }) : app.client.mutate.completeTodo({ id: todo.id, now: Date.now() })));
  const remove = () => run(app, () => app.client.mutate.deleteTodo({ id: todo.id }));
  if (editing) return <EditTodo todo={todo} close={() => setEditing(false)} />;
  return (
    <li className={todo.completed ? "todo done" : "todo"} data-id={todo.id}>
      <input id={`done-${todo.id}`} type="checkbox" checked={todo.completed} onChange={toggle} aria-label={`Done: ${todo.title}`} />
      <span className="title">{todo.title}</span>
      <span className={`priority ${todo.priority}`}>{todo.priority}</span>
      {todo.due ? <span className="due">due {todo.due}</span> : null}
      {todo.project ? <span className="project">{todo.project}</span> : null}
      {todo.tags.map((tag) => <span key={tag} className="tag">#{tag}</span>)}
      <button type="button" onClick={() => setEditing(true)} aria-label={`Edit ${todo.title}`}>Edit</button>
      <button type="button" onClick={remove} aria-label={`Delete ${todo.title}`}>Delete</button>
    </li>
  );
}

function EditTodo({ todo, close }: { todo: Todo; close: () => void }) {
  const app = useApp();
  const [title, setTitle] = useState(todo.title);
  const [due, setDue] = useState(todo.due ?? "");
  const [project, setProject] = useState(todo.project ?? "");
  const [tags, setTags] = useState(todo.tags.join(" "));
  const [priority, setPriority] = useState<Priority>(todo.priority);
  const save = (event: FormEvent) => {
    event.preventDefault();
    const next = parseTags(tags).map((t) => t.toLowerCase());
    const changes = {
      ...(title.trim() !== todo.title ? { title } : {}),
      ...(priority !== todo.priority ? { priority } : {}),
      ...((due || null) !== (todo.due ?? null) ? { due: due === "" ? null : due } : {}),
      ...((project.trim() || null) !== (todo.project ?? null) ? { project: project.trim() === "" ? null : project, projectId: newId() } : {}),
      addTags: next.filter((t) => !todo.tags.includes(t)),
      removeTags: todo.tags.filter((t) => !next.includes(t)),
    };
    const changed = Object.keys(changes).length > 2 || changes.addTags.length + changes.removeTags.length > 0;
    if (changed) run(app, () => app.client.mutate.editTodo({ id: todo.id, now: Date.now(), ...changes }));
    close();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") close();
  };
  const id = (field: string) => `edit-${field}-${todo.id}`;
  return (
    <li className="todo editing" data-id={todo.id}>
      <form onSubmit={save} onKeyDown={onKeyDown} aria-label={`Edit ${todo.title}`}>
        <label htmlFor={id("title")}>Title</label>
        <input id={id("title")} value={title} onChange={(e) => setTitle(e.target.value)} required autoFocus />
        <label htmlFor={id("due")}>Due</label>
        <input id={id("due")} type="date" value={due} onChange={(e) => setDue(e.target.value)} />
        <label htmlFor={id("project")}>Project</label>
        <input id={id("project")} list="project-names" value={project} onChange={(e) => setProject(e.target.value)} />
        <label htmlFor={id("tags")}>Tags</label>
        <input id={id("tags")} value={tags} onChange={(e) => setTags(e.target.value)} />
        <label htmlFor={id("priority")}>Priority</label>
        <select id={id("priority")} value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
          {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
        <button type="submit">Save</button>
        <button type="button" onClick={close}>Cancel</button>
      </form>
    </li>
  );
}
