import { pad, truncate, widthOf } from "./text";

/** One cell: the plain text (measured and truncated) and a style applied after layout. */
export interface Cell {
  readonly text: string;
  readonly style?: ((text: string) => string) | undefined;
}

/** A column of a table. */
export interface Column {
  readonly header: string;
  /** @default "left" */
  readonly align?: "left" | "right";
  /** The one column that shrinks (and truncates) to fit the terminal, e.g. the title. */
  readonly flexible?: boolean;
  /**
   * When the terminal is too narrow, columns with a drop rank go, lowest rank
   * first, before the flexible column shrinks below `minFlexWidth`. Columns
   * without one always stay.
   */
  readonly dropRank?: number;
}

/** Options of `renderTable`. */
export interface TableOptions {
  /** Terminal width in columns. */
  readonly width: number;
  /** Styles the header row. */
  readonly headerStyle?: (text: string) => string;
  /** The flexible column keeps at least this many columns before others are dropped. @default 16 */
  readonly minFlexWidth?: number;
}

const GAP = "  ";

/**
 * Lays out rows as aligned columns that fit `width`: the flexible column
 * shrinks first, then droppable columns go (lowest `dropRank` first), and as
 * a last resort the flexible column truncates to whatever is left. Widths are
 * measured in terminal columns, so wide characters align too. Returns lines.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly Cell[])[], options: TableOptions): string[] {
  const minFlex = options.minFlexWidth ?? 16;
  const natural = columns.map((column, i) =>
    Math.max(widthOf(column.header), ...rows.map((row) => widthOf(row[i]?.text ?? ""))),
  );
  let visible = columns.map((_, i) => i);
  const total = (indexes: number[], flexWidth: number) =>
    indexes.reduce((sum, i) => sum + (columns[i]!.flexible ? flexWidth : natural[i]!), 0) + GAP.length * (indexes.length - 1);
  const flexIndex = columns.findIndex((column) => column.flexible);
  const flexNatural = flexIndex >= 0 ? natural[flexIndex]! : 0;
  const droppable = columns
    .map((column, i) => ({ i, rank: column.dropRank }))
    .filter((c): c is { i: number; rank: number } => c.rank !== undefined)
    .sort((a, b) => a.rank - b.rank);
  while (total(visible, Math.min(flexNatural, minFlex)) > options.width && droppable.length > 0) {
    const drop = droppable.shift()!.i;
    visible = visible.filter((i) => i !== drop);
  }
  const widths = natural.slice();
  if (flexIndex >= 0) {
    const others = total(visible, 0);
    widths[flexIndex] = Math.max(1, Math.min(flexNatural, options.width - others));
  }
  const line = (cells: readonly Cell[], header: boolean) => {
    const parts = visible.map((i, position) => {
      const column = columns[i]!;
      const cell = cells[i] ?? { text: "" };
      const width = widths[i]!;
      const text = truncate(cell.text, width);
      const last = position === visible.length - 1;
      // No trailing spaces on the last column: lines copy and diff cleanly.
      const laid = last && column.align !== "right" ? text : pad(text, width, column.align);
      const style = header ? options.headerStyle : cell.style;
      return style ? style(laid) : laid;
    });
    return parts.join(GAP);
  };
  return [line(columns.map((c) => ({ text: c.header })), true), ...rows.map((row) => line(row, false))];
}
