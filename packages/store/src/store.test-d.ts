import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  KalphiteStore,
  type ApplyPatchesOptions,
  type BaseEntity,
  type ChangeBatch,
  type ChangeRecord,
  type ChangeSink,
  type Entity,
  type JsonPatchOperation,
  type LoadResult,
  type StoreTransactionResult,
  type TypedCollection,
} from "./index";

const Todo = z.object({ id: z.string(), type: z.literal("todo"), title: z.string(), completed: z.boolean(), updatedAt: z.number() });
const Note = z.object({ id: z.string(), type: z.literal("note"), body: z.string(), updatedAt: z.number() });
type Todo = z.output<typeof Todo>;
type Note = z.output<typeof Note>;

describe("store types are inferred from the schema", () => {
  const store = KalphiteStore(z.discriminatedUnion("type", [Todo, Note]));

  it("store.<type> is the collection of exactly that union member", () => {
    expectTypeOf(store.todo).toEqualTypeOf<TypedCollection<Todo>>();
    expectTypeOf(store.note).toEqualTypeOf<TypedCollection<Note>>();
    expectTypeOf(store.todo[0]).toEqualTypeOf<Todo | undefined>();
    expectTypeOf(store.todo.findById("x")).toEqualTypeOf<Todo | undefined>();
    expectTypeOf(store.todo.where((t) => t.completed)).toEqualTypeOf<Todo[]>();
    expectTypeOf(store.todo.filter((t) => t.completed)).toEqualTypeOf<Todo[]>();
    expectTypeOf(store.todo.map((t) => t.title)).toEqualTypeOf<string[]>();
    expectTypeOf(store.todo.groupBy((t) => t.completed)).toEqualTypeOf<Map<boolean, Todo[]>>();
    expectTypeOf(store.todo.upsert("a", { title: "x", completed: false, updatedAt: 1 })).toEqualTypeOf<Todo>();
  });

  it("unknown types and wrong fields do not compile", () => {
    // @ts-expect-error -- "comment" is not a type of the schema
    void store.comment;
    // @ts-expect-error -- a note is not a todo
    store.todo.upsert("a", { id: "a", type: "note", body: "", updatedAt: 1 });
    // @ts-expect-error -- title must be a string
    store.todo.upsert("a", { title: 1, completed: false, updatedAt: 1 });
    // @ts-expect-error -- keys must be fields of the entity
    store.todo.orderBy("nope");
  });

  it("update recipes get a typed draft; store methods are typed by type name", () => {
    store.todo.update("a", (draft) => {
      expectTypeOf(draft.completed).toEqualTypeOf<boolean>();
    });
    expectTypeOf(store.getById("note", "n")).toEqualTypeOf<Note | undefined>();
    expectTypeOf(store.getByType("todo")).toEqualTypeOf<TypedCollection<Todo>>();
    store.subscribe((changes) => {
      expectTypeOf(changes).toEqualTypeOf<readonly ChangeRecord<Todo | Note>[]>();
      expectTypeOf(changes[0]!.entityType).toEqualTypeOf<"todo" | "note">();
    });
  });

  it("without a schema, any entity type is a collection of Entity", () => {
    const loose = KalphiteStore();
    expectTypeOf(loose.getByType("anything")).toEqualTypeOf<TypedCollection<Entity>>();
    const typed = KalphiteStore<Todo | Note>();
    expectTypeOf(typed.todo).toEqualTypeOf<TypedCollection<Todo>>();
  });
});

describe("batches, transactions and patches are typed", () => {
  const store = KalphiteStore(z.discriminatedUnion("type", [Todo, Note]));

  it("transaction returns fn's result with patches and the batch id", () => {
    const r = store.transaction(() => store.todo.length, { meta: { cursor: "1" } });
    expectTypeOf(r).toEqualTypeOf<StoreTransactionResult<number>>();
    expectTypeOf(r.patches).toEqualTypeOf<JsonPatchOperation[]>();
    expectTypeOf(store.batch(() => "x", { meta: {} })).toEqualTypeOf<string>();
    expectTypeOf(store.loadEntities([], { onInvalid: "skip" })).toEqualTypeOf<LoadResult>();
    expectTypeOf(store.applyPatches).parameter(1).toEqualTypeOf<ApplyPatchesOptions | undefined>();
    // @ts-expect-error -- loads cannot be patched in
    store.applyPatches([], { origin: "load" });
    // @ts-expect-error -- not an operation
    store.applyPatches([{ op: "merge", path: "/todo/a" }]);
  });

  it("the sink contract", () => {
    expectTypeOf<ChangeSink["scheduleBatch"]>().toEqualTypeOf<((batch: ChangeBatch<BaseEntity>) => void) | undefined>();
  });
});
