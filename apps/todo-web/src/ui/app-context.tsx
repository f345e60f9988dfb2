import { createContext, useContext, useSyncExternalStore } from "react";
import type { TodoApp } from "../sync/todo-app";
import type { ValueStore } from "../sync/sync-status";

/** The running app, for every component below `<AppProvider>`. */
export const AppContext = createContext<TodoApp | undefined>(undefined);

/** The running app. @throws Error outside `<AppContext.Provider>` */
export function useApp(): TodoApp {
  const app = useContext(AppContext);
  if (app === undefined) throw new Error("useApp: no <AppContext.Provider> above this component");
  return app;
}

/** The current value of one of the app's small stores (status, messages). */
export function useValue<T>(store: ValueStore<T>): T {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

/** Runs a mutation: a refusal by the server is shown by the app's "rejected" handler; a local error is shown here. */
export function run(app: TodoApp, mutation: () => Promise<void>): void {
  let pending: Promise<void>;
  try {
    pending = mutation();
  } catch (error) {
    app.report(error instanceof Error ? error.message : String(error));
    return;
  }
  pending.catch((error: unknown) => {
    if ((error as { code?: unknown } | null)?.code === "REJECTED") return;
    app.report(error instanceof Error ? error.message : String(error));
  });
}

/** A new client-generated id. */
export const newId = (): string => crypto.randomUUID();

/** Tags typed as words separated by spaces or commas, `#` optional. */
export const parseTags = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((t) => t.replace(/^#/, "").trim())
    .filter((t) => t.length > 0);
