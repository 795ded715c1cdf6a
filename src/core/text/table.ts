// The plain-text tables the CLI prints (`oneshot runs`, `eval`, `rank`, and the before/after
// table of `oneshot train`): one layout, so they read alike and a change lands in all of them.

export type Align = "left" | "right";

/**
 * Rows (the header first) as lines: each column as wide as its widest cell, columns two spaces
 * apart. A left-aligned last column is not padded, so no line ends in spaces. No final newline.
 */
export function formatTable(rows: readonly (readonly string[])[], align: readonly Align[]): string {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const last = align.length - 1;
  const cell = (c: string, i: number) => (align[i] === "right" ? c.padStart(widths[i]) : i === last ? c : c.padEnd(widths[i]));
  return rows.map((r) => r.map(cell).join("  ")).join("\n");
}
