/**
 * dockerd's checks of a JSON request body (httputils.ReadJSON): the Content-Type must be
 * application/json whenever a body or a type is sent, and syntax errors are worded as Go's
 * encoding/json words them, from the position V8 reports.
 */
import { InvalidArgument } from '../util/errors.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/i;

/** Go's mime.ParseMediaType, as far as its errors go: the media type alone, lower-cased. */
function mediaType(header: string): string {
  const [type = ''] = header.split(';');
  const t = type.trim();
  if (!t) throw new Error('mime: no media type');
  const [major, minor, extra] = t.split('/');
  if (!TOKEN.test(major) || minor === undefined) throw new Error('mime: expected slash after first token');
  if (!TOKEN.test(minor) || extra !== undefined) throw new Error('mime: unexpected content after media subtype');
  return t.toLowerCase();
}

export function checkJsonContentType(header: string | undefined, hasBody: boolean): void {
  if (!header && !hasBody) return;
  let type: string;
  try {
    type = mediaType(header ?? '');
  } catch (err) {
    throw new InvalidArgument(`malformed Content-Type header (${header ?? ''}): ${(err as Error).message}`);
  }
  if (type !== 'application/json') throw new InvalidArgument(`unsupported Content-Type header (${header}): must be 'application/json'`);
}

/** What V8 says about a position, and what Go's scanner says about the character there. */
const AT_POSITION: [RegExp, string][] = [
  [/^Expected ':' after property name/, 'after object key'],
  [/^Expected ',' or '}' after property value/, 'after object key:value pair'],
  [/^Expected property name or '}'/, 'looking for beginning of object key string'],
  [/^Expected double-quoted property name/, 'looking for beginning of object key string'],
  [/^Expected ',' or ']' after array element/, 'after array element'],
];

/** The body's syntax error in dockerd's words ("invalid JSON: ..."), from JSON.parse's error. */
export function goJsonError(text: string, err: Error): InvalidArgument {
  const msg = err.message;
  if (/^Unexpected end of JSON input|^Unterminated string/.test(msg)) return new InvalidArgument('invalid JSON: unexpected EOF');
  if (/^Unexpected non-whitespace character after JSON/.test(msg)) return new InvalidArgument('unexpected content after JSON');
  const pos = /at position (\d+)/.exec(msg);
  for (const [re, where] of AT_POSITION) {
    if (re.test(msg) && pos) return new InvalidArgument(`invalid JSON: invalid character ${quoteChar(text[Number(pos[1])])} ${where}`);
  }
  const token = /^Unexpected token '(.)'/u.exec(msg) ?? /^Unexpected token (.) in JSON/u.exec(msg);
  if (token) return new InvalidArgument(`invalid JSON: invalid character ${quoteChar(token[1])} looking for beginning of value`);
  return new InvalidArgument(`invalid JSON: ${msg}`);
}

/** Go's %q of a rune in the scanner's messages: 'x', '\n'. */
function quoteChar(ch = ''): string {
  return `'${JSON.stringify(ch).slice(1, -1).replace(/'/g, "\\'")}'`;
}
