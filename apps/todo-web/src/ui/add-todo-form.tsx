import { useState, type FormEvent } from "react";
import { PRIORITIES, type Priority } from "@kalphite/todo-model";
import { newId, parseTags, run, useApp } from "./app-context";

/** The form that adds a todo: title, due date, project, tags, priority. */
export function AddTodoForm({ projects }: { projects: readonly string[] }) {
  const app = useApp();
  const [title, setTitle] = useState("");
  const [due, setDue] = useState("");
  const [project, setProject] = useState("");
  const [tags, setTags] = useState("");
  const [priority, setPriority] = useState<Priority>("medium");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim() === "") return;
    const id = newId();
    run(app, () =>
      app.client.mutate.addTodo({
        id,
        title,
        now: Date.now(),
        priority,
        due: due === "" ? null : due,
        project: project.trim() === "" ? null : project,
        projectId: newId(),
        tags: parseTags(tags),
      }),
    );
    setTitle("");
    setDue("");
    setProject("");
    setTags("");
  };
  return (
    <form className="add" onSubmit={submit} aria-label="Add a todo">
      <label>
        Title
        <input name="title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={500} placeholder="What needs doing?" />
      </label>
      <label>
        Due
        <input name="due" type="date" value={due} onChange={(e) => setDue(e.target.value)} />
      </label>
      <label>
        Project
        <input name="project" list="project-names" value={project} onChange={(e) => setProject(e.target.value)} />
      </label>
      <datalist id="project-names">{projects.map((p) => <option key={p} value={p} />)}</datalist>
      <label>
        Tags
        <input name="tags" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="home, errands" />
      </label>
      <label>
        Priority
        <select name="priority" value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
          {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </label>
      <button type="submit">Add</button>
    </form>
  );
}
