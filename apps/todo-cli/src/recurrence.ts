import { addDays, daysBetween } from "./dates";

/** `day` (`YYYY-MM-DD`) plus one step of `every` (`day`, `week`, `month`, `weekday`, `Nd`). */
export function step(day: string, every: string): string {
  if (every === "day") return addDays(day, 1);
  if (every === "week") return addDays(day, 7);
  if (every === "weekday") {
    let next = addDays(day, 1);
    while ([0, 6].includes(new Date(`${next}T12:00:00`).getDay())) next = addDays(next, 1);
    return next;
  }
  if (every === "month") {
    const [y, m, d] = day.split("-").map(Number) as [number, number, number];
    // The same day next month, or its last day when it is shorter (31 Jan → 28 Feb).
    const last = new Date(y, m + 1, 0).getDate();
    const next = new Date(y, m, Math.min(d, last));
    return `${next.getFullYear()}-${String(next.getMonth() + 1).padStart(2, "0")}-${String(next.getDate()).padStart(2, "0")}`;
  }
  const days = /^(\d+)d$/.exec(every);
  if (!days) throw new Error(`unknown recurrence "${every}"`);
  return addDays(day, Number(days[1]));
}

/**
 * The due day of the occurrence after one due on `due` (or, undated, done
 * `today`): one step on, and further steps until it is after today, so a
 * daily todo left for a week comes back tomorrow, not seven times.
 */
export function nextDue(every: string, due: string | null | undefined, today: string): string {
  let next = step(due ?? today, every);
  for (let i = 0; i < 100_000 && daysBetween(today, next) <= 0; i++) next = step(next, every);
  return next;
}

/** `every day`, `every 3 days`, `every weekday`. */
export function describeEvery(every: string): string {
  const days = /^(\d+)d$/.exec(every);
  return days ? `every ${days[1]} days` : `every ${every}`;
}
