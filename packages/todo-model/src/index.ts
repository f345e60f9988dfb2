/** @kalphite/todo-model: the todo app's schema and the shared mutators the server and the clients both run. */
export {
  EntitySchema,
  MAX_NOTE,
  MAX_TITLE,
  NoteSchema,
  PRIORITIES,
  ProjectSchema,
  RECURRENCE,
  TodoSchema,
  UndoSchema,
  todoEntitySchemas,
} from "./schema";
export type { AppEntity, Note, Priority, Project, Todo, UndoRecord } from "./schema";
export {
  addNote,
  addProject,
  addTodo,
  clearDone,
  completeTodo,
  deleteProject,
  deleteTodo,
  editTodo,
  todoMutators,
  uncompleteTodo,
} from "./mutators";
export type { TodoMutatorName, TodoTransaction } from "./mutators";
export {
  AddNoteArgs,
  AddProjectArgs,
  AddTodoArgs,
  ClearDoneArgs,
  CompleteTodoArgs,
  DeleteProjectArgs,
  DeleteTodoArgs,
  EditTodoArgs,
  UncompleteTodoArgs,
} from "./args";
export { RECURRENCE_FORMS, addDays, daysBetween, isIsoDay, nextDue, step, utcDay } from "./dates";
export { TodoModelError, TodoModelErrorCode } from "./errors";
