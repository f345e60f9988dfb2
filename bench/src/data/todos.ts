/** The entity every workload uses: a realistic todo. */
export interface Todo {
  readonly id: string;
  readonly type: "todo";
  readonly title: string;
  readonly completed: boolean;
  /** 0 (none) … 4 (urgent). */
  readonly priority: number;
  readonly tags: readonly string[];
  readonly updatedAt: number;
}

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERBS = ["Write", "Review", "Fix", "Ship", "Plan", "Call", "Email", "Refactor", "Test", "Buy", "Book", "Clean"];
const NOUNS = ["report", "pull request", "login bug", "release notes", "roadmap", "dentist", "invoice", "cache layer", "flaky test", "groceries", "flights", "garage"];
const TAGS = ["work", "home", "urgent", "later", "errand", "bug", "feature", "health", "finance", "travel"];
const EPOCH = Date.UTC(2026, 0, 1);

const HEX = "0123456789abcdef";
const codes: number[] = [];

/**
 * A flat (sequential) string: strings read from JSON or a database are flat,
 * while a concatenation is a rope that V8 flattens on its first hash lookup,
 * an allocation that would be charged to whichever store touched it first.
 */
function flatten(parts: readonly string[]): string {
  codes.length = 0;
  for (const part of parts) for (let i = 0; i < part.length; i++) codes.push(part.charCodeAt(i));
  return String.fromCharCode.apply(null, codes);
}

function randomId(index: number, random: () => number): string {
  codes.length = 0;
  const prefix = index.toString(36);
  for (let i = 0; i < prefix.length; i++) codes.push(prefix.charCodeAt(i));
  codes.push(45); // "-"
  for (let i = 0; i < 10; i++) codes.push(HEX.charCodeAt((random() * 16) | 0));
  return String.fromCharCode.apply(null, codes);
}

/**
 * `count` todos, identical for a given `seed`: unique random-looking ids
 * (`<base36 index>-<10 hex>`), a title of ~20 characters, ~30 % completed,
 * priority 0–4, 0–3 tags (a fresh array each) and an increasing `updatedAt`.
 */
export function generateTodos(count: number, seed = 1): Todo[] {
  const random = createRandom(seed);
  const todos: Todo[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const tagCount = (random() * 4) | 0;
    const tags: string[] = [];
    for (let t = 0; t < tagCount; t++) tags.push(TAGS[(random() * TAGS.length) | 0]!);
    todos[i] = {
      id: randomId(i, random),
      type: "todo",
      title: flatten([VERBS[(random() * VERBS.length) | 0]!, " ", NOUNS[(random() * NOUNS.length) | 0]!, " #", String(i)]),
      completed: random() < 0.3,
      priority: (random() * 5) | 0,
      tags,
      updatedAt: EPOCH + i * 1000,
    };
  }
  return todos;
}

/**
 * A new version of `todo` (a new object of the same shape): a changed title,
 * priority and timestamp.
 */
export function editedTodo(todo: Todo, random: () => number, at: number): Todo {
  return {
    id: todo.id,
    type: "todo",
    title: flatten([todo.title, "!"]),
    completed: todo.completed,
    priority: (random() * 5) | 0,
    tags: todo.tags,
    updatedAt: at,
  };
}

/** `count` indices in [0, size), seeded; repeats allowed. */
export function randomIndices(count: number, size: number, seed: number): Uint32Array {
  const random = createRandom(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = (random() * size) | 0;
  return out;
}

/** `count` distinct indices in [0, size), seeded, in random order. */
export function distinctIndices(count: number, size: number, seed: number): number[] {
  if (count > size) throw new RangeError(`cannot pick ${count} distinct of ${size}`);
  const random = createRandom(seed);
  const picked = new Set<number>();
  while (picked.size < count) picked.add((random() * size) | 0);
  return [...picked];
}
