/**
 * Remote drivers in Docker's plugin protocol, driven by the real docker CLI: a network
 * plugin and an IPAM plugin (test/helpers/remote-plugins.ts) listen on unix sockets, one
 * in the test's own plugins dir, one named by a .spec file; weft finds them by name, activates them on first use, moves
 * the veth end the network plugin made into each container, and gives the containers a way
 * out through weft_gwbridge (the plugin offers no gateway). Two containers talk over the
 * plugin's bridge. Killing a plugin in the middle of an operation fails it clearly and
 * leaves nothing half-made, on weft's side or the plugins'; once it is back, it works.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { DockerCli, HAVE_DOCKER, type Run } from '../helpers/docker-cli.js';
import { checkInvariants } from '../helpers/invariants.js';
import { makeNs } from '../helpers/lab.js';
import { IpamPlugin, NetworkPlugin } from '../helpers/remote-plugins.js';

describe.skipIf(!HAVE_DOCKER)('remote network and IPAM plugins', () => {
  let d: TestDaemon;
  let docker: DockerCli;
  let dir: string;
  let net: NetworkPlugin;
  let ipam: IpamPlugin;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wr-plugins-'));
    fs.mkdirSync(path.join(dir, 'spec'));
    fs.mkdirSync(path.join(dir, 'elsewhere'));
    // The IPAM plugin is found through a spec file, the network plugin by its socket.
    fs.writeFileSync(path.join(dir, 'spec', 'wripam.spec'), `unix://${path.join(dir, 'elsewhere', 'wripam.sock')}\n`);
    const host = makeNs('wr');
    d = new TestDaemon('nftables', host, ['--plugins-dir', dir, '--plugin-spec-dir', path.join(dir, 'spec'), '--plugin-timeout', '5']);
    net = new NetworkPlugin(dir, 'wrnet', host.path);
    ipam = new IpamPlugin(path.join(dir, 'elsewhere'), 'wripam', '10.213.0.0/24');
    await net.server.start();
    await ipam.server.start();
    await d.start();
    docker = new DockerCli(d);
  });

  afterAll(async () => {
    await d?.destroy();
    await net?.server.kill();
    await ipam?.server.kill();
    docker?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** docker, without blocking this process: the plugins answer from its event loop. */
  const run = (args: string[]): Promise<Run> => docker.runAsync(args);
  const ok = async (args: string[]) => {
    const r = await run(args);
    expect(r.err, args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
    return r.out.trim();
  };
  const ipOf = (ctr: string, network: string) => ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, ctr]);
  const members = async (network: string) => Object.values(JSON.parse(await ok(['network', 'inspect', network]))[0].Containers)
    .map((c: any) => c.Name).sort();
  /**
   * Whether cond holds within a second. A release to a remote IPAM is sent just after the
   * commit that makes it (ipam/remote), so the API may answer before the plugin has it.
   */
  const settles = (cond: () => boolean) => waitFor(cond, 'the IPAM plugin', 1000).then(() => true, () => false);
  /**
   * weft's own invariants, the plugin's links being the plugin's. The helper models bridge
   * networks only: what it says of the remote network, and of weft_gwbridge's gateway
   * endpoints (which containers do not list, as with docker_gwbridge), is checked here
   * instead, against the plugins' own records.
   */
  const invariants = async () => {
    const nets = JSON.parse((await run(['network', 'inspect', 'wrn1', 'weft_gwbridge'])).out || '[]');
    const gw = nets.find((n: any) => n.Name === 'weft_gwbridge');
    const gwEndpoints = Object.values(gw?.Containers ?? {}).map((c: any) => c.EndpointID.slice(0, 7));
    const modelled = (v: string) => !v.includes('network wrn1')
      && !/network weft_gwbridge lists gateway_/.test(v) && !gwEndpoints.some((id) => v.includes(`veth${id} master weft_gwbridge`));
    const remote = nets.find((n: any) => n.Name === 'wrn1');
    const weftEndpoints = Object.keys(remote?.Containers ?? {}).length;
    const own = [];
    if (net.endpoints.size !== weftEndpoints) own.push(`plugin-endpoints: the plugin holds ${net.endpoints.size}, weft ${weftEndpoints}`);
    if (net.joined.size !== weftEndpoints) own.push(`plugin-joins: the plugin has ${net.joined.size} joined, weft ${weftEndpoints}`);
    const ips = Object.values(remote?.Containers ?? {}).map((c: any) => c.IPv4Address.split('/')[0]);
    const want = [...ips, ...(remote ? remote.IPAM.Config.map((c: any) => c.Gateway) : [])].sort();
    if (!(await settles(() => JSON.stringify(ipam.held()) === JSON.stringify(want)))) {
      own.push(`ipam-held: the plugin holds ${ipam.held()}, weft ${want}`);
    }
    return [...(await checkInvariants(d, { ignoreLinks: net.links() })).filter(modelled), ...own];
  };

  it('refuses a driver no plugin provides, in dockerd\'s words, and activates nothing before it is named', async () => {
    expect(net.server.calls).toEqual([]);
    const r = await run(['network', 'create', '-d', 'wrmissing', 'x']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('plugin "wrmissing" not found');
    const i = await run(['network', 'create', '--ipam-driver', 'wrmissing', 'x']);
    expect(i.err).toContain('plugin "wrmissing" not found');
    expect((await run(['network', 'create', '-d', 'wripam', 'x'])).err).toContain('Plugin does not implement the requested driver');
  });

  it('creates a network with the remote driver and the remote IPAM: the plugins get the pool and gateway', async () => {
    await ok(['network', 'create', '-d', 'wrnet', '--ipam-driver', 'wripam', '-o', 'wr.color=blue', 'wrn1']);
    const info = JSON.parse(await ok(['network', 'inspect', 'wrn1']))[0];
    expect(info.Driver).toBe('wrnet');
    expect(info.IPAM.Driver).toBe('wripam');
    expect(info.IPAM.Config[0]).toMatchObject({ Subnet: '10.213.0.0/24', Gateway: '10.213.0.1' });
    const create = net.server.calls.find((c) => c.method === 'NetworkDriver.CreateNetwork')!.body;
    expect(create.NetworkID).toBe(info.Id);
    expect(create.Options['com.docker.network.generic']).toEqual({ 'wr.color': 'blue' });
    expect(create.IPv4Data).toEqual([{ AddressSpace: '', Pool: '10.213.0.0/24', Gateway: '10.213.0.1/24', AuxAddresses: {} }]);
    expect(ipam.held()).toEqual(['10.213.0.1']);
    expect(net.networks.has(info.Id)).toBe(true);
  });

  it('two containers on it talk over the plugin\'s veths, and reach out through weft_gwbridge', async () => {
    await ok(['run', '-d', '--name', 'wra', '--network', 'wrn1', 'busybox', 'sleep', '600']);
    await ok(['run', '-d', '--name', 'wrb', '--network', 'wrn1', 'busybox', 'sleep', '600']);
    const a = await ipOf('wra', 'wrn1');
    const b = await ipOf('wrb', 'wrn1');
    expect([a, b].sort()).toEqual(['10.213.0.2', '10.213.0.3']);
    expect(await ok(['exec', 'wra', 'ip', '-o', '-4', 'addr', 'show', 'eth0'])).toContain(`${a}/24`);
    expect(await ok(['exec', 'wra', 'ping', '-c', '1', '-W', '2', b])).toContain('1 packets received');
    const gw = JSON.parse(await ok(['network', 'inspect', 'weft_gwbridge']))[0].IPAM.Config[0].Gateway;
    expect(await ok(['exec', 'wra', 'ip', 'route'])).toContain(`default via ${gw} dev eth1`);
    expect(await ok(['exec', 'wra', 'ping', '-c', '1', '-W', '2', gw])).toContain('1 packets received');
    expect(net.joined.size).toBe(2);
    expect(await invariants()).toEqual([]);
  });

  it('a network plugin killed during Join fails the run clearly and leaves nothing half-made; back, it works', async () => {
    const held = ipam.held();
    net.server.dieOn = 'NetworkDriver.Join';
    const r = await run(['run', '-d', '--name', 'wrc', '--network', 'wrn1', 'busybox', 'sleep', '600']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/plugin "wrnet" is not reachable: NetworkDriver.Join/);
    expect(await members('wrn1')).toEqual(['wra', 'wrb']);
    expect(await settles(() => JSON.stringify(ipam.held()) === JSON.stringify(held))).toBe(true);
    // The plugin died holding wrc's endpoint (CreateEndpoint had been answered): its
    // DeleteEndpoint waits until the plugin is back.
    expect(net.endpoints.size).toBe(3);
    expect((await invariants()).filter((v) => !v.startsWith('plugin-endpoints'))).toEqual([]);

    await net.server.start();
    await ok(['start', 'wrc']);
    const c = await ipOf('wrc', 'wrn1');
    expect(await ok(['exec', 'wrc', 'ping', '-c', '1', '-W', '2', await ipOf('wra', 'wrn1')])).toContain('1 packets received');
    expect(ipam.held()).toEqual([...held, c].sort());
    expect(await invariants()).toEqual([]);
  });

  it('a network plugin killed during CreateNetwork leaves no network and no pool; back, the same create works', async () => {
    net.server.dieOn = 'NetworkDriver.CreateNetwork';
    const r = await run(['network', 'create', '-d', 'wrnet', '--subnet', '10.214.0.0/24', 'wrn2']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/plugin "wrnet" is not reachable: NetworkDriver.CreateNetwork/);
    expect(await ok(['network', 'ls', '--format', '{{.Name}}'])).not.toContain('wrn2');
    expect(await invariants()).toEqual([]);
    await net.server.start();
    await ok(['network', 'create', '-d', 'wrnet', '--subnet', '10.214.0.0/24', 'wrn2']);
    const id = await ok(['network', 'inspect', '-f', '{{.Id}}', 'wrn2']);
    expect(net.networks.has(id)).toBe(true);
    await ok(['network', 'rm', 'wrn2']);
    expect(net.networks.has(id)).toBe(false);
  });

  it('an IPAM plugin killed during RequestAddress fails the run before the network plugin sees it; back, it works', async () => {
    const endpoints = net.endpoints.size;
    ipam.server.dieOn = 'IpamDriver.RequestAddress';
    const r = await run(['run', '-d', '--name', 'wrd', '--network', 'wrn1', 'busybox', 'sleep', '600']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/plugin "wripam" is not reachable: IpamDriver.RequestAddress/);
    expect(await members('wrn1')).toEqual(['wra', 'wrb', 'wrc']);
    expect(net.endpoints.size).toBe(endpoints);
    expect(await invariants()).toEqual([]);
    await ipam.server.start();
    await ok(['start', 'wrd']);
    expect(await ok(['exec', 'wrd', 'ping', '-c', '1', '-W', '2', await ipOf('wrb', 'wrn1')])).toContain('1 packets received');
    expect(await invariants()).toEqual([]);
  });

  it('a daemon killed after a Join is rolled back through the plugins at restart; the others keep talking', async () => {
    await d.crash();
    d.env = { WEFT_FAILPOINTS: 'endpoint.create.joined' };
    await d.start();
    const joins = net.server.calls.filter((c) => c.method === 'NetworkDriver.Join').length;
    await run(['run', '-d', '--name', 'wre', '--network', 'wrn1', 'busybox', 'sleep', '600']);
    await d.crash();
    expect(net.server.calls.filter((c) => c.method === 'NetworkDriver.Join').length).toBe(joins + 1);
    expect(net.joined.size).toBe(5);
    d.env = {};
    await d.start();
    expect(net.joined.size).toBe(4);
    expect(await members('wrn1')).toEqual(['wra', 'wrb', 'wrc', 'wrd']);
    expect(await ok(['exec', 'wra', 'ping', '-c', '1', '-W', '2', await ipOf('wrd', 'wrn1')])).toContain('1 packets received');
    expect(await invariants()).toEqual([]);
  });

  it('a plugin\'s gateway, static routes and interface prefix are the container\'s; its ports are offered to the plugin', async () => {
    await ok(['network', 'create', '-d', 'wrnet', '--subnet', '10.218.0.0/24', '-o', 'wr.gateway=true', 'wrgw']);
    await ok(['run', '-d', '--name', 'wrg', '--network', 'wrgw', '-p', '8089:80', 'busybox', 'sleep', '600']);
    const routes = await ok(['exec', 'wrg', 'ip', 'route']);
    expect(routes).toContain('default via 10.218.0.1 dev wrif0');
    expect(routes).toContain('10.250.0.0/16 via 10.218.0.1 dev wrif0');
    expect(routes).toContain('10.251.0.0/24 dev wrif0');
    expect(await ok(['exec', 'wrg', 'ip', '-o', 'link'])).not.toContain('eth1'); // no weft_gwbridge: the plugin gives a way out
    expect(await ok(['exec', 'wrg', 'ping', '-c', '1', '-W', '2', '10.218.0.1'])).toContain('1 packets received');
    const program = net.server.calls.filter((c) => c.method === 'NetworkDriver.ProgramExternalConnectivity').at(-1)!.body;
    expect(program.Options['com.docker.network.portmap']).toEqual([{ Proto: 6, IP: '', Port: 80, HostIP: '', HostPort: 8089, HostPortEnd: 8089 }]);
    expect(program.Options['com.docker.network.endpoint.exposedports']).toEqual([{ Proto: 6, Port: 80 }]);
    await ok(['rm', '-f', 'wrg']);
    expect(net.server.methods()).toContain('NetworkDriver.RevokeExternalConnectivity');
    await ok(['network', 'rm', 'wrgw']);
    expect(await invariants()).toEqual([]);
  });

  it('a network rm the plugin cannot answer fails and leaves the network as it was', async () => {
    await ok(['network', 'create', '-d', 'wrnet', '--subnet', '10.215.0.0/24', 'wrn3']);
    await net.server.kill();
    const r = await run(['network', 'rm', 'wrn3']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/plugin "wrnet" (is not reachable|not found)/);
    expect(await ok(['network', 'ls', '--format', '{{.Name}}'])).toContain('wrn3');
    await net.server.start();
    await ok(['network', 'rm', 'wrn3']);
    expect(await ok(['network', 'ls', '--format', '{{.Name}}'])).not.toContain('wrn3');
  });

  it('a daemon restarted while the network plugin is gone starts, keeps the network, and uses the plugin once it is back', async () => {
    await d.crash();
    await net.server.kill();
    await d.start();
    expect(await ok(['network', 'ls', '--format', '{{.Name}}'])).toContain('wrn1');
    expect(await ok(['exec', 'wra', 'ping', '-c', '1', '-W', '2', await ipOf('wrb', 'wrn1')])).toContain('1 packets received');
    const r = await run(['run', '-d', '--name', 'wrf', '--network', 'wrn1', 'busybox', 'sleep', '600']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/plugin "wrnet"/);
    await net.server.start();
    await ok(['start', 'wrf']);
    expect(await ok(['exec', 'wrf', 'ping', '-c', '1', '-W', '2', await ipOf('wra', 'wrn1')])).toContain('1 packets received');
    expect(await invariants()).toEqual([]);
  });

  it('removing the containers and the network gives everything back to the plugins', async () => {
    await ok(['rm', '-f', 'wra', 'wrb', 'wrc', 'wrd', 'wre', 'wrf']);
    expect(net.joined.size).toBe(0);
    expect(net.endpoints.size).toBe(0);
    await ok(['network', 'rm', 'wrn1']);
    expect(net.networks.size).toBe(0);
    expect(await settles(() => ipam.pools.size === 0)).toBe(true);
    expect(await invariants()).toEqual([]);
  });
});
