/** The etcd watch lag is matched by revision, whichever of the write's answer and its event comes first. */
import { describe, expect, it } from 'vitest';
import { etcdWatchLag } from '../../src/metrics/cluster.js';
import { WatchLag } from '../../src/store/watch-lag.js';

async function count(): Promise<number> {
  return (await etcdWatchLag.get()).values.find((v) => v.metricName === 'weft_etcd_watch_lag_seconds_count')?.value ?? 0;
}

describe('etcd watch lag', () => {
  it('observes a write once its event comes, and an event that came before its write answered', async () => {
    const lag = new WatchLag();
    const c0 = await count();
    lag.wrote(performance.now() - 5, 10);
    lag.delivered(10);
    lag.delivered(10); // a second watch on the same key: already counted
    lag.delivered(11);
    lag.wrote(performance.now() - 5, 11);
    expect(await count()).toBe(c0 + 2);
    // Another host's write (an event no write of ours matches) and a write no watch covers: nothing.
    lag.delivered(12);
    lag.wrote(performance.now(), 13);
    expect(await count()).toBe(c0 + 2);
  });
});
