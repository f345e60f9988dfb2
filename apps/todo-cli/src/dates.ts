import * as chrono from "chrono-node";
import { TodoError, TodoErrorCode } from "./errors";

/** The forms `--due` accepts, for error messages and help. */
export const DUE_FORMS = "YYYY-MM-DD, today, tomorrow, +Nd, +Nw, or words like fri, next monday, in 3 days, end of month";

/** A date written with numbers only, day and month in an order that depends on the country. */
const NUMERIC_DATE = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?$/;

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
 * `+Nd` (N days from today) or `+Nw` (N weeks), relative to `now`'s local
 * day; else the words people type (`fri`, `next monday`, `in 3 days`, `end
 * of month`, `dec 25`), read by chrono-node, always forwards from today.
 * Refused: anything not read whole (`fri maybe`), a time without a day
 * (`5pm`), and numeric dates whose order of day and month is ambiguous
 * (`03/04`), each with an example of what works.
 * @returns the day as `YYYY-MM-DD`
 * @throws TodoError `INVALID_INPUT` naming the value and the accepted forms
 */
export function parseDue(input: string, now: Date): string {
  const text = input.trim().toLowerCase().replace(/\s+/g, " ");
  const today = toIsoDay(now);
  if (text === "today") return today;
  if (text === "tomorrow") return addDays(today, 1);
  const relative = /^\+(\d{1,4})([dw])$/.exec(text);
  if (relative) return addDays(today, Number(relative[1]) * (relative[2] === "w" ? 7 : 1));
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    if (isRealDay(text)) return text;
    throw new TodoError(TodoErrorCode.InvalidInput, `invalid due date "${input}": there is no such day`);
  }
  if (/^[+-]\d/.test(text)) throw new TodoError(TodoErrorCode.InvalidInput, `invalid due date "${input}": use +Nd (days) or +Nw (weeks), e.g. +3d`);
  const numeric = NUMERIC_DATE.exec(text);
  if (numeric) {
    const [a, b] = [Number(numeric[1]), Number(numeric[2])];
    if (a !== b && a <= 12 && b <= 12) {
      const given = numeric[3] === undefined ? now.getFullYear() : Number(numeric[3]);
      const year = given < 100 ? 2000 + given : given;
      throw new TodoError(
        TodoErrorCode.InvalidInput,
        `ambiguous due date "${input}": day ${a} of month ${b}, or month ${a} day ${b}? write it as ${year}-${String(b).padStart(2, "0")}-${String(a).padStart(2, "0")} or ${year}-${String(a).padStart(2, "0")}-${String(b).padStart(2, "0")}`,
      );
    }
  }
  const eom = /^(?:the )?end of (?:the )?(month|week|year)$/.exec(text);
  if (eom) {
    const day = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    if (eom[1] === "month") return toIsoDay(new Date(day.getFullYear(), day.getMonth() + 1, 0));
    if (eom[1] === "year") return toIsoDay(new Date(day.getFullYear(), 11, 31));
    return addDays(today, (7 - day.getDay()) % 7); // the coming Sunday (today when it is Sunday)
  }
  const results = chrono.parse(text, now, { forwardDate: true });
  const [found] = results;
  if (results.length === 1 && found && found.index === 0 && found.text.length === text.length) {
    const known = found.start;
    if (!known.isCertain("day") && !known.isCertain("weekday") && known.get("day") === now.getDate() && !/\b(today|tonight)\b/.test(text)) {
      throw new TodoError(TodoErrorCode.InvalidInput, `invalid due date "${input}": a due date is a day, not a time; try "tomorrow", "fri" or "in 3 days"`);
    }
    return toIsoDay(known.date());
  }
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
