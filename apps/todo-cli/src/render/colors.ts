import pc from "picocolors";

/** The colour functions the app uses; identity functions when colour is off. */
export type Palette = ReturnType<typeof pc.createColors>;

/**
 * Whether to colour output: never with `NO_COLOR` set (https://no-color.org)
 * or `--no-color`; always with `FORCE_COLOR` (other than `0`); otherwise only
 * when stdout is a terminal that is not `TERM=dumb`. Unlike picocolors' own
 * default it does not colour piped output on CI, so scripts get plain text.
 */
export function colorEnabled(env: NodeJS.ProcessEnv, stdoutIsTTY: boolean, flag?: boolean): boolean {
  if (flag === false || (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "")) return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  return stdoutIsTTY && env["TERM"] !== "dumb";
}

/** A palette, coloured or plain. */
export function createPalette(enabled: boolean): Palette {
  return pc.createColors(enabled);
}
