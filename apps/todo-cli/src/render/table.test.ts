import { describe, expect, it } from "vitest";
import { renderTable, type Column } from "./table";
import { truncate, widthOf } from "./text";

const columns: Column[] = [{ header: "ID" }, { header: "TAGS", dropRank: 1 }, { header: "TITLE", flexible: true }];
const rows = [
  [{ text: "k3f9" }, { text: "#home #errand" }, { text: "Buy milk and bread at the corner shop" }],
  [{ text: "m00b" }, { text: "" }, { text: "寿司を買う" }],
];

describe("renderTable", () => {
  it("aligns columns by terminal width, wide characters included", () => {
    const lines = renderTable(columns, rows, { width: 100 });
    expect(lines[0]).toBe("ID    TAGS           TITLE");
    expect(lines[1]).toBe("k3f9  #home #errand  Buy milk and bread at the corner shop");
    expect(lines[2]).toBe("m00b                 寿司を買う");
  });

  it("truncates the flexible column to fit", () => {
    const lines = renderTable(columns, rows, { width: 40 });
    for (const line of lines) expect(widthOf(line)).toBeLessThanOrEqual(40);
    expect(lines[1]).toMatch(/…$/);
  });

  it("drops droppable columns before squeezing the title below its minimum", () => {
    const lines = renderTable(columns, rows, { width: 24 });
    expect(lines[0]).toBe("ID    TITLE");
    for (const line of lines) expect(widthOf(line)).toBeLessThanOrEqual(24);
  });

  it("styles after layout, so colour codes never shift columns", () => {
    const red = (s: string) => `\x1b[31m${s}\x1b[39m`;
    const lines = renderTable([{ header: "A" }, { header: "B" }], [[{ text: "x", style: red }, { text: "y" }]], { width: 80 });
    expect(lines[1]).toBe(`${red("x")}  y`);
  });
});

describe("truncate", () => {
  it("cuts between graphemes and marks the cut", () => {
    expect(truncate("hello world", 8)).toBe("hello w…");
    expect(truncate("寿司を買う", 5)).toBe("寿司…");
    expect(truncate("👍🏽👍🏽👍🏽", 4)).toBe("👍🏽…");
    expect(truncate("short", 10)).toBe("short");
  });
});
