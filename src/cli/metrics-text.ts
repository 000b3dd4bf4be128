/**
 * The Prometheus text exposition format (version 0.0.4), read back into samples: what
 * `weft top` turns into tables. Comments (# HELP, # TYPE) are skipped; label values may
 * hold escaped quotes, backslashes and newlines; values may be NaN or ±Inf (any case); a trailing
 * timestamp is ignored. A line that does not parse is an error naming it.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parseMetricsText(text: string): Sample[] {
  const out: Sample[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const s = parseLine(line);
    if (!s) throw new Error(`metrics line ${i + 1} does not parse: ${JSON.stringify(raw)}`);
    out.push(s);
  });
  return out;
}

function parseLine(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0];
  if (!name) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const end = parseLabels(rest, labels);
    if (end < 0) return undefined;
    rest = rest.slice(end);
  }
  const fields = rest.trim().split(/\s+/);
  if (!rest.startsWith(' ') && !rest.startsWith('\t')) return undefined;
  if (fields.length < 1 || fields.length > 2) return undefined;
  const value = parseValue(fields[0]!);
  return value === undefined ? undefined : { name, labels, value };
}

/** Labels from `{a="x",b="y"}` into out; the index just past `}`, or -1. */
function parseLabels(s: string, out: Record<string, string>): number {
  let i = 1;
  for (;;) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (s[i] === '}') return i + 1;
    const key = LABEL_NAME.exec(s.slice(i))?.[0];
    if (!key) return -1;
    i += key.length;
    if (s[i] !== '=' || s[i + 1] !== '"') return -1;
    i += 2;
    let value = '';
    for (; i < s.length && s[i] !== '"'; i++) {
      if (s[i] !== '\\') {
        value += s[i];
        continue;
      }
      const next = s[++i];
      value += next === 'n' ? '\n' : next;
    }
    if (s[i] !== '"') return -1;
    i++;
    out[key] = value;
  }
}

/** As Go's ParseFloat reads it: NaN and Inf in any case (prom-client writes "Nan"). */
function parseValue(v: string): number | undefined {
  if (/^nan$/i.test(v)) return Number.NaN;
  const inf = /^([+-]?)inf(inity)?$/i.exec(v);
  if (inf) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const n = Number(v);
  return v !== '' && Number.isFinite(n) ? n : undefined;
}
