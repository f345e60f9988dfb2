import type { LiveView } from "kalphite";
import { toIsoDay } from "../dates";
import type { TodoStore } from "../projects";
import type { Palette } from "../render/colors";
import { renderListView } from "../render/list-view";
import type { Todo } from "../schema";
import { matches, type TodoQuery } from "../todos";

/** What the live list draws with and where. */
export interface LiveListOptions {
  readonly store: TodoStore;
  readonly palette: () => Palette;
  readonly now: () => Date;
  readonly columns: () => number;
  /** Draws the lines (the shell clears the screen first on a terminal). */
  readonly draw: (lines: string[]) => void;
}

/**
 * The shell's live list: a live query over `store.todo` (`live.where`) whose
 * table is drawn again whenever the todos it shows change, whoever changed
 * them (a shell command now, a sync engine later). Changes to todos outside
 * the filter cost nothing; a burst of writes is one redraw.
 */
export class LiveList {
  readonly #options: LiveListOptions;
  #query: TodoQuery | undefined;
  #view: LiveView<Todo> | undefined;
  #dirty = false;
  #timer: NodeJS.Immediate | undefined;

  constructor(options: LiveListOptions) {
    this.#options = options;
  }

  /** Whether a live list is running. */
  get active(): boolean {
    return this.#query !== undefined;
  }

  /** Starts (or replaces) the live list and draws it now. */
  start(query: TodoQuery): void {
    this.stop();
    this.#query = query;
    // Membership is decided against the day the list started; each redraw recomputes what is overdue.
    const today = toIsoDay(this.#options.now());
    this.#view = this.#options.store.todo.live.where((todo) => matches(todo, query, today));
    this.#view.subscribe(() => this.#markDirty());
    this.#draw();
  }

  /** Stops the live list; returns whether one was running. */
  stop(): boolean {
    const was = this.active;
    this.#view?.dispose();
    this.#view = undefined;
    this.#query = undefined;
    this.#dirty = false;
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = undefined;
    return was;
  }

  /** Draws now if something changed since the last draw (the shell calls this before its next prompt). */
  drawIfChanged(): void {
    if (this.#dirty) this.#draw();
  }

  #markDirty(): void {
    this.#dirty = true;
    this.#timer ??= setImmediate(() => {
      this.#timer = undefined;
      this.drawIfChanged();
    });
  }

  #draw(): void {
    const query = this.#query;
    if (!query) return;
    this.#dirty = false;
    const { store, palette, now, columns, draw } = this.#options;
    const c = palette();
    const lines = renderListView(store.todo, query, { c, today: toIsoDay(now()), width: columns() });
    draw([c.dim("── live list: redraws when the data changes; `unwatch` stops it ──"), ...lines]);
  }
}
