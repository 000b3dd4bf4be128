/**
 * Tables aligned like Go's tabwriter as docker configures it: min width 10, padding 3,
 * the last column not padded, no trailing whitespace.
 */
const MIN_WIDTH = 10;
const PADDING = 3;

const width = (s: string) => [...s].length;

/**
 * Render rows (first row = header): every cell but the last on a line is padded to
 * max(10, widest cell in its column + 3).
 */
export function renderTable(lines: string[][]): string {
  const widths: number[] = [];
  for (const cells of lines) {
    for (let j = 0; j < cells.length - 1; j++) {
      widths[j] = Math.max(widths[j] ?? MIN_WIDTH, width(cells[j]!) + PADDING);
    }
  }
  return lines
    .map((cells) => cells
      .map((c, j) => (j < cells.length - 1 ? c + ' '.repeat(Math.max(0, widths[j]! - width(c))) : c))
      .join(''))
    .map((l) => `${l}\n`)
    .join('');
}
