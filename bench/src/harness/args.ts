/** Command-line options of `pnpm bench`. */
export interface BenchArgs {
  readonly quick: boolean;
  readonly only: string | undefined;
  readonly rounds: number | undefined;
  readonly help: boolean;
}

/** Parses `--quick`, `--only <group>`, `--rounds <n>` and `--help`; throws on anything else. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let only: string | undefined;
  let rounds: number | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === "--") continue;
    else if (arg === "--quick") quick = true;
    else if (arg === "--only") only = value();
    else if (arg.startsWith("--only=")) only = arg.slice("--only=".length);
    else if (arg === "--rounds") rounds = Number(value());
    else if (arg.startsWith("--rounds=")) rounds = Number(arg.slice("--rounds=".length));
    else if (arg === "--help" || arg === "-h") help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1)) throw new Error("--rounds must be a positive integer");
  return { quick, only, rounds, help };
}
