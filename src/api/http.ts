/**
 * HTTP plumbing shaped by what the docker CLI needs (see shared/reference): the exact
 * `application/json` content type on errors, `Api-Version` on every response, JSON
 * bodies with a trailing newline, and 400 for malformed input (field types: schemas/).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgument, messageOf, statusOf } from '../util/errors.js';
import { checkJsonContentType, goJsonError } from './json-body.js';

import { API_VERSION } from './api-version.js';

export { API_VERSION, MIN_API_VERSION } from './api-version.js';
export const SERVER_VERSION = '0.1.0';

export function baseHeaders(): { [k: string]: string } {
  return {
    'Api-Version': API_VERSION,
    Ostype: 'linux',
    Server: `weft/${SERVER_VERSION} (linux)`,
    'Docker-Experimental': 'false',
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${stringifyJson(body)}\n`;
  res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { ...baseHeaders(), 'Content-Length': 0 });
  res.end();
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, statusOf(err), { message: messageOf(err) });
}

const MAX_BODY = 1 << 20;

/** Reads a JSON object body; empty body → {}. Malformed JSON or a non-object → 400. */
export async function readJson(req: IncomingMessage): Promise<{ [k: string]: unknown }> {
  const length = req.headers['content-length'];
  checkJsonContentType(req.headers['content-type'], length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined);
  return parseJsonObject(await readText(req));
}

/** The whole request body as UTF-8 text, up to 1 MiB (400 beyond). */
export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new InvalidArgument('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonObject(text: string): { [k: string]: unknown } {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw goJsonError(text, err as Error);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgument('invalid JSON: expected an object');
  return v as { [k: string]: unknown };
}

/** Docker's `filters` query: {"key":{"value":true}} or legacy {"key":["value"]}. */
export function parseFilters(raw: string | null, allowed: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new InvalidArgument('invalid filter: malformed JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgument('invalid filter: expected an object');
  for (const [k, vals] of Object.entries(v as object)) {
    if (!allowed.includes(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    const list = Array.isArray(vals) ? vals.map(String) : vals && typeof vals === 'object' ? Object.keys(vals) : [];
    out.set(k, list);
  }
  return out;
}

/** "1", "true" → true (Docker's query booleans). */
export function qbool(v: string | null): boolean {
  return v !== null && /^(1|true|yes)$/i.test(v);
}

/** An integer query parameter as dockerd reads it (strconv.Atoi, with its wording); absent or empty → dflt. */
export function qint(query: URLSearchParams, name: string, dflt: number): number {
  const v = query.get(name);
  if (v === null || v === '') return dflt;
  const digits = /^[+-]?\d+$/.test(v);
  if (!digits || !Number.isSafeInteger(Number(v))) {
    throw new InvalidArgument(`strconv.Atoi: parsing ${JSON.stringify(v)}: ${digits ? 'value out of range' : 'invalid syntax'}`);
  }
  return Number(v);
}

/** JSON with bigint values written as exact integers (dockerd's uint64 counters). */
function stringifyJson(body: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? `\u0000u64:${marks.push(v.toString()) - 1}\u0000` : v));
  return marks.length ? text.replace(/"\\u0000u64:(\d+)\\u0000"/g, (_m, i) => marks[Number(i)]) : text;
}
