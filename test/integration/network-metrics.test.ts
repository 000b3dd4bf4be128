/**
 * Per-network forwarded and dropped packets on /metrics, once per firewall backend, from
 * real pings: allowed traffic to the outside raises forwarded (out, and in for the replies);
 * traffic to another network raises dropped{reason=isolation}; between the containers of a
 * network with ICC off, reason=icc; out of an internal network (a route added by hand),
 * reason=internal; from the outside to an unpublished container address, reason=unpublished.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetricsText, type Sample } from '../../src/cli/metrics-text.js';
import { containerIp, createNet, inNs, runContainer } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';

const HOST = '10.254.0.1';
const OUTSIDE = '10.254.0.2';
const PINGS = 5;

const total = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

describe.each(['nftables', 'iptables'] as const)('per-network packet metrics (%s backend)', (backend) => {
  let d: TestDaemon;
  let outside: LabNs;

  async function scrape(): Promise<Sample[]> {
    const r = await d.api('GET', '/v1.50/metrics');
    expect(r.status, r.text).toBe(200);
    return parseMetricsText(r.text);
  }

  /** How much the series grew while `act` ran. */
  async function growth(name: string, labels: Record<string, string>, act: () => void): Promise<number> {
    const before = total(await scrape(), name, labels);
    act();
    return total(await scrape(), name, labels) - before;
  }

  const ping = (ref: string, ip: string) => inNs(d, ref, `ping -c ${PINGS} -i 0.2 -W 1 ${ip}`);

  beforeAll(async () => {
    const host = makeNs('wm17h');
    d = new TestDaemon(backend, host);
    outside = makeNs('wm17o');
    host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip link set wout up && ip addr add ${HOST}/24 dev wout`);
    outside.sh(`ip addr add ${OUTSIDE}/24 dev eth0 && ip link set eth0 up && ip route add 10.0.0.0/8 via ${HOST}`);
    await d.start();
    await createNet(d, { Name: 'na', IPAM: { Config: [{ Subnet: '10.61.0.0/24' }] } });
    await createNet(d, { Name: 'nb', IPAM: { Config: [{ Subnet: '10.62.0.0/24' }] } });
    await createNet(d, { Name: 'noicc', Options: { 'com.docker.network.bridge.enable_icc': 'false' }, IPAM: { Config: [{ Subnet: '10.63.0.0/24' }] } });
    await createNet(d, { Name: 'sealed', Internal: true, IPAM: { Config: [{ Subnet: '10.64.0.0/24', Gateway: '10.64.0.1' }] } });
    for (const [name, network] of [['a1', 'na'], ['b1', 'nb'], ['q1', 'noicc'], ['q2', 'noicc'], ['s1', 'sealed']]) {
      await runContainer(d, { name, network, cmd: ['sleep', '100000'] });
    }
  });

  afterAll(async () => {
    await d?.destroy();
    outside?.destroy();
  });

  it('counts packets forwarded out of a network and the replies into it', async () => {
    const before = await scrape();
    expect(ping('a1', OUTSIDE).code).toBe(0);
    const after = await scrape();
    const grew = (direction: string) =>
      total(after, 'weft_network_forwarded_packets_total', { network: 'na', direction }) -
      total(before, 'weft_network_forwarded_packets_total', { network: 'na', direction });
    expect(grew('out')).toBeGreaterThanOrEqual(PINGS);
    expect(grew('in')).toBeGreaterThanOrEqual(PINGS);
  });

  it('counts packets to another network as dropped for isolation', async () => {
    const b1 = await containerIp(d, 'b1', 'nb');
    const grew = await growth('weft_network_dropped_packets_total', { network: 'na', reason: 'isolation' }, () => {
      expect(ping('a1', b1).code).not.toBe(0);
    });
    expect(grew).toBeGreaterThanOrEqual(PINGS);
  });

  it('counts packets between containers of a network with ICC off as dropped for icc', async () => {
    const q2 = await containerIp(d, 'q2', 'noicc');
    const grew = await growth('weft_network_dropped_packets_total', { network: 'noicc', reason: 'icc' }, () => {
      expect(ping('q1', q2).code).not.toBe(0);
    });
    expect(grew).toBeGreaterThanOrEqual(PINGS);
  });

  it('counts packets leaving an internal network as dropped for internal', async () => {
    // An internal network has no default route; one added by hand still ends at the firewall.
    expect(inNs(d, 's1', `ip route add ${OUTSIDE}/32 via 10.64.0.1`).code).toBe(0);
    const grew = await growth('weft_network_dropped_packets_total', { network: 'sealed', reason: 'internal' }, () => {
      expect(ping('s1', OUTSIDE).code).not.toBe(0);
    });
    expect(grew).toBeGreaterThanOrEqual(PINGS);
  });

  it('counts packets from the outside to an unpublished container address as dropped', async () => {
    const a1 = await containerIp(d, 'a1', 'na');
    const grew = await growth('weft_network_dropped_packets_total', { network: 'na', reason: 'unpublished' }, () => {
      expect(outside.try(`ping -c ${PINGS} -i 0.2 -W 1 ${a1}`).code).not.toBe(0);
    });
    expect(grew).toBeGreaterThanOrEqual(PINGS);
    // Reasons a network has no rule for are not series at all.
    const reasons = (await scrape()).filter((s) => s.name === 'weft_network_dropped_packets_total' && s.labels.network === 'na');
    expect(reasons.map((s) => s.labels.reason).sort()).toEqual(['isolation', 'unpublished']);
  });
});
