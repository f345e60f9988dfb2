import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOperationSyncServer, type OperationSyncServer } from "@kalphite/sync-ops";

/**
 * Found by the wire fuzzer (`pnpm test:fuzz`, seed 1: 3 of 100,000 messages):
 * strings PostgreSQL cannot store pass the wire schema and reach PGlite, and
 * the server answers `500 STORAGE_FAILED` instead of a 400:
 * - `POST /sync/state {"entityTypes":["\u0000"]}` → 500 "invalid byte
 *   sequence for encoding "UTF8": 0x00";
 * - a push whose `clientId` has a lone surrogate (`"c\udc00"`) → 500
 *   "invalid input syntax for type json" (the whole push is refused).
 * Entities with the same characters are already refused per operation; the
 * wire schemas now refuse NUL and lone surrogates in these strings too.
 */
let server: OperationSyncServer;
const errors: unknown[] = [];
beforeAll(async () => {
  server = await createOperationSyncServer({ onError: (e) => errors.push(e) });
});
afterAll(async () => {
  await server?.close();
});

const post = async (path: string, body: string) => (await fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body })).status;

describe("sync-ops server: NUL and lone surrogates in client-sent strings (found by the fuzzer)", () => {
  it("answers a well-formed request with a 200 (control)", async () => {
    expect(await post("/sync/state", JSON.stringify({ entityTypes: ["todo"] }))).toBe(200);
  });
  it("refuses entityTypes with a NUL character with 400, not 500", async () => {
    expect(await post("/sync/state", '{"entityTypes":["a\\u0000b"]}')).toBe(400);
  });
  it("refuses a push whose clientId has a lone surrogate with 400, not 500", async () => {
    const body = '{"operations":[{"name":"upserttodo","args":["t1",{"title":"x"}],"id":1,"clientId":"c\\udc00","timestamp":0}]}';
    expect(await post("/sync/operations", body)).toBe(400);
  });
});
