import { createLiveQueryCollection, eq } from "@tanstack/db";
import type { Todo } from "../data/todos";
import { touchFirst20, type LiveViewImpl } from "./live-view";
import { createTanstackTodos } from "./tanstack-store";

function openNewestFirst(todos: ReturnType<typeof createTanstackTodos>) {
  return createLiveQueryCollection((q) =>
    q
      .from({ todo: todos })
      .where(({ todo }) => eq(todo.completed, false))
      .orderBy(({ todo }) => todo.updatedAt, "desc"),
  );
}

/** A live query collection (`where` + `orderBy`) over a local-only collection, with one subscriber. */
export class TanstackLiveView implements LiveViewImpl {
  readonly #todos = createTanstackTodos();
  #live: ReturnType<typeof openNewestFirst> | undefined;
  changes = 0;

  async load(todos: readonly Todo[]): Promise<void> {
    this.#todos.insert(todos as Todo[]);
    this.#live = openNewestFirst(this.#todos);
    this.#live.subscribeChanges(() => {
      this.changes++;
    });
    await this.#live.preload();
  }

  write(next: Todo): void {
    this.#todos.update(next.id, (draft) => {
      draft.updatedAt = next.updatedAt;
      draft.completed = next.completed;
    });
  }

  read(): number {
    const live = this.#live!;
    return touchFirst20(live.size, live.values());
  }

  snapshot(): Todo[] {
    return [...this.#live!.values()];
  }

  all(): Todo[] {
    return this.#todos.toArray.filter(() => true);
  }
}
