// The baseline of the start-up bench: PGlite opening a data directory and
// closing it, nothing else, in a process of its own.
import { PGlite } from "@electric-sql/pglite";

const db = await PGlite.create({ dataDir: process.argv[2] });
await db.close();
