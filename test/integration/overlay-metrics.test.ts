/**
 * The overlay's metrics on a 2-host lab (test/helpers/cluster.ts): a container started on B
 * makes A know one peer and time its FDB programming (add), its removal the removal; B's own
 * endpoint record comes back through B's watch, which times the watch lag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetricsText, type Sample } from '../../src/cli/metrics-text.js';
import { TestCluster } from '../helpers/cluster.js';
import { createNet, runContainer } from '../helpers/containers.js';
import { waitFor, type TestDaemon } from '../helpers/daemon.js';

const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

async function scrape(d: TestDaemon): Promise<Sample[]> {
  const r = await d.api('GET', '/v1.50/metrics');
  expect(r.status, r.text).toBe(200);
  return parseMetricsText(r.text);
}

describe('overlay metrics across two hosts', () => {
  let c: TestCluster;
  let A: TestDaemon;
  let B: TestDaemon;

  beforeAll(async () => {
    c = await TestCluster.start({ hosts: 2, ttl: 5 });
    [A, B] = c.hosts;
  }, 120_000);

  afterAll(async () => {
    await c?.destroy();
  }, 120_000);

  it('counts the peers A knows and times programming them, and B times its watch', async () => {
    await createNet(A, { Name: 'ovm', Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.91.0.0/24' }] } });
    // A programs peers only on a network it has joined.
    await runContainer(A, { name: 'here', network: 'ovm', cmd: ['sleep', '3600'] });
    await waitFor(async () => (await B.api('GET', '/v1.50/networks/ovm')).status === 200, 'ovm on B');
    const before = await scrape(A);
    const lagBefore = total(await scrape(B), 'weft_etcd_watch_lag_seconds_count');
    await runContainer(B, { name: 'there', network: 'ovm', cmd: ['sleep', '3600'] });
    const after = await waitFor(async () => {
      const s = await scrape(A);
      return total(s, 'weft_overlay_peers', { network: 'ovm' }) === 1 ? s : undefined;
    }, 'A to know the peer on B');
    const programmed = (s: Sample[], change: string) => total(s, 'weft_overlay_fdb_programming_seconds_count', { change });
    expect(programmed(after, 'add') - programmed(before, 'add')).toBeGreaterThanOrEqual(1);
    expect(total(after, 'weft_overlay_fdb_programming_seconds_sum')).toBeGreaterThan(0);
    expect(total(await scrape(B), 'weft_etcd_watch_lag_seconds_count') - lagBefore).toBeGreaterThanOrEqual(1);

    expect((await B.api('DELETE', '/v1.50/containers/there?force=1')).status).toBe(204);
    const gone = await waitFor(async () => {
      const s = await scrape(A);
      return total(s, 'weft_overlay_peers', { network: 'ovm' }) === 0 ? s : undefined;
    }, 'A to forget the peer');
    expect(programmed(gone, 'remove') - programmed(before, 'remove')).toBeGreaterThanOrEqual(1);
  });
});
