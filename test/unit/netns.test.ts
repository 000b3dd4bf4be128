import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { returnHome } from '../../src/kernel/netns.js';

describe('kernel/netns fail-stop', () => {
  afterEach(() => vi.restoreAllMocks());

  it('aborts the process when setns back to the home namespace fails', () => {
    const abort = vi.spyOn(process, 'abort').mockImplementation(() => {
      throw new Error('process.abort called');
    });
    const stderr = vi.spyOn(fs, 'writeSync').mockImplementation(() => 0);
    // -1 is never an open fd: setns fails with EBADF, as a failed return would.
    expect(() => returnHome(-1)).toThrow('process.abort called');
    expect(abort).toHaveBeenCalledOnce();
    expect(stderr).toHaveBeenCalledWith(2, expect.stringMatching(/^weft: fatal: cannot return to the daemon's network namespace: setns/));
  });
});
