/**
 * Subnet conflicts seen live: a route or an address that appears in the daemon's namespace
 * (the lab "host" namespace, never the machine's own) and overlaps a network's subnet is
 * told in the log, as a network event and in `network inspect` (Status.WeftConflicts), and
 * cleared when it goes; the network's own bridge route is no conflict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDaemon, waitFor } from '../helpers/daemon.js';
import { type DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { destroyDaemon, startedDaemonWithCli } from '../helpers/suite.js';

const stamp = (ms = Date.now()) => (ms / 1000).toFixed(3);

describe.skipIf(!HAVE_DOCKER)('subnet conflicts', () => {
  let d: TestDaemon;
  let docker: DockerCli;

  const ok = (args: string[]): string => {
    const r = docker.run(args);
    expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  const conflicts = async (net: string): Promise<any[]> => (await d.api('GET', `/v1.52/networks/${net}`)).body.Status.WeftConflicts ?? [];
  const networkEvents = async (since: number): Promise<any[]> => {
    const r = await d.api('GET', `/events?since=${stamp(since)}&until=${stamp()}&filters=${encodeURIComponent('{"type":["network"]}')}`);
    return r.text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };

  beforeAll(async () => {
    ({ d, cli: docker } = await startedDaemonWithCli('nftables'));
    d.host.sh('ip link add stvpn0 type veth peer name stvpn1 && ip link set stvpn0 up && ip link set stvpn1 up');
  });

  afterAll(async () => {
    await destroyDaemon(d, docker);
  });

  it('a route that overlaps a subnet is told (log, event, inspect) and cleared when it goes', async () => {
    ok(['network', 'create', '--subnet', '10.98.1.0/24', 'stc1']);
    ok(['run', '-d', '--name', 'stc1a', '--network', 'stc1', 'busybox', 'sleep', '1000']);
    expect(await conflicts('stc1')).toEqual([]); // its own bridge route and gateway address are not a conflict
    const t0 = Date.now();
    d.host.sh('ip route add 10.98.1.0/25 dev stvpn0');
    const [c] = await waitFor(async () => { const l = await conflicts('stc1'); return l.length ? l : undefined; }, 'the conflict');
    expect(c).toMatchObject({ Subnet: '10.98.1.0/24', Kind: 'route', Prefix: '10.98.1.0/25', Interface: 'stvpn0' });
    expect(Date.parse(c.Since)).toBeGreaterThanOrEqual(t0 - 1000);
    await waitFor(() => /subnet conflict: a host route 10\.98\.1\.0\/25 on stvpn0 overlaps 10\.98\.1\.0\/24/.test(d.log), 'the warning');
    // The docker CLI (API 1.50) sees it too, though Status is a 1.52 field.
    expect(JSON.parse(ok(['network', 'inspect', '-f', '{{json .Status.WeftConflicts}}', 'stc1']))).toHaveLength(1);
    d.host.sh('ip route del 10.98.1.0/25 dev stvpn0');
    await waitFor(async () => (await conflicts('stc1')).length === 0, 'the conflict to clear');
    const events = (await networkEvents(t0)).filter((e) => e.Actor.Attributes.name === 'stc1');
    expect(events.map((e) => e.Action)).toEqual(['subnet_conflict', 'subnet_conflict_resolved']);
    expect(events[0].Actor.Attributes).toMatchObject({ subnet: '10.98.1.0/24', kind: 'route', prefix: '10.98.1.0/25', interface: 'stvpn0' });
    expect((await d.api('GET', '/v1.50/networks/stc1')).body.Status).toBeUndefined();
  });

  it('an address inside a subnet on another interface is a conflict too', async () => {
    ok(['network', 'create', '--subnet', '10.98.2.0/24', 'stc2']);
    d.host.sh('ip addr add 10.98.2.200/32 dev stvpn0');
    const [c] = await waitFor(async () => { const l = await conflicts('stc2'); return l.length ? l : undefined; }, 'the conflict');
    expect(c).toMatchObject({ Subnet: '10.98.2.0/24', Kind: 'address', Prefix: '10.98.2.200/32', Interface: 'stvpn0' });
    d.host.sh('ip addr del 10.98.2.200/32 dev stvpn0');
    await waitFor(async () => (await conflicts('stc2')).length === 0, 'the conflict to clear');
  });

  it('a network created over an existing route is told at once; its removal ends it', async () => {
    d.host.sh('ip route add 10.98.3.128/25 dev stvpn0');
    const t0 = Date.now();
    ok(['network', 'create', '--subnet', '10.98.3.0/24', 'stc3']);
    const [c] = await waitFor(async () => { const l = await conflicts('stc3'); return l.length ? l : undefined; }, 'the conflict');
    expect(c).toMatchObject({ Kind: 'route', Prefix: '10.98.3.128/25' });
    ok(['network', 'rm', 'stc3']);
    const actions = await waitFor(async () => {
      const a = (await networkEvents(t0)).filter((e) => e.Actor.Attributes.name === 'stc3').map((e) => e.Action);
      return a.length >= 3 ? a : undefined;
    }, 'the events');
    expect(actions).toEqual(['create', 'subnet_conflict', 'destroy']);
    d.host.sh('ip route del 10.98.3.128/25 dev stvpn0');
  });
});
