import { describe, expect, it } from "vitest";
import { describeEvery, nextDue, step } from "./recurrence";

describe("recurrence", () => {
  it("steps by day, week, month (clamped to the month's end), weekday and N days", () => {
    expect(step("2026-01-15", "day")).toBe("2026-01-16");
    expect(step("2026-01-15", "week")).toBe("2026-01-22");
    expect(step("2026-01-31", "month")).toBe("2026-02-28");
    expect(step("2026-12-15", "month")).toBe("2027-01-15");
    expect(step("2026-01-16", "weekday")).toBe("2026-01-19"); // Friday → Monday
    expect(step("2026-01-15", "3d")).toBe("2026-01-18");
  });

  it("the next occurrence is after today: a missed daily todo comes back tomorrow", () => {
    expect(nextDue("day", "2026-01-01", "2026-01-15")).toBe("2026-01-16");
    expect(nextDue("week", "2026-01-20", "2026-01-15")).toBe("2026-01-27"); // done early: one step on
    expect(nextDue("month", null, "2026-01-15")).toBe("2026-02-15");
    expect(describeEvery("3d")).toBe("every 3 days");
    expect(describeEvery("weekday")).toBe("every weekday");
  });
});
