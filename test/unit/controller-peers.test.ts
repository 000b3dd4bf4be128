/** The cluster's peer source over a fake watchable store, and the VNI claims. */
import { describe, expect, it } from 'vitest';
import { StorePeerSource } from '../../src/cluster/peers.js';
import { StoreVniClaims } from '../../src/cluster/vni.js';
import type { ClusterEndpoint, PeerChange } from '../../src/contracts/peers.js';
import { FakeWatchStore } from './controller-fakes.js';

const ep = (id: string, host: string, networkId = 'net1', mac = '02:42:0a:00:00:02'): ClusterEndpoint => ({
  id, name: id, networkId, host, vtep: `192.0.2.${host === 'me' ? 1 : 2}`, mac, ipv4: '10.0.0.2/24',
});

describe('StorePeerSource', () => {
  it('loads other hosts\' endpoints, follows adds, updates and removes, and skips its own', async () => {
    const store = new FakeWatchStore();
    await store.put('endpoint/net1/a', ep('a', 'other'));
    await store.put('endpoint/net1/mine', ep('mine', 'me'));
    await store.put('endpoint/net2/b', ep('b', 'other', 'net2'));
    const peers = new StorePeerSource(store, 'me');
    await peers.start();
    expect(store.watchers).toHaveLength(1);
    expect(store.watchers[0].from).toBe(store.rev + 1);
    expect(peers.remoteEndpoints().map((e) => e.id).sort()).toEqual(['a', 'b']);
    expect(peers.remoteEndpoints('net1').map((e) => e.id)).toEqual(['a']);

    const seen: PeerChange[] = [];
    const unsubscribe = peers.subscribe((c) => seen.push(c));
    await store.put('endpoint/net1/mine2', ep('mine2', 'me'));
    await store.put('endpoint/net1/a', ep('a', 'other', 'net1', '02:42:0a:00:00:09'));
    await store.delete('endpoint/net2/b');
    await store.delete('endpoint/net1/mine');
    // Each change carries when the watch delivered it (for the programming latency).
    expect(seen).toEqual([
      { type: 'add', endpoint: ep('a', 'other', 'net1', '02:42:0a:00:00:09'), previous: ep('a', 'other'), receivedAt: expect.any(Number) },
      { type: 'remove', endpoint: ep('b', 'other', 'net2'), receivedAt: expect.any(Number) },
    ]);
    expect(peers.remoteEndpoints().map((e) => e.id)).toEqual(['a']);
    unsubscribe();
    await store.put('endpoint/net1/c', ep('c', 'other'));
    expect(seen).toHaveLength(2);
    expect(peers.remoteEndpoints('net1').map((e) => e.id)).toEqual(['a', 'c']);
    await peers.close();
    expect(store.watchers).toHaveLength(0);
  });
});

describe('StoreVniClaims', () => {
  it('claims a VNI once, lists claims, and releases only the holder\'s', async () => {
    const claims = new StoreVniClaims(new FakeWatchStore());
    expect(await claims.claim(4096, 'n1')).toBe(true);
    expect(await claims.claim(4096, 'n2')).toBe(false);
    expect(await claims.claim(4097, 'n2')).toBe(true);
    expect((await claims.claimed()).sort()).toEqual([4096, 4097]);
    await claims.release(4096, 'n2');
    expect(await claims.claimed()).toContain(4096);
    await claims.release(4096, 'n1');
    expect(await claims.claimed()).toEqual([4097]);
  });
});
