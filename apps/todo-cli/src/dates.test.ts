import { describe, expect, it } from "vitest";
import { addDays, createClock, describeDue, parseDue, toIsoDay } from "./dates";
import { TodoError } from "./errors";

const now = new Date(2026, 0, 30, 15, 0); // 30 January 2026, local time

describe("parseDue", () => {
  it.each([
    ["2026-12-01", "2026-12-01"],
    ["today", "2026-01-30"],
    ["Tomorrow", "2026-01-31"],
    ["+3d", "2026-02-02"],
    ["+0d", "2026-01-30"],
    ["+2w", "2026-02-13"],
    [" 2024-02-29 ", "2024-02-29"],
  ])("reads %j as %s", (input, expected) => {
    expect(parseDue(input, now)).toBe(expected);
  });

  it.each(["", "soon", "2026-13-01", "2026-02-30", "2025-02-29", "12/01/2026", "+3", "-3d", "+3m", "2026-1-1"])("rejects %j naming the value and the accepted forms", (input) => {
    expect(() => parseDue(input, now)).toThrow(TodoError);
    expect(() => parseDue(input, now)).toThrow(`invalid due date "${input}": use YYYY-MM-DD, today, tomorrow, +Nd or +Nw`);
  });
});

describe("days", () => {
  it("adds days across months and leap years", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(toIsoDay(new Date(2026, 2, 5))).toBe("2026-03-05");
  });

  it("describes a due day relative to today", () => {
    expect(describeDue("2026-01-30", "2026-01-30")).toBe("today");
    expect(describeDue("2026-01-31", "2026-01-30")).toBe("tomorrow");
    expect(describeDue("2026-01-29", "2026-01-30")).toBe("yesterday");
    expect(describeDue("2026-02-09", "2026-01-30")).toBe("in 10d");
    expect(describeDue("2026-01-20", "2026-01-30")).toBe("10d ago");
  });
});

describe("createClock", () => {
  it("uses KALPHITE_TODO_NOW when set, a day meaning its noon", () => {
    expect(createClock({ KALPHITE_TODO_NOW: "2026-01-15T09:30:00" })().getTime()).toBe(new Date(2026, 0, 15, 9, 30).getTime());
    expect(toIsoDay(createClock({ KALPHITE_TODO_NOW: "2026-01-15" })())).toBe("2026-01-15");
  });

  it("refuses a KALPHITE_TODO_NOW that is not a date", () => {
    expect(() => createClock({ KALPHITE_TODO_NOW: "yesterday-ish" })).toThrow(/KALPHITE_TODO_NOW/);
  });
});
