import type { StandardSchemaV1 } from "@standard-schema/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { KalphiteError, KalphiteStore, ValidationError } from "./index";
import { AppSchema, todo } from "./test-fixtures";

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("validation at the store boundary", () => {
  it("throws a ValidationError naming the type, the id and every failing path", () => {
    const store = KalphiteStore(AppSchema);
    const error = catchError(() => store.todo.upsert("t1", { ...todo("t1"), title: "", priority: 9 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(KalphiteError);
    const e = error as ValidationError;
    expect(e.code).toBe("VALIDATION_FAILED");
    expect(e.name).toBe("ValidationError");
    expect(e.entityType).toBe("todo");
    expect(e.entityId).toBe("t1");
    expect(e.issues.map((i) => i.path.join("."))).toEqual(["title", "priority"]);
    expect(e.message).toMatch(/^Invalid todo "t1": title: .+; priority: .+/);
    expect(store.todo.length).toBe(0);
  });

  it("reports nested paths", () => {
    const store = KalphiteStore(AppSchema);
    const error = catchError(() => store.note.upsert("n", { id: "n", type: "note", body: "", meta: { pinned: "yes" as never }, updatedAt: 1 }));
    expect((error as ValidationError).issues[0]?.path).toEqual(["meta", "pinned"]);
    expect((error as Error).message).toContain("meta.pinned");
  });

  it("a failing upsertMany leaves the store unchanged and notifies no one", () => {
    const store = KalphiteStore(AppSchema);
    store.todo.upsert("keep", todo("keep"));
    let notified = 0;
    store.subscribe(() => notified++);
    expect(() => store.todo.upsertMany([todo("a"), todo("keep", { title: "new" }), { ...todo("bad"), completed: 1 as never }])).toThrow(ValidationError);
    expect(store.todo.map((t) => `${t.id}:${t.title}`)).toEqual(["keep:todo keep"]);
    expect(notified).toBe(0);
  });

  it("refuses an entity of another type or with another id", () => {
    const store = KalphiteStore(AppSchema);
    expect(catchError(() => store.todo.upsert("n", { id: "n", type: "note", body: "", updatedAt: 1 } as never))).toMatchObject({
      code: "TYPE_MISMATCH",
      message: expect.stringMatching(/store\.note/),
    });
    expect(catchError(() => store.todo.upsert("a", todo("b")))).toMatchObject({ code: "ID_MISMATCH" });
    expect(store.todo.length).toBe(0);
    expect(store.note.length).toBe(0);
  });

  it("refuses an entity whose type the schema does not know", () => {
    const store = KalphiteStore(AppSchema);
    const stranger = (store as unknown as Record<string, { upsert: (id: string, e: unknown) => unknown }>).stranger!;
    expect(() => stranger.upsert("x", { id: "x", type: "stranger" })).toThrow(ValidationError);
  });

  it("refuses a schema that validates asynchronously, with a clear error", () => {
    const Async = z.object({ id: z.string(), type: z.literal("todo") }).refine(async () => true);
    const store = KalphiteStore(Async);
    const error = catchError(() => store.todo.upsert("a", { id: "a", type: "todo" }));
    expect(error).toBeInstanceOf(KalphiteError);
    expect((error as KalphiteError).code).toBe("ASYNC_SCHEMA");
    expect((error as Error).message).toMatch(/synchronous/);
    expect(store.todo.length).toBe(0);
  });

  it("works with any Standard Schema implementation, not only Zod", () => {
    type Point = { id: string; type: "point"; x: number };
    const PointSchema: StandardSchemaV1<unknown, Point> = {
      "~standard": {
        version: 1,
        vendor: "hand-written",
        validate(value) {
          const v = value as Partial<Point>;
          return typeof v.x === "number"
            ? { value: { id: String(v.id), type: "point", x: v.x } }
            : { issues: [{ message: "x must be a number", path: [{ key: "x" }] }] };
        },
      },
    };
    const store = KalphiteStore(PointSchema);
    store.point.upsert("p", { id: "p", type: "point", x: 1 });
    expect(store.point[0]?.x).toBe(1);
    const error = catchError(() => store.point.upsert("q", { id: "q", type: "point", x: "1" as never }));
    expect((error as ValidationError).issues).toEqual([{ message: "x must be a number", path: ["x"] }]);
  });

  it("without a schema requires a non-empty string id and type", () => {
    const store = KalphiteStore();
    expect(() => store.loadEntities([{ id: "", type: "t" } as never])).toThrow(/id/);
    expect(() => store.loadEntities([{ id: 1, type: "t" } as never])).toThrow(ValidationError);
    expect(() => store.loadEntities([null as never])).toThrow(/expected an object, got null/);
  });
});
