import { describe, expect, it } from "vitest";
import { tokenize } from "./tokenize";

describe("tokenize", () => {
  it.each([
    ['add "Buy milk" --tag home', ["add", "Buy milk", "--tag", "home"]],
    ["add 'it''s' x", ["add", "its", "x"]],
    ['add ""', ["add", ""]],
    ["  list   --all  ", ["list", "--all"]],
    ['add "say \\"hi\\""', ["add", 'say "hi"']],
    ["add a\\ b", ["add", "a b"]],
    ["add café 🍵", ["add", "café", "🍵"]],
  ])("splits %j", (line, expected) => {
    expect(tokenize(line)).toEqual(expected);
  });

  it("refuses an unterminated quote", () => {
    expect(() => tokenize('add "oops')).toThrow("unterminated double quote");
  });
});
