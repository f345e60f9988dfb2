import { describe, expect, it } from "vitest";
import { checkOperations } from "../src/world";
import type { SimulatedServerDisk } from "../src/sim-sync-storage";

const key = (clientId: string, name: string, args: string) => `${clientId}\u0000${name}\u0000${args}`;
const disk = (applied: { clientId: string; operationId: number; name: string; args: string; version: number }[]) =>
  ({ applied }) as unknown as SimulatedServerDisk;

describe("the simulator's operation checks", () => {
  it("flag an operation id applied twice, an operation applied more often than called, a lost confirmed write and a confirmation of another operation", () => {
    const problems: string[] = [];
    checkOperations(
      disk([
        { clientId: "c", operationId: 1, name: "put", args: '["a",1]', version: 1 },
        { clientId: "c", operationId: 1, name: "put", args: '["a",1]', version: 2 },
        { clientId: "c", operationId: 2, name: "put", args: '["b",2]', version: 3 },
        { clientId: "c", operationId: 3, name: "put", args: '["b",2]', version: 4 },
      ]),
      new Map([[key("c", "put", '["a",1]'), 2], [key("c", "put", '["b",2]'), 1]]),
      [
        { clientId: "c", id: 2, name: "put", args: '["b",2]' },
        { clientId: "c", id: 3, name: "put", args: '["x",0]' },
        { clientId: "c", id: 9, name: "put", args: '["z",0]' },
        { clientId: "c", id: 10, name: "upsertitem", args: "[]" },
      ],
      problems,
      key,
      new Set(["put"]),
    );
    expect(problems).toEqual([
      expect.stringContaining("operation c#1 applied twice"),
      expect.stringContaining(`put("b",2) was called 1 time(s) and applied 2 times`),
      expect.stringContaining("c#3 was confirmed as put"),
      expect.stringContaining("acknowledged write lost: c#9"),
    ]);
  });

  it("pass a clean log", () => {
    const problems: string[] = [];
    checkOperations(
      disk([{ clientId: "c", operationId: 1, name: "put", args: '["a",1]', version: 1 }]),
      new Map([[key("c", "put", '["a",1]'), 1]]),
      [{ clientId: "c", id: 1, name: "put", args: '["a",1]' }],
      problems,
      key,
      new Set(["put"]),
    );
    expect(problems).toEqual([]);
  });
});
