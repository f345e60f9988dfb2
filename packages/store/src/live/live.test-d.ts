import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { KalphiteStore, type LiveChange, type LiveGroups, type LiveGroupsChange, type LiveQuery, type LiveView } from "../index";

const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string(), completed: z.boolean(), priority: z.number(), updatedAt: z.number() });
const Note = z.object({ id: z.string(), type: z.literal("note"), body: z.string(), updatedAt: z.number() });
type Todo = z.output<typeof Todo>;
type Urgent = Todo & { priority: 5 };

describe("live query types", () => {
  const store = KalphiteStore(z.discriminatedUnion("type", [Todo, Note]));

  it("collection.live is typed by its collection, and every step returns a typed live view", () => {
    expectTypeOf(store.todo.live).toEqualTypeOf<LiveQuery<Todo>>();
    const open = store.todo.live.where((t) => !t.completed).orderBy("priority", "desc").limit(20);
    expectTypeOf(open).toEqualTypeOf<LiveView<Todo>>();
    expectTypeOf(open.offset(1).filter((t) => t.title !== "")).toEqualTypeOf<LiveView<Todo>>();
    expectTypeOf(open[0]).toEqualTypeOf<Todo | undefined>();
    expectTypeOf(open.map((t) => t.title)).toEqualTypeOf<string[]>();
    expectTypeOf(open.disposed).toEqualTypeOf<boolean>();
  });

  it("a type-guard filter narrows the view", () => {
    const urgent = store.todo.live.filter((t): t is Urgent => t.priority === 5);
    expectTypeOf(urgent).toEqualTypeOf<LiveView<Urgent>>();
  });

  it("a view is an array (assignable to T[])", () => {
    const view = store.todo.live.orderBy("title");
    expectTypeOf(view).toMatchTypeOf<Todo[]>();
    expectTypeOf(Array.isArray(view)).toEqualTypeOf<boolean>();
  });

  it("subscribe hands the view and what changed, and returns the unsubscribe function", () => {
    const view = store.note.live.orderBy("updatedAt");
    const stop = view.subscribe((v, change) => {
      expectTypeOf(v).toEqualTypeOf<LiveView<z.output<typeof Note>>>();
      expectTypeOf(change).toEqualTypeOf<LiveChange<z.output<typeof Note>>>();
      expectTypeOf(change.added).toEqualTypeOf<readonly z.output<typeof Note>[]>();
    });
    expectTypeOf(stop).toEqualTypeOf<() => void>();
  });

  it("groupBy keys are typed by the selector or the field", () => {
    expectTypeOf(store.todo.live.groupBy((t) => t.completed)).toEqualTypeOf<LiveGroups<boolean, Todo>>();
    expectTypeOf(store.todo.live.groupBy("priority")).toEqualTypeOf<LiveGroups<number, Todo>>();
    const groups = store.todo.live.orderBy("title").groupBy("completed");
    expectTypeOf(groups.get(true)).toEqualTypeOf<LiveView<Todo> | undefined>();
    groups.subscribe((map, change) => {
      expectTypeOf(map).toEqualTypeOf<LiveGroups<boolean, Todo>>();
      expectTypeOf(change).toEqualTypeOf<LiveGroupsChange<boolean>>();
    });
  });

  it("orderBy keys must be fields of the entity", () => {
    // @ts-expect-error not a field of Todo
    store.todo.live.orderBy("nope");
    // @ts-expect-error not a direction
    store.todo.live.orderBy("title", "up");
  });
});
