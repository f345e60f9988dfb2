import { TodoError, TodoErrorCode } from "./errors";

/** The forms `--due` accepts, for error messages and help. */
export const DUE_FORMS = "YYYY-MM-DD, today, tomorrow, +Nd or +Nw";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The local calendar day of `date` as `YYYY-MM-DD`. */
export function toIsoDay(date: Date): string {
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** `day` (`YYYY-MM-DD`) moved by `days` calendar days. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return toIsoDay(new Date(y, m - 1, d + days));
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  const utc = (day: string) => {
    const [y, m, d] = day.split("-").map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((utc(to) - utc(from)) / 86_400_000);
}

function isRealDay(day: string): boolean {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * Parses a due date as the user typed it: `YYYY-MM-DD`, `today`, `tomorrow`,
 * `+Nd` (N days from today) or `+Nw` (N weeks), relative to `now`'s local day.
 * @returns the day as `YYYY-MM-DD`
 * @throws TodoError `INVALID_INPUT` naming the value and the accepted forms
 */
export function parseDue(input: string, now: Date): string {
  const text = input.trim().toLowerCase();
  const today = toIsoDay(now);
  if (text === "today") return today;
  if (text === "tomorrow") return addDays(today, 1);
  const relative = /^\+(\d{1,4})([dw])$/.exec(text);
  if (relative) return addDays(today, Number(relative[1]) * (relative[2] === "w" ? 7 : 1));
  if (/^\d{4}-\d{2}-\d{2}$/.test(text) && isRealDay(text)) return text;
  throw new TodoError(TodoErrorCode.InvalidInput, `invalid due date "${input}": use ${DUE_FORMS}`);
}

/**
 * The clock: `KALPHITE_TODO_NOW` (any date `Date` parses, e.g. `2026-01-15T09:00:00`)
 * when set, so tests and demos are reproducible; the real time otherwise.
 * @throws TodoError when `KALPHITE_TODO_NOW` is set but not a date
 */
export function createClock(env: NodeJS.ProcessEnv): () => Date {
  const fixed = env["KALPHITE_TODO_NOW"];
  if (fixed === undefined || fixed === "") return () => new Date();
  const time = new Date(/^\d{4}-\d{2}-\d{2}$/.test(fixed) ? `${fixed}T12:00:00` : fixed).getTime();
  if (Number.isNaN(time)) {
    throw new TodoError(TodoErrorCode.InvalidInput, `KALPHITE_TODO_NOW="${fixed}" is not a date (try 2026-01-15T09:00:00)`);
  }
  return () => new Date(time);
}

/** A short, human description of a due day relative to today: `today`, `tomorrow`, `in 3d`, `2d ago`. */
export function describeDue(due: string, today: string): string {
  const days = daysBetween(today, due);
  if (days === 0) return "today";
  if (days === 1) return "tomorrow";
  if (days === -1) return "yesterday";
  return days > 0 ? `in ${days}d` : `${-days}d ago`;
}
