/**
 * --format for list and inspect commands, like the docker CLI's formatter: the default
 * table, `table`, `table TEMPLATE`, `json`, a bare TEMPLATE, and -q.
 */
import { goJson, goString } from './go-values.js';
import { renderTable } from './tabwriter.js';
import { compileTemplate } from './template/index.js';

export interface Column {
  /** Field of the row object. */
  field: string;
  /** Header text, in caps ("NETWORK ID"). */
  header: string;
}

export interface ListSpec {
  /** Default table columns, in order. */
  columns: Column[];
  /** Extra field -> header names for `table` formats using non-default fields. */
  headers?: Record<string, string>;
  /** Field printed by -q. */
  idField: string;
}

export interface ListOptions {
  format?: string;
  quiet?: boolean;
}

/** Docker interprets the two escapes `\t` and `\n` typed literally in --format. */
export function unescapeFormat(format: string): string {
  return format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

function headerFor(spec: ListSpec, field: string): string {
  const col = spec.columns.find((c) => c.field === field);
  if (col) return col.header;
  if (spec.headers?.[field]) return spec.headers[field]!;
  return field.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

/** Render a list of rows (objects of strings) per --format / -q, docker-style. */
export function formatList(rows: Record<string, unknown>[], spec: ListSpec, opts: ListOptions): string {
  if (opts.quiet) return rows.map((r) => `${goString(r[spec.idField])}\n`).join('');
  const raw = opts.format?.trim() ?? '';
  if (raw === '' || raw === 'table') {
    return renderTable([spec.columns.map((c) => c.header), ...rows.map((r) => spec.columns.map((c) => goString(r[c.field] ?? '')))]);
  }
  if (raw === 'json') return rows.map((r) => `${goJson(r)}\n`).join('');
  if (raw.startsWith('table')) {
    const tpl = compileTemplate(unescapeFormat(raw.slice('table'.length).trim()));
    // The header line renders the same template over a row whose every field is its header.
    const headerRow = new Proxy({}, { get: (_t, prop) => (typeof prop === 'string' ? headerFor(spec, prop) : undefined) });
    const lines = [tpl(headerRow), ...rows.map((r) => tpl(r))].map((l) => l.split('\t'));
    return renderTable(lines);
  }
  const tpl = compileTemplate(unescapeFormat(raw));
  return rows.map((r) => `${tpl(r)}\n`).join('');
}

/**
 * `inspect`-style output: without a format, the objects re-indented with 4 spaces inside
 * `[ ]` (docker prints the daemon's JSON as-is, re-indented); `json` gives one compact line
 * per object; anything else is a template per object.
 */
export function formatInspect(objects: unknown[], format?: string): string {
  const raw = format?.trim() ?? '';
  if (raw === '') {
    if (objects.length === 0) return '[]\n';
    return `${JSON.stringify(objects, null, 4)}\n`;
  }
  if (raw === 'json') return objects.map((o) => `${JSON.stringify(o)}\n`).join('');
  const tpl = compileTemplate(unescapeFormat(raw));
  return objects.map((o) => `${tpl(o)}\n`).join('');
}
