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

  it.each([
    ["next monday", "2026-02-02"],
    ["in 3 days", "2026-02-02"],
    ["fri", "2026-02-06"],
    ["end of month", "2026-01-31"],
    ["End of the year", "2026-12-31"],
    ["dec 25", "2026-12-25"],
    ["25/12", "2026-12-25"], // not ambiguous: there is no month 25
  ])("reads the words %j as %s (chrono-node, forwards from today)", (input, expected) => {
    expect(parseDue(input, now)).toBe(expected);
  });

  it.each(["", "soon", "fri maybe", "+3", "+3m"])("rejects %j naming the value and the accepted forms", (input) => {
    expect(() => parseDue(input, now)).toThrow(TodoError);
    expect(() => parseDue(input, now)).toThrow(new RegExp(`^invalid due date "${input.replace(/[+]/g, "\\+")}": use `));
  });

  it.each(["2026-13-01", "2026-02-30", "2025-02-29"])("rejects the impossible day %j", (input) => {
    expect(() => parseDue(input, now)).toThrow(`invalid due date "${input}": there is no such day`);
  });

  it("refuses a time without a day, and numeric dates whose day/month order is ambiguous, with an example", () => {
    expect(() => parseDue("5pm", now)).toThrow(/a due date is a day, not a time; try "tomorrow"/);
    expect(() => parseDue("12/01/2026", now)).toThrow('ambiguous due date "12/01/2026": day 12 of month 1, or month 12 day 1? write it as 2026-01-12 or 2026-12-01');
    expect(() => parseDue("03/04", now)).toThrow(/^ambiguous due date "03\/04": .* write it as 2026-04-03 or 2026-03-04$/);
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
