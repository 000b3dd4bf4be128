/**
 * EtcdStore against a real etcd inside a lab namespace (the same underlay as the overlay
 * lab, no daemons). The store's client runs in a node process inside that namespace, and
 * reports what it saw as JSON.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, ETCD_IP } from '../helpers/cluster.js';
import { REPO } from '../helpers/daemon.js';

const SCRIPT = `
import { EtcdStore } from ${JSON.stringify(path.join(REPO, 'dist/src/store/etcd.js'))};
const out = {};
const s = await EtcdStore.connect({ url: 'etcd://${ETCD_IP}:2379', prefix: '/t/' });
const other = await EtcdStore.connect({ url: 'etcd://${ETCD_IP}:2379', prefix: '/other/' });
const events = [];
const stop = await s.watch('a/', (e) => events.push(e));
out.create = await s.compareAndSwap('a/x', null, { v: 1 });
out.createAgain = await s.compareAndSwap('a/x', null, { v: 2 });
out.swapStale = await s.compareAndSwap('a/x', out.create - 1, { v: 3 });
out.swap = await s.compareAndSwap('a/x', out.create, { v: 4 });
out.get = await s.get('a/x');
out.missing = await s.get('a/none');
await s.put('a/y', 'y');
await s.put('b/z', 'z');
await other.put('a/w', 'w');
out.list = (await s.list('a/')).map((r) => r.key);
out.snapshot = await s.snapshot('a/');
out.delStale = await s.compareAndDelete('a/x', out.create);
out.del = await s.compareAndDelete('a/x', out.swap);
out.deleteMissing = await s.delete('a/x');
// Racing CAS from one start revision: exactly one wins.
const start = await s.put('a/race', 0);
const racers = await Promise.all(Array.from({ length: 10 }, (_, i) => s.compareAndSwap('a/race', start, i)));
out.raceWinners = racers.filter((r) => r !== undefined).length;
// Units of work: concurrent ones compose their updates; a stale expectation writes nothing.
await Promise.all(['p', 'q', 'r'].map((ip) => {
  const t = s.begin();
  t.update('u/pool', (cur) => [...(cur ?? []), ip]);
  t.put('u/ep/' + ip, ip);
  return t.commit();
}));
out.pool = (await s.get('u/pool')).value.sort();
out.eps = (await s.list('u/ep/')).map((r) => r.key);
const stale = s.begin();
stale.expect('u/pool', start);
stale.put('u/ep/z', 'z');
out.staleErr = await stale.commit().then(() => 'committed', (e) => e.name);
out.staleWritten = !!(await s.get('u/ep/z'));
// A lease whose holder goes away without revoking it (as a killed daemon would).
const holder = await EtcdStore.connect({ url: 'etcd://${ETCD_IP}:2379', prefix: '/t/' });
const lease = await holder.grantLease(2);
await lease.put('a/live', { host: 'h' });
out.leased = !!(await s.get('a/live'));
await holder.close();
const t0 = Date.now();
while (Date.now() - t0 < 8000 && (await s.get('a/live'))) await new Promise((r) => setTimeout(r, 100));
out.expiredAfterMs = Date.now() - t0;
out.leasedGone = !(await s.get('a/live'));
await new Promise((r) => setTimeout(r, 300));
out.events = events.map((e) => [e.type, e.key]);
await stop();
await s.close();
await other.close();
console.log(JSON.stringify(out));
process.exit(0);
`;

describe('EtcdStore (etcd in a lab namespace)', () => {
  let c: TestCluster;
  beforeAll(async () => { c = await TestCluster.start({ hosts: 0 }); }, 60_000);
  afterAll(async () => { await c?.destroy(); }, 60_000);

  it('CAS, compare-and-delete, prefix lists, units of work, watch and lease expiry behave as the Store contract says', () => {
    const r = spawnSync('nsenter', [`--net=${c.underlay.path}`, process.execPath, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.create).toBeGreaterThan(0);
    expect(out.createAgain).toBeUndefined();
    expect(out.swapStale).toBeUndefined();
    expect(out.swap).toBeGreaterThan(out.create);
    expect(out.get).toEqual({ key: 'a/x', value: { v: 4 }, revision: out.swap });
    expect(out.missing).toBeUndefined();
    expect(out.list).toEqual(['a/x', 'a/y']); // not b/z, not another prefix's a/w
    expect(out.snapshot.revision).toBeGreaterThanOrEqual(out.swap);
    expect(out.delStale).toBe(false);
    expect(out.del).toBe(true);
    expect(out.deleteMissing).toBe(false);
    expect(out.raceWinners).toBe(1);
    expect(out.pool).toEqual(['p', 'q', 'r']);
    expect(out.eps).toEqual(['u/ep/p', 'u/ep/q', 'u/ep/r']);
    expect(out.staleErr).toBe('TxnConflict');
    expect(out.staleWritten).toBe(false);
    expect(out.leased).toBe(true);
    expect(out.leasedGone).toBe(true);
    expect(out.expiredAfterMs).toBeLessThan(6000);
    expect(out.events.slice(0, 3)).toEqual([['put', 'a/x'], ['put', 'a/x'], ['put', 'a/y']]);
    expect(out.events).toContainEqual(['delete', 'a/x']);
    expect(out.events).toContainEqual(['delete', 'a/live']); // the lease's expiry, seen by the watch
  });
});
