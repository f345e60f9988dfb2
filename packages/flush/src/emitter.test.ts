import { describe, expect, it, vi } from "vitest";
import { TypedEmitter } from "./emitter";

interface Events {
  saved: { id: string };
  gone: number;
}

describe("TypedEmitter", () => {
  it("calls listeners in order; on() returns the unsubscribe function", () => {
    const events = new TypedEmitter<Events>();
    const seen: string[] = [];
    events.on("saved", ({ id }) => seen.push(`1:${id}`));
    const off = events.on("saved", ({ id }) => seen.push(`2:${id}`));
    events.on("gone", (n) => seen.push(`gone:${n}`));
    events.emit("saved", { id: "a" });
    off();
    off();
    events.emit("saved", { id: "b" });
    events.emit("gone", 3);
    expect(seen).toEqual(["1:a", "2:a", "1:b", "gone:3"]);
    expect(events.listenerCount("saved")).toBe(1);
  });

  it("a throwing listener is reported and does not stop the others, nor does a throwing handler", () => {
    const onListenerError = vi.fn(() => {
      throw new Error("handler too");
    });
    const events = new TypedEmitter<Events>(onListenerError);
    const after = vi.fn();
    events.on("gone", () => {
      throw new Error("listener");
    });
    events.on("gone", after);
    events.emit("gone", 1);
    expect(after).toHaveBeenCalledWith(1);
    expect(onListenerError).toHaveBeenCalledWith(new Error("listener"), "gone");
  });

  it("defaults to console.error for throwing listeners", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const events = new TypedEmitter<Events>();
    events.on("gone", () => {
      throw new Error("x");
    });
    events.emit("gone", 1);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('"gone" listener threw'), new Error("x"));
    log.mockRestore();
  });

  it("a listener added during an emission hears the next one; one removed meanwhile is skipped", () => {
    const events = new TypedEmitter<Events>();
    const seen: string[] = [];
    let offSecond = () => {};
    events.on("gone", (n) => {
      seen.push(`first:${n}`);
      offSecond();
      events.on("gone", (m) => seen.push(`late:${m}`));
    });
    offSecond = events.on("gone", (n) => seen.push(`second:${n}`));
    events.emit("gone", 1);
    expect(seen).toEqual(["first:1"]);
  });

  it("refuses a listener that is not a function; clear() removes all", () => {
    const events = new TypedEmitter<Events>();
    expect(() => events.on("gone", 1 as never)).toThrow(expect.objectContaining({ name: "KalphiteError", code: "INVALID_ARGUMENT" }));
    events.on("gone", () => {});
    events.clear();
    expect(events.listenerCount("gone")).toBe(0);
  });
});
