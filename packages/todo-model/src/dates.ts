/**
 * Calendar arithmetic on `YYYY-MM-DD` days, in UTC so a mutator gives the
 * same answer on every machine whatever its time zone (the CLI's local-day
 * arithmetic gives the same days: a calendar day has no zone).
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `day` is a real calendar day written `YYYY-MM-DD`. */
export function isIsoDay(day: unknown): day is string {
  if (typeof day !== "string") return false;
  const m = DAY.exec(day);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

const parts = (day: string) => day.split("-").map(Number) as [number, number, number];
const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const format = (date: Date) => `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;

/** The UTC calendar day of `ms` (ms since the epoch), `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return format(new Date(ms));
}

/** `day` moved by `days` calendar days. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = parts(day);
  return format(new Date(Date.UTC(y, m - 1, d + days)));
}

/** Whole days from `from` to `to`; negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  const [fy, fm, fd] = parts(from);
  const [ty, tm, td] = parts(to);
  return Math.round((Date.UTC(ty, tm - 1, td) - Date.UTC(fy, fm - 1, fd)) / 86_400_000);
}

/** How a recurring todo repeats: `day`, `week`, `month`, `weekday` (Monday to Friday) or every `N` days (`3d`). */
export const RECURRENCE_FORMS = "day, week, month, weekday or Nd (every N days, e.g. 3d)";

/**
 * `day` plus one step of `every`: `day`, `week`, `month` (the same day next
 * month, or its last day when that month is shorter: 31 Jan → 28 Feb),
 * `weekday` (the next Monday–Friday) or `Nd`.
 * @throws Error for an unknown recurrence
 */
export function step(day: string, every: string): string {
  if (every === "day") return addDays(day, 1);
  if (every === "week") return addDays(day, 7);
  if (every === "weekday") {
    let next = addDays(day, 1);
    while ([0, 6].includes(new Date(`${next}T00:00:00Z`).getUTCDay())) next = addDays(next, 1);
    return next;
  }
  if (every === "month") {
    const [y, m, d] = parts(day);
    const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    return format(new Date(Date.UTC(y, m, Math.min(d, last))));
  }
  const days = /^([1-9]\d{0,3})d$/.exec(every);
  if (!days) throw new Error(`unknown recurrence "${every}" (expected ${RECURRENCE_FORMS})`);
  return addDays(day, Number(days[1]));
}

/**
 * The due day of the occurrence after one due on `due` (or, undated, done on
 * `today`): one step on, and more steps until it is after `today`, so a daily
 * todo left for a week comes back tomorrow, not seven times.
 */
export function nextDue(every: string, due: string | null | undefined, today: string): string {
  let next = step(due ?? today, every);
  for (let i = 0; i < 100_000 && daysBetween(today, next) <= 0; i++) next = step(next, every);
  return next;
}
