/**
 * Detach keys on a terminal's stdin, as dockerd: the sequence (ctrl-p,ctrl-q unless the client
 * names another) ends the client's attachment instead of reaching the process; a partial
 * match is held back and passed on once it stops matching.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgument } from '../util/errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';
/** What dockerd writes to the client that detached. */
export const DETACHED_MESSAGE = 'exec attach failed: error on attach stdin: read escape sequence';

/** dockerd's term.ToBytes: "ctrl-<a-z@[\\]^_>" or a single character, comma-separated. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',').map((k) => k.trim().toLowerCase())) {
    const m = /^ctrl-(.)$/.exec(key);
    if (m && m[1] >= 'a' && m[1] <= 'z') out.push(m[1].charCodeAt(0) - 96);
    else if (m && '@[\\]^_'.includes(m[1])) out.push(m[1].charCodeAt(0) - 64);
    else if (key.length === 1) out.push(key.charCodeAt(0));
    else throw new InvalidArgument(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

export class EscapeFilter extends Transform {
  private held = 0;

  constructor(private readonly keys: Buffer, private readonly onDetach: () => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const pass: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.held]) {
        if (++this.held < this.keys.length) continue;
        if (pass.length) this.push(Buffer.from(pass));
        this.held = 0;
        this.onDetach();
        done();
        return;
      }
      for (let i = 0; i < this.held; i++) pass.push(this.keys[i]);
      this.held = byte === this.keys[0] ? 1 : 0;
      if (!this.held) pass.push(byte);
    }
    if (pass.length) this.push(Buffer.from(pass));
    done();
  }
}
