/** The overlay section's ratio rows: a value only when both figures exist, never a made-up one. */

export interface RatioRow {
  key: string;
  what: string;
  unit: 'ratio';
  value?: number;
  note?: string;
}

/** num / den; without either figure (a path the daemon does not support), a row with only `missing` as its note. */
export function ratioRow(
  key: string, what: string, num: number | undefined, den: number | undefined, o: { note?: string; missing: string },
): RatioRow {
  if (num === undefined || den === undefined || !(den > 0)) return { key, what, unit: 'ratio', note: o.missing };
  return { key, what, unit: 'ratio', value: num / den, ...(o.note ? { note: o.note } : {}) };
}
