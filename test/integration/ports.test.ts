/**
 * Published ports with real traffic, once per firewall backend: from an outside
 * namespace, from the host itself (its address, 127.0.0.1, ::1), from a container on the
 * same network (hairpin) and on another network; ranges, host-IP bindings, random ports,
 * conflicts, exact cleanup, restart, flushed rulesets and stale UDP conntrack entries.
 *
 * Servers run with the host's node inside each container's network namespace (busybox
 * has no UDP tools); the path packets take is the container's all the same.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, createNet } from '../helpers/containers.js';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { kill, probe, probeRange, startServer } from '../helpers/probe.js';

const HOST = '10.254.0.1';
const HOST6 = 'fd00:254::1';
const HOST_B = '10.254.1.1';

describe.each(['nftables', 'iptables'] as const)('published ports (%s backend)', (backend) => {
  let d: TestDaemon;
  let outside: LabNs;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    d = new TestDaemon(backend);
    outside = makeNs('pout');
    d.host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip link set wout up
      ip addr add ${HOST}/24 dev wout && ip addr add ${HOST_B}/24 dev wout && ip addr add ${HOST6}/64 dev wout nodad`);
    outside.sh(`ip addr add 10.254.0.2/24 dev eth0 && ip addr add 10.254.1.2/24 dev eth0 && ip addr add fd00:254::2/64 dev eth0 nodad && ip link set eth0 up`);
    await d.start();
    await createNet(d, { Name: 'pub', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.40.0.0/24' }, { Subnet: 'fd00:40::/64' }] } });
    await createNet(d, { Name: 'other', IPAM: { Config: [{ Subnet: '10.41.0.0/24' }] } });
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    for (const s of servers) kill(s);
    await d?.destroy();
    outside?.destroy();
  });

  async function run(name: string, network: string, ports: Record<string, { HostIp?: string; HostPort: string }[]>, serve: string[] = []): Promise<{ id: string; ns: string; status: number; text: string }> {
    const create = await d.api('POST', `/v1.50/containers/create?name=${name}`, {
      Image: 'busybox', Cmd: ['sleep', '100000'],
      ExposedPorts: Object.fromEntries(Object.keys(ports).map((k) => [k, {}])),
      HostConfig: { NetworkMode: network, PortBindings: ports },
    });
    expect(create.status, create.text).toBe(201);
    const start = await d.api('POST', `/v1.50/containers/${name}/start`);
    const info = (await d.api('GET', `/v1.50/containers/${name}/json`)).body;
    const ns = info.NetworkSettings.SandboxKey as string;
    if (start.status === 204 && serve.length) servers.push(await startServer(ns, name, serve));
    return { id: create.body.Id, ns, status: start.status, text: start.text };
  }

  function ruleset(): string {
    const raw = backend === 'nftables' ? d.host.sh('nft --stateless list ruleset') : d.host.sh('iptables-save; ip6tables-save');
    return raw.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, '')).join('\n');
  }

  it('TCP and UDP answer from outside, the host, loopback, hairpin and another network', async () => {
    const web = await run('web', 'pub', { '80/tcp': [{ HostPort: '8080' }], '53/udp': [{ HostPort: '5353' }] }, ['tcp:80:v6', 'udp:53']);
    expect(web.status, web.text).toBe(204);
    const client = await run('client', 'pub', {});
    const stranger = await run('stranger', 'other', {});
    const sources: [string, string][] = [
      ['outside', outside.path], ['host', d.host.path], ['same network (hairpin)', client.ns], ['other network', stranger.ns],
    ];
    for (const [who, ns] of sources) {
      expect(probe(ns, 'tcp', HOST, 8080), `tcp from ${who}`).toBe('tcp:80:web');
      expect(probe(ns, 'udp', HOST, 5353), `udp from ${who}`).toBe('udp:53:web');
    }
    // The host's loopback addresses, through the userland relay.
    expect(probe(d.host.path, 'tcp', '127.0.0.1', 8080)).toBe('tcp:80:web');
    expect(probe(d.host.path, 'tcp', '::1', 8080)).toBe('tcp:80:web');
    expect(probe(d.host.path, 'udp', '127.0.0.1', 5353)).toBe('udp:53:web');
    // IPv6 on a dual-stack network: the host's IPv6 address from outside (DNAT to the
    // container's IPv6 address).
    expect(probe(outside.path, 'tcp', HOST6, 8080)).toBe('tcp:80:web');
    // Inspect and `weft port` show the binding.
    const info = (await d.api('GET', '/v1.50/containers/web/json')).body;
    expect(info.NetworkSettings.Ports['80/tcp']).toEqual(expect.arrayContaining([{ HostIp: '0.0.0.0', HostPort: '8080' }]));
    expect(d.cli(['port', 'web', '80']).stdout).toContain('0.0.0.0:8080');
  });

  it('every port of a 100-port range answers', async () => {
    const r = await run('ranger', 'pub', { '9000-9099/tcp': [{ HostPort: '9000-9099' }] }, Array.from({ length: 100 }, (_, i) => `tcp:${9000 + i}`));
    expect(r.status, r.text).toBe(204);
    const ports = Array.from({ length: 100 }, (_, i) => 9000 + i);
    expect(probeRange(outside.path, HOST, ports)).toEqual(ports);
  });

  it('a host-IP binding answers on that address only', async () => {
    const r = await run('pinned', 'pub', { '80/tcp': [{ HostIp: HOST_B, HostPort: '7070' }] }, ['tcp:80']);
    expect(r.status, r.text).toBe(204);
    expect(probe(outside.path, 'tcp', HOST_B, 7070)).toBe('tcp:80:pinned');
    expect(probe(outside.path, 'tcp', HOST, 7070, { timeoutMs: 800 })).toBe('');
  });

  it('random host ports come from the ephemeral range, are reported and answer', async () => {
    const r = await run('rand', 'pub', { '80/tcp': [{ HostPort: '' }], '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, ['tcp:80', 'tcp:81']);
    expect(r.status, r.text).toBe(204);
    const ports = (await d.api('GET', '/v1.50/containers/rand/json')).body.NetworkSettings.Ports;
    const p80 = Number(ports['80/tcp'][0].HostPort);
    const p81 = Number(ports['81/tcp'][0].HostPort);
    const [first, last] = d.host.sh('cat /proc/sys/net/ipv4/ip_local_port_range').trim().split(/\s+/).map(Number);
    for (const p of [p80, p81]) expect(p >= first! && p <= last!, `${p} in ${first}-${last}`).toBe(true);
    expect(p80).not.toBe(p81);
    expect(probe(outside.path, 'tcp', HOST, p80)).toBe('tcp:80:rand');
    expect(probe(d.host.path, 'tcp', '127.0.0.1', p81)).toBe('tcp:81:rand');
    expect(d.cli(['port', 'rand']).stdout).toContain(`80/tcp -> 0.0.0.0:${p80}`);
  });

  it('a random host port a host process holds is skipped, like dockerd does', async () => {
    // Picks are sequential: the next random port follows the one this container gets.
    const probeRun = await run('seq', 'pub', { '80/tcp': [{ HostPort: '' }] });
    expect(probeRun.status, probeRun.text).toBe(204);
    const last = Number((await d.api('GET', '/v1.50/containers/seq/json')).body.NetworkSettings.Ports['80/tcp'][0].HostPort);
    expect((await d.api('DELETE', '/v1.50/containers/seq?force=1')).status).toBe(204);
    const squatter = await startServer(d.host.path, 'host', [`tcp:${last + 1}`, `tcp:${last + 2}`]);
    servers.push(squatter);
    const r = await run('skip', 'pub', { '80/tcp': [{ HostPort: '' }] }, ['tcp:80']);
    expect(r.status, r.text).toBe(204);
    const got = Number((await d.api('GET', '/v1.50/containers/skip/json')).body.NetworkSettings.Ports['80/tcp'][0].HostPort);
    expect(got).toBe(last + 3);
    expect(probe(outside.path, 'tcp', HOST, got)).toBe('tcp:80:skip');
    expect(probe(d.host.path, 'tcp', HOST, last + 1)).toBe(`tcp:${last + 1}:host`); // still the host's
    kill(squatter);
    expect((await d.api('DELETE', '/v1.50/containers/skip?force=1')).status).toBe(204);
  });

  it('refuses a port held by a container or a host process, and changes nothing', async () => {
    const before = ruleset();
    const again = await run('dup', 'pub', { '80/tcp': [{ HostPort: '8080' }] });
    expect(again.status).toBe(409);
    expect(again.text).toMatch(/0\.0\.0\.0:8080 failed: port is already allocated/);
    expect((await d.api('GET', '/v1.50/containers/dup/json')).body.State.Running).toBe(false);
    expect(ruleset()).toBe(before);
    // A process in the host namespace listening on 6060.
    const squatter = await startServer(d.host.path, 'host', ['tcp:6060']);
    servers.push(squatter);
    const blocked = await run('blocked', 'pub', { '80/tcp': [{ HostPort: '6060' }] });
    expect(blocked.status).toBe(409);
    expect(blocked.text).toMatch(/6060 failed: port is already allocated/);
    expect(ruleset()).toBe(before);
    expect(probe(d.host.path, 'tcp', HOST, 6060)).toBe('tcp:6060:host'); // still the host's
    kill(squatter);
    for (const n of ['dup', 'blocked']) expect((await d.api('DELETE', `/v1.50/containers/${n}?force=1`)).status).toBe(204);
  });

  it('publishes SCTP by DNAT (rules checked; traffic only where the kernel has SCTP)', async () => {
    const r = await run('sctp', 'pub', { '9999/sctp': [{ HostPort: '9999' }] });
    expect(r.status, r.text).toBe(204);
    const ip = await containerIp(d, 'sctp', 'pub');
    const rules = ruleset();
    expect(rules).toMatch(backend === 'nftables' ? new RegExp(`sctp \\. 9999 : ${ip.replace(/\./g, '\\.')} \\. 9999`) : new RegExp(`-p sctp .*--dport 9999 -j DNAT --to-destination ${ip}:9999`));
    expect((await d.api('DELETE', '/v1.50/containers/sctp?force=1')).status).toBe(204);
    expect(ruleset()).not.toMatch(/9999/);
  });

  it('flushes stale UDP conntrack entries when a mapping goes away', async () => {
    const a = await run('udp-a', 'pub', { '53/udp': [{ HostPort: '6353' }] }, ['udp:53']);
    expect(a.status, a.text).toBe(204);
    // Same client source port both times: without the flush, the old conntrack entry
    // would keep sending this flow to udp-a's (now gone) address.
    expect(probe(outside.path, 'udp', HOST, 6353, { srcPort: 40000 })).toBe('udp:53:udp-a');
    expect((await d.api('DELETE', '/v1.50/containers/udp-a?force=1')).status).toBe(204);
    const b = await run('udp-b', 'pub', { '53/udp': [{ HostPort: '6353' }] }, ['udp:53']);
    expect(b.status, b.text).toBe(204);
    expect(probe(outside.path, 'udp', HOST, 6353, { srcPort: 40000 })).toBe('udp:53:udp-b');
  });

  it('after 200 containers with a published port are removed, the ruleset is as before', async () => {
    await createNet(d, { Name: 'many', IPAM: { Config: [{ Subnet: '10.42.0.0/22' }] } });
    const before = ruleset();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await run(`m${i}`, 'many', { '80/tcp': [{ HostPort: String(20000 + i) }] });
      expect(r.status, r.text).toBe(204);
      ids.push(r.id);
    }
    expect(ruleset()).toContain('20199');
    for (const id of ids) expect((await d.api('DELETE', `/v1.50/containers/${id}?force=1`)).status).toBe(204);
    expect(ruleset()).toBe(before);
  }, 240_000);

  it('works again after a daemon crash, and after the host ruleset is flushed', async () => {
    await d.crash();
    // The kernel keeps forwarding while the daemon is down.
    expect(probe(outside.path, 'tcp', HOST, 8080)).toBe('tcp:80:web');
    await d.start();
    expect(probe(d.host.path, 'tcp', '127.0.0.1', 8080)).toBe('tcp:80:web');
    // Someone flushes the host's ruleset: the DNAT rules are gone (the relay socket
    // still answers on the host's addresses, but not as the kernel's DNAT would).
    const flush = backend === 'nftables' ? 'nft flush ruleset'
      : 'for t in filter nat mangle; do iptables -t $t -F; ip6tables -t $t -F; done';
    d.host.sh(flush);
    expect(ruleset()).not.toContain('8080');
    const reload = d.cli(['firewall', 'reload']);
    expect(reload.code, reload.stderr).toBe(0);
    const reloaded = ruleset();
    expect(reloaded).toContain('8080');
    expect(probe(outside.path, 'tcp', HOST, 8080)).toBe('tcp:80:web');
    // And without being asked: the periodic check notices a flush (default every 10 s) and
    // re-creates every network's rules, one network after another: wait for all of them,
    // so the next test's "before" is not taken halfway through.
    d.host.sh(flush);
    await waitFor(() => ruleset() === reloaded, 'rules re-created by the daemon', 20_000);
    expect(probe(outside.path, 'tcp', HOST, 8080)).toBe('tcp:80:web');
  }, 60_000);

  it('removing a container removes exactly its rules', async () => {
    const before = ruleset();
    const r = await run('solo', 'pub', { '80/tcp': [{ HostPort: '8181' }], '53/udp': [{ HostPort: '8181' }] }, ['tcp:80', 'udp:53']);
    expect(r.status, r.text).toBe(204);
    expect(ruleset()).not.toBe(before);
    expect((await d.api('DELETE', '/v1.50/containers/solo?force=1')).status).toBe(204);
    expect(ruleset()).toBe(before);
    expect(probe(outside.path, 'tcp', HOST, 8080)).toBe('tcp:80:web'); // others untouched
    expect(fs.existsSync(r.ns)).toBe(false);
  });
});
