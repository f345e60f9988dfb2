import type { GroupSpec, RunOptions } from "../harness/types";

/** Sizes of the web app workloads. */
export interface WebParams {
  /** Checkbox clicks timed from one profile to the other. */
  readonly edits: number;
  /** Todos stored before the first-load measurement (plus the ten toggled ones). */
  readonly todos: number;
}

/**
 * Group: the web todo app (apps/todo-web) in headless Chromium against a real
 * `kalphite-server` — a click in one browser profile until it is rendered in
 * another, and the first load with 1,000 todos stored.
 */
export function webGroup(options: RunOptions): GroupSpec {
  const params: WebParams = options.quick ? { edits: 40, todos: 200 } : { edits: 200, todos: 1_000 };
  const impl = "chromium";
  return {
    id: "web",
    title: "apps/todo-web in Chromium — two profiles on one kalphite-server (PGlite data directory) on 127.0.0.1",
    impls: [{ id: impl, label: "Vite build, headless Chromium" }],
    rounds: options.rounds ?? (options.quick ? 1 : 3),
    jobs: [{ impl, params: { ...params } }],
    workloads: [
      { id: "click-p50", label: `click in profile A → rendered in profile B, p50 of ${params.edits}`, unit: "ms", baseline: impl },
      { id: "click-p99", label: `click in profile A → rendered in profile B, p99 of ${params.edits}`, unit: "ms", baseline: impl },
      { id: "load-stored", label: `first load, ${params.todos + 10} todos in IndexedDB (navigation start → list rendered)`, unit: "ms", baseline: impl },
      { id: "load-fresh", label: `first load, empty profile, ${params.todos + 10} todos on the server (filled by the first pull)`, unit: "ms", baseline: impl },
    ],
    targets: [],
    notes: [
      "The child runs apps/todo-web/scripts/measure.ts: it builds the app with Vite, starts kalphite-server (--data-dir, --quiet), serves the build and drives /usr/bin/chromium through playwright-core.",
      "click: A clicks a todo's checkbox (speculative at once in A); the operation is pushed, the server notifies B over WebSocket, B pulls and renders. B's MutationObserver stamps the render; both stamps are performance.timeOrigin + now() on one machine.",
      "load-stored: a new page in the profile holding the todos (IndexedDB snapshot, before any server answer); load-fresh: a new profile, the list filled by the first pull. Both from navigation start (JS parse and React render included).",
    ],
  };
}
