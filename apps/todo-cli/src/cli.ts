import { runServedQuickly } from "./fast-path";
import { guardStdout } from "./stdout";

// The `kalphite-todo` binary. Exits by running out of work (never
// process.exit), so piped output is always written out in full. A command
// another process can serve goes there first, loading almost nothing; else
// the full app loads.
guardStdout();
const argv = process.argv.slice(2);
process.exitCode = (await runServedQuickly(argv, process.env)) ?? (await (await import("./main")).main(argv));
