/**
 * The daemon's logger: pino on stderr, each line carrying the current API call's request id
 * (util/request-context). `json` writes pino's lines as they are; `text` turns each into one
 * readable line: time, level, message, then the other fields as key=value.
 */
import pino from 'pino';
import { requestLogFields } from '../util/request-context.js';

export type LogFormat = 'json' | 'text';
export const LOG_FORMATS: LogFormat[] = ['json', 'text'];
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

const LEVELS: { [n: number]: string } = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields the text line shows in its fixed columns, or not at all. */
const SHOWN = new Set(['time', 'level', 'msg', 'pid', 'hostname']);

export function createLogger(level: string, format: LogFormat = 'json'): pino.Logger {
  const opts = { level, base: { pid: process.pid }, mixin: requestLogFields };
  if (format === 'json') return pino(opts, pino.destination(2));
  const out = pino.destination({ fd: 2, sync: true });
  return pino(opts, { write: (line: string) => { out.write(textLine(line)); } });
}

/** One pino JSON line as "TIME LEVEL msg key=value …\n"; a line that is not JSON passes through. */
export function textLine(json: string): string {
  let rec: { [k: string]: unknown };
  try {
    rec = JSON.parse(json);
  } catch {
    return json;
  }
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString() : '';
  const level = (LEVELS[rec.level as number] ?? String(rec.level)).padEnd(5);
  const fields = Object.entries(rec).filter(([k]) => !SHOWN.has(k)).map(([k, v]) => `${k}=${textValue(v)}`);
  return `${[time, level, String(rec.msg ?? ''), ...fields].join(' ')}\n`;
}

function textValue(v: unknown): string {
  if (v && typeof v === 'object' && 'message' in v) return JSON.stringify((v as { message: unknown }).message);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}
