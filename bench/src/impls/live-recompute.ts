import type { Todo } from "../data/todos";
import { MapStore } from "./map-store";
import { isOpen, newestFirst, touchFirst20, type LiveViewImpl } from "./live-view";

/** The baseline: no view at all; every read filters and sorts the whole collection (the floor store underneath). */
export class RecomputeView implements LiveViewImpl {
  readonly #store = new MapStore();

  load(todos: readonly Todo[]): void {
    this.#store.bulkLoad(todos);
  }

  write(next: Todo): void {
    this.#store.replace(next);
  }

  read(): number {
    const view = this.#store.filter(isOpen).sort(newestFirst);
    return touchFirst20(view.length, view.slice(0, 20));
  }

  snapshot(): Todo[] {
    return this.#store.filter(isOpen).sort(newestFirst);
  }

  all(): Todo[] {
    return this.#store.filter(() => true);
  }
}
