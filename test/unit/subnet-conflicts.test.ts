/**
 * SubnetConflicts' rules on a fake host: overlaps per family, the network's own interface
 * left out, each conflict told once when it appears and once when it goes (Since kept
 * meanwhile), a network's conflicts not told before its create event.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { NetworkDriver } from '../../src/contracts/driver.js';
import type { HostAddressing, HostPrefix } from '../../src/contracts/host-addressing.js';
import type { NetworkRecord } from '../../src/controller/model.js';
import { SubnetConflicts } from '../../src/controller/subnet-conflicts.js';
import { EventBus } from '../../src/util/event-bus.js';

class FakeHost implements HostAddressing {
  prefixes_: HostPrefix[] = [];
  onChange?: () => void;
  async prefixes(): Promise<HostPrefix[]> { return this.prefixes_; }
  watch(onChange: () => void): () => void { this.onChange = onChange; return () => { this.onChange = undefined; }; }
}

function net(id: string, v4: string[], v6: string[] = []): NetworkRecord {
  const pool = (subnet: string) => ({ poolId: `local/${subnet}`, subnet, auxAddresses: {} });
  return {
    id, name: `n-${id}`, driver: 'bridge', scope: 'local', internal: false, attachable: false, enableIPv6: v6.length > 0,
    options: {}, labels: {}, ipv4: v4.map(pool), ipv6: v6.map(pool), created: '', ipamDriver: 'default', ipamOptions: null,
    userSubnets: true, predefined: false, state: 'ready',
  };
}

const driver = { hostInterface: (n: NetworkRecord) => `br-${n.id}` } as unknown as NetworkDriver;

describe('SubnetConflicts', () => {
  it('tells each overlap once, keeps Since, clears it, and leaves the own bridge and other families out', async () => {
    const networks = [net('a', ['10.1.0.0/16'], ['fd00:1::/64'])];
    const host = new FakeHost();
    const bus = new EventBus();
    const w = await SubnetConflicts.watch({ listNetworks: () => networks, driverOf: () => driver }, host, pino({ level: 'silent' }), bus);
    host.prefixes_ = [
      { prefix: '10.1.0.0/16', kind: 'route', interface: 'br-a' },
      { prefix: '10.1.0.1/16', kind: 'address', interface: 'br-a' },
      { prefix: '10.2.0.0/16', kind: 'route', interface: 'tun0' },
      { prefix: '10.0.0.0/8', kind: 'route', interface: 'tun0' },
      { prefix: 'fd00:1::5/128', kind: 'address', interface: 'tun0' },
    ];
    await w.check();
    expect(w.of('a').map((c) => `${c.Subnet} ${c.Kind} ${c.Prefix}`)).toEqual(['10.1.0.0/16 route 10.0.0.0/8', 'fd00:1::/64 address fd00:1::5/128']);
    const since = w.of('a')[0].Since;
    await new Promise((r) => setTimeout(r, 5));
    await w.check();
    expect(w.of('a')[0].Since).toBe(since);
    host.prefixes_ = host.prefixes_.filter((p) => p.prefix !== '10.0.0.0/8');
    await w.check();
    expect(w.of('a')).toHaveLength(1);
    const actions = bus.recent().map((e) => `${e.Action} ${e.Actor.Attributes.prefix}`);
    expect(actions).toEqual(['subnet_conflict 10.0.0.0/8', 'subnet_conflict fd00:1::5/128', 'subnet_conflict_resolved 10.0.0.0/8']);
    w.stop();
    expect(host.onChange).toBeUndefined();
  });

  it('a network is checked from its create event on', async () => {
    const networks: NetworkRecord[] = [];
    const host = new FakeHost();
    host.prefixes_ = [{ prefix: '10.3.0.0/24', kind: 'route' }];
    const bus = new EventBus();
    const w = await SubnetConflicts.watch({ listNetworks: () => networks, driverOf: () => driver }, host, pino({ level: 'silent' }), bus);
    networks.push(net('b', ['10.3.0.0/16']));
    await w.check();
    expect(w.of('b')).toEqual([]);
    bus.publish('network', 'create', { ID: 'b', Attributes: { name: 'n-b' } });
    await w.check();
    expect(w.of('b')).toMatchObject([{ Subnet: '10.3.0.0/16', Kind: 'route', Prefix: '10.3.0.0/24' }]);
  });
});
