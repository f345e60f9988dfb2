import { KalphiteStore, type LiveView } from "@kalphite/store";
import type { Todo } from "../data/todos";
import { isOpen, touchFirst20, type LiveViewImpl } from "./live-view";

/** `store.todo.live.where(isOpen).orderBy("updatedAt", "desc")`, with one subscriber, freeze off. */
export class KalphiteLiveView implements LiveViewImpl {
  readonly #store = KalphiteStore<Todo>(undefined, { freeze: false });
  #view: LiveView<Todo> | undefined;
  changes = 0;

  load(todos: readonly Todo[]): void {
    this.#store.loadEntities(todos);
    this.#view = this.#store.todo.live.where(isOpen).orderBy("updatedAt", "desc");
    this.#view.subscribe(() => {
      this.changes++;
    });
  }

  write(next: Todo): void {
    this.#store.todo.upsert(next.id, next);
  }

  read(): number {
    const view = this.#view!;
    return touchFirst20(view.length, view.slice(0, 20));
  }

  snapshot(): Todo[] {
    return [...this.#view!];
  }

  all(): Todo[] {
    return [...this.#store.todo];
  }
}
