/**
 * The networking fields of a container honoured for real: legacy links (DNS names on a
 * user-defined network, /etc/hosts and environment on the default bridge), ExtraHosts with
 * host-gateway, Dns/DnsSearch/DnsOptions (the container's own upstreams behind the embedded
 * DNS, or written directly on the default bridge), per-endpoint MacAddress, LinkLocalIPs and
 * the interface-name driver option. Upstream resolvers are stand-ins in a lab namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, createNet, execIn, inNs, runContainer } from '../helpers/containers.js';
import { REPO, TestDaemon } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { kill } from '../helpers/probe.js';
import { resolverScript } from '../helpers/stand-in-resolver.js';

const DAEMON_UPSTREAM = '10.254.0.2';
const OWN_UPSTREAM = '10.254.0.3';
const HOST_GATEWAY = '10.254.0.1';

describe('networking fields of a container', () => {
  let d: TestDaemon;
  let outside: LabNs;
  const resolvers: ChildProcess[] = [];

  beforeAll(async () => {
    const host = makeNs('nfdhost');
    d = new TestDaemon('nftables', host, ['--dns', DAEMON_UPSTREAM, '--host-gateway-ip', HOST_GATEWAY]);
    outside = makeNs('nfdout');
    host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip addr add ${HOST_GATEWAY}/24 dev wout && ip link set wout up`);
    outside.sh(`ip addr add ${DAEMON_UPSTREAM}/24 dev eth0 && ip addr add ${OWN_UPSTREAM}/24 dev eth0 && ip link set eth0 up`);
    outside.sh(`ip route add default via ${HOST_GATEWAY}`);
    for (const [ip, answer] of [[DAEMON_UPSTREAM, '192.0.2.7'], [OWN_UPSTREAM, '192.0.2.99']]) {
      const p = spawn('ip', ['netns', 'exec', outside.name, process.execPath, '-e', resolverScript(ip, answer)],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
      resolvers.push(p);
      await new Promise<void>((r) => p.stdout!.on('data', (x) => String(x).includes('ready') && r()));
    }
    await d.start();
    await createNet(d, { Name: 'nfd1', IPAM: { Config: [{ Subnet: '10.60.0.0/24' }] } });
  });

  afterAll(async () => {
    for (const p of resolvers) kill(p);
    await d?.destroy();
    outside?.destroy();
  });

  const inspect = async (ref: string) => (await d.api('GET', `/v1.44/containers/${ref}/json`)).body;

  async function create(name: string, body: Record<string, unknown>): Promise<{ status: number; text: string; id: string }> {
    const r = await d.api('POST', `/v1.44/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sleep', '600'], ...body });
    return { status: r.status, text: r.text, id: r.body?.Id };
  }

  async function createAndStart(name: string, body: Record<string, unknown>): Promise<void> {
    const c = await create(name, body);
    expect(c.status, c.text).toBe(201);
    const s = await d.api('POST', `/v1.44/containers/${c.id}/start`);
    expect(s.status, s.text).toBe(204);
  }

  /** The addresses busybox nslookup prints for name via the container's resolv.conf ([] when it fails). */
  async function resolve(container: string, name: string): Promise<string[]> {
    const r = await execIn(d, container, ['nslookup', '-type=a', name]);
    if (r.code !== 0) return [];
    const answer = r.stdout.split(/\n\s*\n/).slice(1).join('\n');
    return [...answer.matchAll(/Address:\s*([0-9a-f.:]+)/g)].map((m) => m[1]);
  }

  it('Dns on a user-defined network: the embedded DNS stays the nameserver and forwards to them', async () => {
    await createAndStart('nfd-own', {
      HostConfig: { NetworkMode: 'nfd1', Dns: [OWN_UPSTREAM], DnsSearch: ['corp.test'], DnsOptions: ['timeout:2'] },
    });
    await runContainer(d, { name: 'nfd-plain', network: 'nfd1', cmd: ['sleep', '600'] });
    const resolv = (await execIn(d, 'nfd-own', ['cat', '/etc/resolv.conf'])).stdout;
    expect(resolv).toMatch(/^nameserver 127\.0\.0\.11$/m);
    expect(resolv).not.toContain(OWN_UPSTREAM);
    expect(resolv).toMatch(/^search corp\.test$/m);
    expect(resolv).toMatch(/^options timeout:2 ndots:0$/m);
    expect(await resolve('nfd-own', 'outside.test')).toEqual(['192.0.2.99']);
    expect(await resolve('nfd-plain', 'outside.test')).toEqual(['192.0.2.7']);
    const hc = (await inspect('nfd-own')).HostConfig;
    expect([hc.Dns, hc.DnsSearch, hc.DnsOptions]).toEqual([[OWN_UPSTREAM], ['corp.test'], ['timeout:2']]);
  }, 60_000);

  it('Dns on the default bridge is written into resolv.conf and used directly', async () => {
    await createAndStart('nfd-bdns', { HostConfig: { Dns: [OWN_UPSTREAM], DnsSearch: ['a.test', 'b.test'], DnsOptions: ['ndots:2'] } });
    const resolv = (await execIn(d, 'nfd-bdns', ['cat', '/etc/resolv.conf'])).stdout;
    expect(resolv.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(
      [`nameserver ${OWN_UPSTREAM}`, 'search a.test b.test', 'options ndots:2']);
    expect(await resolve('nfd-bdns', 'outside.test')).toEqual(['192.0.2.99']);
  }, 60_000);

  it('ExtraHosts, host-gateway included, are /etc/hosts lines; a bad entry is refused', async () => {
    await createAndStart('nfd-hosts', { HostConfig: { NetworkMode: 'nfd1', ExtraHosts: ['db.test:10.9.8.7', 'gw.test:host-gateway', 'v6.test=2001:db8::5'] } });
    const hosts = (await execIn(d, 'nfd-hosts', ['cat', '/etc/hosts'])).stdout;
    expect(hosts).toMatch(/^10\.9\.8\.7\tdb\.test$/m);
    expect(hosts).toMatch(new RegExp(`^${HOST_GATEWAY.replaceAll('.', '\\.')}\\tgw\\.test$`, 'm'));
    expect(hosts).toMatch(/^2001:db8::5\tv6\.test$/m);
    expect((await execIn(d, 'nfd-hosts', ['ping', '-c1', '-W2', 'gw.test'])).code).toBe(0);
    expect((await inspect('nfd-hosts')).HostConfig.ExtraHosts).toEqual(['db.test:10.9.8.7', 'gw.test:host-gateway', 'v6.test=2001:db8::5']);
    const bad = await create('nfd-badhost', { HostConfig: { ExtraHosts: ['nohost'] } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('invalid IP address in add-host: \\"nohost\\"');
  }, 60_000);

  it('links on the default bridge: /etc/hosts line, ALIAS_* variables, traffic by alias; a stopped target refuses the start', async () => {
    await createAndStart('nfd-db', {
      Cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'], Env: ['FOO=bar'], ExposedPorts: { '80/tcp': {} },
    });
    await createAndStart('nfd-linker', { HostConfig: { Links: ['nfd-db:dbalias'] } });
    const ip = await containerIp(d, 'nfd-db', 'bridge');
    const hostname = (await inspect('nfd-db')).Config.Hostname;
    const hosts = (await execIn(d, 'nfd-linker', ['cat', '/etc/hosts'])).stdout;
    expect(hosts).toContain(`${ip}\tdbalias ${hostname} nfd-db\n`);
    const env = (await execIn(d, 'nfd-linker', ['env'])).stdout.split('\n');
    expect(env).toEqual(expect.arrayContaining([
      `DBALIAS_PORT=tcp://${ip}:80`, `DBALIAS_PORT_80_TCP=tcp://${ip}:80`, `DBALIAS_PORT_80_TCP_ADDR=${ip}`,
      'DBALIAS_PORT_80_TCP_PORT=80', 'DBALIAS_PORT_80_TCP_PROTO=tcp', 'DBALIAS_NAME=/nfd-linker/dbalias', 'DBALIAS_ENV_FOO=bar',
    ]));
    expect((await execIn(d, 'nfd-linker', ['sh', '-c', 'timeout 5 wget -qO- http://dbalias/hostname'])).stdout).toBe(`${hostname}\n`);
    expect((await inspect('nfd-linker')).HostConfig.Links).toEqual(['/nfd-db:/nfd-linker/dbalias']);

    const missing = await create('nfd-nolink', { HostConfig: { Links: ['nfd-nothere:x'] } });
    expect([missing.status, missing.text]).toEqual([404, expect.stringContaining('could not get container for nfd-nothere')]);
    const hostMode = await create('nfd-hostlink', { HostConfig: { NetworkMode: 'host', Links: ['nfd-db:x'] } });
    expect([hostMode.status, hostMode.text]).toEqual([400, expect.stringContaining('host type networking can\'t be used with links')]);
    const stopped = await create('nfd-stopped', { Cmd: ['true'] });
    const late = await create('nfd-late', { HostConfig: { Links: ['nfd-stopped:x'] } });
    expect(stopped.status).toBe(201);
    const start = await d.api('POST', `/v1.44/containers/${late.id}/start`);
    expect(start.status).toBe(400);
    expect(start.text).toContain('Cannot link to a non running container: /nfd-stopped AS /nfd-late/x');
    expect((await inspect('nfd-late')).State.Running).toBe(false);

    // docker rm --link: the linker forgets the alias; its /etc/hosts follows, the target lives on.
    await createAndStart('nfd-unlinker', { HostConfig: { Links: ['nfd-db:gonealias'] } });
    expect((await execIn(d, 'nfd-unlinker', ['cat', '/etc/hosts'])).stdout).toContain('gonealias');
    expect((await d.api('DELETE', '/v1.44/containers/nfd-db?link=1')).status).toBe(409);
    expect((await d.api('DELETE', '/v1.44/containers/nfd-unlinker/nope?link=1')).status).toBe(404);
    expect((await d.api('DELETE', '/v1.44/containers/nfd-unlinker/gonealias')).status).toBe(404);
    expect((await d.api('DELETE', '/v1.44/containers/nfd-unlinker/gonealias?link=1')).status).toBe(204);
    expect((await inspect('nfd-unlinker')).HostConfig.Links).toBeNull();
    expect((await execIn(d, 'nfd-unlinker', ['cat', '/etc/hosts'])).stdout).not.toContain('gonealias');
    expect((await inspect('nfd-db')).State.Running).toBe(true);
  }, 60_000);

  it('links on a user-defined network: the alias resolves for the linking container only', async () => {
    await runContainer(d, { name: 'nfd-srv', network: 'nfd1', cmd: ['sleep', '600'] });
    const srv = await containerIp(d, 'nfd-srv', 'nfd1');
    await createAndStart('nfd-hl', { HostConfig: { NetworkMode: 'nfd1', Links: ['nfd-srv:backend'] } });
    await createAndStart('nfd-el', { HostConfig: { NetworkMode: 'nfd1' }, NetworkingConfig: { EndpointsConfig: { nfd1: { Links: ['nfd-srv:api'] } } } });
    expect(await resolve('nfd-hl', 'backend')).toEqual([srv]);
    expect(await resolve('nfd-el', 'api')).toEqual([srv]);
    expect(await resolve('nfd-el', 'backend')).toEqual([]);
    expect(await resolve('nfd-plain', 'api')).toEqual([]);
    expect((await inspect('nfd-el')).NetworkSettings.Networks.nfd1.Links).toEqual(['nfd-srv:api']);
  }, 60_000);

  it('MacAddress (endpoint and Config), LinkLocalIPs and the ifname driver option reach the interface', async () => {
    await createAndStart('nfd-mac', {
      MacAddress: '02:42:0a:3c:00:99',
      HostConfig: { NetworkMode: 'nfd1' },
      NetworkingConfig: { EndpointsConfig: { nfd1: {
        IPAMConfig: { LinkLocalIPs: ['169.254.10.10'] }, DriverOpts: { 'com.docker.network.endpoint.ifname': 'lan0', 'x.other': 'kept' },
      } } },
    });
    const links = inNs(d, 'nfd-mac', 'ip -o link show lan0').out;
    expect(links).toContain('link/ether 02:42:0a:3c:00:99');
    expect(inNs(d, 'nfd-mac', 'ip -o -4 addr show lan0').out).toMatch(/inet 169\.254\.10\.10\/16/);
    const ep = (await inspect('nfd-mac')).NetworkSettings.Networks.nfd1;
    expect(ep.MacAddress).toBe('02:42:0a:3c:00:99');
    expect(ep.IPAMConfig.LinkLocalIPs).toEqual(['169.254.10.10']);
    expect(ep.DriverOpts).toEqual({ 'com.docker.network.endpoint.ifname': 'lan0', 'x.other': 'kept' });

    await createAndStart('nfd-mac2', { HostConfig: { NetworkMode: 'nfd1' }, NetworkingConfig: { EndpointsConfig: { nfd1: { MacAddress: '02:42:0a:3c:00:98' } } } });
    expect(inNs(d, 'nfd-mac2', 'ip -o link show eth0').out).toContain('link/ether 02:42:0a:3c:00:98');
    expect((await execIn(d, 'nfd-mac2', ['ping', '-c1', '-W2', 'nfd-mac'])).code).toBe(0);

    const bad = await create('nfd-badmac', { HostConfig: { NetworkMode: 'nfd1' }, NetworkingConfig: { EndpointsConfig: { nfd1: { MacAddress: 'zz' } } } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('invalid MAC address: zz');
  }, 60_000);

  it('NetworkMode container:<name> shares the other container\'s namespace, files and hostname; refused as dockerd refuses', async () => {
    await createAndStart('nfd-tgt', { Cmd: ['httpd', '-f', '-p', '8080', '-h', '/etc'], HostConfig: { NetworkMode: 'nfd1' } });
    await createAndStart('nfd-join', { HostConfig: { NetworkMode: 'container:nfd-tgt' } });
    const tgt = await inspect('nfd-tgt');
    const join = await inspect('nfd-join');
    expect((await execIn(d, 'nfd-join', ['sh', '-c', 'timeout 5 wget -qO- http://127.0.0.1:8080/hostname'])).stdout)
      .toBe(`${tgt.Config.Hostname}\n`);
    expect((await execIn(d, 'nfd-join', ['hostname'])).stdout).toBe(`${tgt.Config.Hostname}\n`);
    expect(await resolve('nfd-join', 'nfd-srv')).toEqual([await containerIp(d, 'nfd-srv', 'nfd1')]);
    expect(join.HostConfig.NetworkMode).toBe('container:nfd-tgt');
    expect(join.NetworkSettings.Networks).toEqual({});
    expect([join.HostsPath, join.ResolvConfPath]).toEqual([tgt.HostsPath, tgt.ResolvConfPath]);
    const connect = await d.api('POST', '/v1.44/networks/nfd1/connect', { Container: 'nfd-join' });
    expect(connect.status).toBe(400);
    expect(connect.text).toContain('container sharing network namespace with another container or host cannot be connected');

    const dns = await create('nfd-join-dns', { HostConfig: { NetworkMode: 'container:nfd-tgt', Dns: ['10.0.0.1'] } });
    expect([dns.status, dns.text]).toEqual([400, expect.stringContaining('conflicting options: dns and the network mode')]);
    const ports = await create('nfd-join-p', { HostConfig: { NetworkMode: 'container:nfd-tgt', PortBindings: { '80/tcp': [{ HostPort: '8081' }] } } });
    expect(ports.text).toContain('conflicting options: port publishing and the container type network mode');
    expect((await create('nfd-join-none', { HostConfig: { NetworkMode: 'container:nfd-nothere' } })).status).toBe(404);

    expect((await create('nfd-idle', {})).status).toBe(201);
    const idleJoin = await create('nfd-join-idle', { HostConfig: { NetworkMode: 'container:nfd-idle' } });
    const start = await d.api('POST', `/v1.44/containers/${idleJoin.id}/start`);
    expect(start.status).toBe(409);
    expect(start.text).toContain('cannot join network of a non running container: nfd-idle');
  }, 60_000);

  it('after a daemon crash and restart, the default bridge\'s link lines and variables are still there', async () => {
    const ip = await containerIp(d, 'nfd-db', 'bridge');
    await d.crash();
    await d.start();
    expect((await execIn(d, 'nfd-linker', ['cat', '/etc/hosts'])).stdout).toContain(`${ip}\tdbalias `);
    expect((await execIn(d, 'nfd-linker', ['env'])).stdout).toContain('DBALIAS_NAME=/nfd-linker/dbalias');
    expect((await execIn(d, 'nfd-linker', ['sh', '-c', 'timeout 5 wget -qO- http://dbalias/hostname'])).code).toBe(0);
  }, 60_000);
});
