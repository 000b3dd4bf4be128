/** Labels as docker's formatters print them: `k=v` pairs joined by commas, in map order. */
export function labelsString(labels: Record<string, string> | null | undefined): string {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}
