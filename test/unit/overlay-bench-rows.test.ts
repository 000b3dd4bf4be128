import { describe, expect, it } from 'vitest';
import { ratioRow } from '../../scripts/bench/overlay-rows.js';

describe('overlay bench ratio rows', () => {
  it('divides the two figures and keeps the note', () => {
    expect(ratioRow('overlay-ratio-vxlan', 'w', 9, 10, { missing: 'm', note: 'n' }))
      .toEqual({ key: 'overlay-ratio-vxlan', what: 'w', unit: 'ratio', value: 0.9, note: 'n' });
  });

  it('gives no value when a figure is missing or the baseline is zero: the note says why', () => {
    for (const [num, den] of [[undefined, 10], [9, undefined], [9, 0]] as const) {
      const row = ratioRow('encrypted-ratio-wireguard', 'w', num, den, { missing: 'not supported by this daemon', note: 'n' });
      expect(row).toEqual({ key: 'encrypted-ratio-wireguard', what: 'w', unit: 'ratio', note: 'not supported by this daemon' });
      expect('value' in row).toBe(false);
    }
  });
});
