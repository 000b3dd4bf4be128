/**
 * Subnet conflicts seen live: a route or an address that appears in the daemon's namespace
 * (the lab "host" namespace, never the machine's own) and overlaps a network's subnet is
 * told in the log, as a network event and in `network inspect` (Status.WeftConflicts), and
 * cleared when it goes; the network's own bridge route is no conflict. `weft network renumber`
 * moves an unused network with auto-picked subnets off the conflict, and refuses the others.
 * The watch is on by default; `--watch-subnet-conflicts=false` turns it off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs } from '../helpers/containers.js';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { destroyDaemon } from '../helpers/suite.js';

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
    d = new TestDaemon('nftables');
    await d.start();
    docker = new DockerCli(d);
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

  it('weft network renumber moves an unused auto-picked network off the conflict, and refuses the rest', async () => {
    const id = ok(['network', 'create', 'stc4']);
    const subnetOf = () => ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'stc4']);
    const before = subnetOf();
    const inside = before.replace(/\.0\.0\/16$/, '.5.0/24');
    d.host.sh(`ip route add ${inside} dev stvpn0`);
    await waitFor(async () => (await conflicts('stc4')).length === 1, 'the conflict');
    ok(['run', '-d', '--name', 'stc4a', '--network', 'stc4', 'busybox', 'sleep', '1000']);
    const busy = d.cli(['network', 'renumber', 'stc4']);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toContain('network stc4 has active endpoints (stc4a): disconnect them before renumbering it');
    expect((await d.api('POST', '/weft/networks/stc4/renumber')).status).toBe(409);
    expect(subnetOf()).toBe(before);
    ok(['rm', '-f', 'stc4a']);
    const t0 = Date.now();
    const r = d.cli(['network', 'renumber', 'stc4']);
    expect(r.code, r.stderr).toBe(0);
    const after = subnetOf();
    expect(after).not.toBe(before);
    expect(r.stdout).toBe(`${before} -> ${after}\n`);
    await waitFor(async () => (await conflicts('stc4')).length === 0, 'the conflict to clear');
    const actions = (await networkEvents(t0)).filter((e) => e.Actor.Attributes.name === 'stc4').map((e) => e.Action);
    // The watch may see the rebuilt bridge before the renumber's commit publishes its event: no order between the two.
    expect(actions.sort()).toEqual(['renumber', 'subnet_conflict_resolved']);
    // The kernel follows: the bridge carries the new gateway only, and a container gets an address of the new subnet.
    const gateway = ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'stc4']);
    const bridge = d.host.sh(`ip -4 -o addr show dev br-${id.slice(0, 12)}`);
    expect(bridge).toContain(` ${gateway}/16 `);
    expect(bridge).not.toContain(before.replace(/\.0\/16$/, '.1/'));
    ok(['run', '-d', '--name', 'stc4b', '--network', 'stc4', 'busybox', 'sleep', '1000']);
    const ip = ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "stc4").IPAddress}}', 'stc4b']);
    expect(ip.startsWith(after.replace(/0\.0\/16$/, ''))).toBe(true);
    expect(inNs(d, 'stc4b', 'ip -4 -o addr show dev eth0').out).toContain(` ${ip}/16 `);
    ok(['rm', '-f', 'stc4b']);
    // The new subnets are the stored ones: a restarted daemon builds the bridge on them.
    await d.stop();
    await d.start();
    expect(subnetOf()).toBe(after);
    expect(d.host.sh(`ip -4 -o addr show dev br-${id.slice(0, 12)}`)).toContain(` ${gateway}/16 `);
    // Subnets given at create, and predefined networks, stay.
    const given = await d.api('POST', '/weft/networks/stc1/renumber');
    expect(given.status).toBe(400);
    expect(given.body.message).toBe('network stc1 has the subnets it was created with: only auto-picked subnets can be renumbered');
    const predefined = await d.api('POST', '/weft/networks/bridge/renumber');
    expect(predefined.status).toBe(403);
    expect(predefined.body.message).toBe('operation is not permitted on predefined bridge network');
    expect((await d.api('POST', '/weft/networks/stnope/renumber')).status).toBe(404);
    d.host.sh(`ip route del ${inside} dev stvpn0`);
  });

  it.each([['network.renumber.down', false], ['network.renumber.committed', true]] as const)(
    'a crash at %s leaves one bridge on the stored subnet after the restart', async (point, moved) => {
      const name = `stc5${moved ? 'b' : 'a'}`;
      const id = ok(['network', 'create', name]);
      const stored = () => ({
        subnet: ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', name]),
        gateway: ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', name]),
      });
      const before = stored();
      await d.stop();
      d.env = { WEFT_FAILPOINTS: point };
      await d.start();
      const child = d.child!;
      expect(d.cli(['network', 'renumber', name]).code).not.toBe(0);
      await waitFor(() => child.exitCode !== null || child.signalCode !== null, 'the daemon to die');
      d.env = {};
      await d.start();
      const after = stored();
      expect(after.subnet !== before.subnet).toBe(moved);
      const addrs = d.host.sh(`ip -4 -o addr show dev br-${id.slice(0, 12)}`).trim().split('\n');
      expect(addrs).toHaveLength(1);
      expect(addrs[0]).toContain(` ${after.gateway}/`);
      ok(['run', '-d', '--name', `${name}c`, '--network', name, 'busybox', 'sleep', '1000']);
      const ip = ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${name}").IPAddress}}`, `${name}c`]);
      expect(inNs(d, `${name}c`, `ping -c 1 -W 2 ${after.gateway}`).code).toBe(0);
      expect(inNs(d, `${name}c`, 'ip -4 -o addr show dev eth0').out).toContain(` ${ip}/`);
      ok(['rm', '-f', `${name}c`]);
    },
  );
});

describe('--watch-subnet-conflicts=false', () => {
  let d: TestDaemon | undefined;
  afterAll(async () => { await d?.destroy(); });

  it('turns the watch off: a network over a host route shows no conflict; a value that is no boolean is refused', async () => {
    const bad = new TestDaemon('nftables', undefined, ['--watch-subnet-conflicts=maybe']);
    await expect(bad.start()).rejects.toThrow('invalid value "maybe" for --watch-subnet-conflicts: not a boolean');
    await bad.destroy();
    d = new TestDaemon('nftables', undefined, ['--watch-subnet-conflicts=false']);
    await d.start();
    d.host.sh('ip link add stoff0 type veth peer name stoff1 && ip link set stoff0 up && ip route add 10.98.9.0/25 dev stoff0');
    expect((await d.api('POST', '/v1.52/networks/create', { Name: 'stoff', IPAM: { Config: [{ Subnet: '10.98.9.0/24' }] } })).status).toBe(201);
    // An absence shows only after a while: the watch, when on, tells this within milliseconds.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await d.api('GET', '/v1.52/networks/stoff')).body.Status?.WeftConflicts).toBeUndefined();
    expect(d.log).not.toContain('subnet conflict');
  });
});
