// The app's entities are the shared todo model's (`@kalphite/todo-model`): the
// same schema the sync server validates against and the shared mutators write.
export { EntitySchema, MAX_NOTE, MAX_TITLE, NoteSchema, PRIORITIES, ProjectSchema, RECURRENCE, TodoSchema, UndoSchema } from "@kalphite/todo-model";
export type { AppEntity, Note, Priority, Project, Todo, UndoRecord } from "@kalphite/todo-model";
