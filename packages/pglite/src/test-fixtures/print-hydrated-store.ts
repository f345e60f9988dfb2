/**
 * Child process of the round-trip test: opens the database directory given as
 * the first argument, hydrates a fresh store from it and prints the store as
 * JSON `{ type: entities[] }` on stdout. Run with `node --import tsx`.
 */
import { KalphiteStore } from "@kalphite/store";
import { FrontendDatabase } from "../frontend-database";
import { hydrate } from "../hydrate";

const dir = process.argv[2];
if (dir === undefined) throw new Error("usage: print-hydrated-store.ts <database directory>");

const db = new FrontendDatabase({ dbName: dir });
await db.init();
const store = KalphiteStore();
const { loaded } = await hydrate(store, db);
await db.close();

const collections = Object.fromEntries(store.types().map((type) => [type, [...store.getByType(type)]]));
process.stdout.write(JSON.stringify({ loaded, collections }));
