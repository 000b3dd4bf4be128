/** Plain-text tables of the bench report. */

/** A figure with 2 decimals below 10, else 1 ('' when missing). */
export const f2 = (x?: number): string => (x === undefined || Number.isNaN(x) ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));

/** Aligned columns: the first `left` columns padded right (text), the others left (numbers). */
export function columns(head: string[], body: string[][], left = 2): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cols: string[]) => cols.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}
