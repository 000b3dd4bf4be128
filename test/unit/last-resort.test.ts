import { describe, expect, it } from 'vitest';
import { onUncaught } from '../../src/daemon/last-resort.js';

const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('the daemon\'s last resort', () => {
  it('serves on after a client connection error, and says so', () => {
    const lines: string[] = [];
    expect(onUncaught(err('write EPIPE', 'EPIPE'), (l) => lines.push(l))).toBe('serve');
    expect(onUncaught(err('read ECONNRESET', 'ECONNRESET'), (l) => lines.push(l))).toBe('serve');
    expect(lines).toEqual([
      'weft daemon: a client connection failed (EPIPE); serving on',
      'weft daemon: a client connection failed (ECONNRESET); serving on',
    ]);
  });

  it('exits on anything else, with the stack in the log', () => {
    const lines: string[] = [];
    expect(onUncaught(err('cannot read properties of undefined'), (l) => lines.push(l))).toBe('exit');
    expect(onUncaught(err('no such file', 'ENOENT'), (l) => lines.push(l))).toBe('exit');
    expect(lines[0]).toMatch(/^weft daemon: fatal: Error: cannot read properties of undefined\n\s+at /);
  });
});
