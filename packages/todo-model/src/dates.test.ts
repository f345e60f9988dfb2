import { describe, expect, it } from "vitest";
import { addDays, daysBetween, isIsoDay, nextDue, step, utcDay } from "./dates";

describe("dates", () => {
  it("moves days across months, years and leap days", () => {
    expect(addDays("2026-01-31", 1)).toBe("2026-02-01");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(daysBetween("2026-01-01", "2026-03-01")).toBe(59);
    expect(daysBetween("2026-03-01", "2026-01-01")).toBe(-59);
  });

  it("steps each recurrence", () => {
    expect(step("2026-01-15", "day")).toBe("2026-01-16");
    expect(step("2026-01-15", "week")).toBe("2026-01-22");
    expect(step("2026-01-31", "month")).toBe("2026-02-28");
    expect(step("2024-01-31", "month")).toBe("2024-02-29");
    expect(step("2026-12-15", "month")).toBe("2027-01-15");
    expect(step("2026-01-16", "weekday")).toBe("2026-01-19"); // Friday → Monday
    expect(step("2026-01-15", "10d")).toBe("2026-01-25");
    expect(() => step("2026-01-15", "fortnight")).toThrow(/unknown recurrence/);
  });

  it("puts the next occurrence after today, however late the todo was done", () => {
    expect(nextDue("day", "2026-01-01", "2026-01-10")).toBe("2026-01-11");
    expect(nextDue("week", "2026-01-14", "2026-01-15")).toBe("2026-01-21");
    expect(nextDue("day", null, "2026-01-10")).toBe("2026-01-11");
  });

  it("checks days and reads the UTC day of a timestamp", () => {
    expect(isIsoDay("2026-02-29")).toBe(false);
    expect(isIsoDay("2024-02-29")).toBe(true);
    expect(isIsoDay("2026-1-1")).toBe(false);
    expect(isIsoDay(20260101)).toBe(false);
    expect(utcDay(Date.UTC(2026, 0, 15, 23, 59))).toBe("2026-01-15");
  });
});
