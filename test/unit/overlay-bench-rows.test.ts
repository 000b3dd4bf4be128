import { describe, expect, it } from 'vitest';
import { ratioRow } from '../../scripts/bench/overlay-rows.js';

describe('overlay bench ratio rows', () => {
  it('divides the two figures and keeps the note', () => {
    expect(ratioRow('overlay-ratio-vxlan', 'w', { num: 9, den: 10 }, { missing: 'm', note: 'n' }))
      .toEqual({ key: 'overlay-ratio-vxlan', what: 'w', unit: 'ratio', value: 0.9, note: 'n' });
  });

  it('gives no value when a figure is missing or the baseline is zero: the note says why', () => {
    for (const [num, den] of [[undefined, 10], [9, undefined], [9, 0]] as const) {
      const row = ratioRow('encrypted-ratio-wireguard', 'w', { num, den }, { missing: 'not supported by this daemon', note: 'n' });
      expect(row).toEqual({ key: 'encrypted-ratio-wireguard', what: 'w', unit: 'ratio', note: 'not supported by this daemon' });
      expect('value' in row).toBe(false);
    }
  });

  it('with the rounds, gives the ratio within each round and their median and range', () => {
    const row = ratioRow('overlay-ratio-vxlan', 'w', { num: 8, den: 10, numRounds: [9, 4, 8], denRounds: [10, 5, 8] }, { missing: 'm' });
    expect(row).toEqual({ key: 'overlay-ratio-vxlan', what: 'w', unit: 'ratio', value: 0.8, p50: 0.9, min: 0.8, max: 1,
      samples: 3, raw: [0.9, 0.8, 1] });
  });

  it('leaves the per-round figures out when the rounds do not pair up', () => {
    for (const [numRounds, denRounds] of [[[9, 4], [10]], [[9], [0]], [[], []]]) {
      expect(ratioRow('k', 'w', { num: 9, den: 10, numRounds, denRounds }, { missing: 'm' }))
        .toEqual({ key: 'k', what: 'w', unit: 'ratio', value: 0.9 });
    }
  });
});
