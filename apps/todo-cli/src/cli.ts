import { main } from "./main";

// The `kalphite-todo` binary. Exits by running out of work (never
// process.exit), so piped output is always written out in full.
process.exitCode = await main(process.argv.slice(2));
