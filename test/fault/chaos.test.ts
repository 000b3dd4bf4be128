/**
 * The kill -9 campaign in short (scripts/chaos.ts runs the long one): a fixed seed's random
 * operations with SIGKILLs from outside and at failpoints, on each firewall backend; every
 * restart must succeed and every invariant check after it must find nothing.
 */
import { describe, expect, it } from 'vitest';
import { runCampaign } from '../../scripts/chaos/campaign.js';

const SEED = 7;

describe('kill -9 campaign (short)', () => {
  for (const backend of ['nftables', 'iptables'] as const) {
    it(`${backend}: 0 violations and 0 restart failures`, async () => {
      const s = await runCampaign({ seed: SEED, ops: 60, kills: 6, backend });
      expect(s.killPoints.length).toBeGreaterThanOrEqual(6);
      expect(s.restartFailures, JSON.stringify(s.restartFailures, null, 1)).toEqual([]);
      expect(s.samples, JSON.stringify(s.samples, null, 1)).toEqual({});
    }, 150_000);
  }
});
