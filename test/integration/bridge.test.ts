/**
 * Single-host bridge networking end to end, with a real daemon in a throwaway host
 * namespace, real containers (busybox) and real traffic — once per firewall backend.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { containerIp, createNet, execIn, inNs, runContainer } from '../helpers/containers.js';

describe.each(['iptables', 'nftables'] as const)('bridge networking (%s backend)', (backend) => {
  let d: TestDaemon;
  let outside: LabNs;
  let peerServer: ChildProcess | undefined;

  beforeAll(async () => {
    d = new TestDaemon(backend);
    outside = makeNs('out');
    // The "outside world": another namespace on a link from the host namespace.
    d.host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip addr add 10.254.0.1/24 dev wout && ip link set wout up`);
    outside.sh('ip addr add 10.254.0.2/24 dev eth0 && ip link set eth0 up');
    // A TCP service in the outside namespace that answers with the source address it sees.
    peerServer = spawn('ip', ['netns', 'exec', outside.name, process.execPath, '-e',
      "require('net').createServer(s=>s.end(s.remoteAddress+'\\n')).listen(7000,'0.0.0.0')"], { stdio: 'ignore' });
    await d.start();
  });

  afterAll(async () => {
    if (peerServer?.pid) try { process.kill(peerServer.pid, 'SIGKILL'); } catch { /* gone */ }
    await d?.destroy();
    outside?.destroy();
  });

  it('has the predefined networks bridge, host and none', async () => {
    const r = await d.api('GET', '/v1.50/networks');
    expect(r.status).toBe(200);
    expect(r.body.map((n: any) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
    const br = r.body.find((n: any) => n.Name === 'bridge');
    expect(br.Driver).toBe('bridge');
    expect(br.IPAM.Config[0].Subnet).toBe('172.17.0.0/16');
    expect(d.host.sh('ip -br link show weft0')).toContain('weft0');
  });

  it('two containers on a user network reach each other by ping and HTTP; another network cannot', async () => {
    await createNet(d, { Name: 'front', IPAM: { Config: [{ Subnet: '10.10.0.0/24' }] } });
    await createNet(d, { Name: 'back', IPAM: { Config: [{ Subnet: '10.20.0.0/24' }] } });
    const web = await runContainer(d, { name: 'web', network: 'front', cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'] });
    const client = await runContainer(d, { name: 'client', network: 'front', cmd: ['sleep', '1000'] });
    const stranger = await runContainer(d, { name: 'stranger', network: 'back', cmd: ['sleep', '1000'] });
    const webIp = await containerIp(d, web, 'front');
    expect(webIp).toMatch(/^10\.10\.0\.\d+$/);
    expect(inNs(d, client, `ping -c1 -W2 ${webIp}`).code).toBe(0);
    const fetched = await waitFor(async () => {
      const r = await execIn(d, client, ['wget', '-q', '-O', '-', `http://${webIp}/hostname`]);
      return r.code === 0 ? r : undefined;
    }, 'HTTP from web');
    expect(fetched.stdout.trim()).toBe(web.slice(0, 12));
    // Isolation: a container on another bridge network reaches neither by ping nor TCP.
    expect(inNs(d, stranger, `ping -c1 -W1 ${webIp}`).code).not.toBe(0);
    // (busybox's `wget -T` segfaults, so the timeout comes from `timeout`: 143 when it
    // fires, 1 when wget fails outright; a crash or a success fails the check.)
    const viaTcp = await execIn(d, stranger, ['timeout', '2', 'wget', '-q', '-O', '-', `http://${webIp}/hostname`]);
    expect([1, 143], viaTcp.stderr).toContain(viaTcp.code);
  });

  it('with ICC off, containers on one network cannot reach each other but reach the gateway', async () => {
    await createNet(d, { Name: 'noicc', Options: { 'com.docker.network.bridge.enable_icc': 'false' }, IPAM: { Config: [{ Subnet: '10.30.0.0/24', Gateway: '10.30.0.1' }] } });
    const a = await runContainer(d, { name: 'icc-a', network: 'noicc', cmd: ['sleep', '1000'] });
    const b = await runContainer(d, { name: 'icc-b', network: 'noicc', cmd: ['sleep', '1000'] });
    const bIp = await containerIp(d, b, 'noicc');
    expect(inNs(d, a, `ping -c1 -W1 ${bIp}`).code).not.toBe(0);
    expect(inNs(d, a, 'ping -c1 -W2 10.30.0.1').code).toBe(0);
  });

  it('masquerades traffic to the outside: the peer sees the host address; --internal has no way out', async () => {
    const client = 'client';
    const seen = await execIn(d, client, ['nc', '10.254.0.2', '7000']);
    expect(seen.stdout.trim()).toBe('10.254.0.1');
    const rules = backend === 'iptables' ? d.host.sh('iptables-save -t nat') : d.host.sh('nft list ruleset');
    expect(rules).toMatch(/10\.10\.0\.0\/24/);
    expect(rules.toLowerCase()).toContain('masquerade');

    await createNet(d, { Name: 'sealed', Internal: true, IPAM: { Config: [{ Subnet: '10.40.0.0/24' }] } });
    const shut = await runContainer(d, { name: 'shut', network: 'sealed', cmd: ['sleep', '1000'] });
    expect(inNs(d, shut, 'ip route show default').out.trim()).toBe('');
    const r = await execIn(d, shut, ['nc', '-w', '2', '10.254.0.2', '7000']);
    expect(r.stdout.trim()).toBe('');
    expect(inNs(d, shut, 'ping -c1 -W1 10.254.0.2').code).not.toBe(0);
  });

  it('honours --subnet/--gateway/--ip-range/--aux-address/--ip, refuses overlaps, auto-picks without overlap', async () => {
    const net = await createNet(d, {
      Name: 'ipam', IPAM: { Config: [{ Subnet: '10.50.0.0/16', Gateway: '10.50.0.254', IPRange: '10.50.8.0/24', AuxiliaryAddresses: { router: '10.50.8.0' } }] },
    });
    const insp = (await d.api('GET', `/v1.50/networks/${net}`)).body;
    expect(insp.IPAM.Config[0]).toMatchObject({ Subnet: '10.50.0.0/16', Gateway: '10.50.0.254', IPRange: '10.50.8.0/24', AuxiliaryAddresses: { router: '10.50.8.0' } });
    expect(d.host.sh('ip -4 -o addr show')).toContain('10.50.0.254/16');
    const dyn = await runContainer(d, { name: 'dyn', network: 'ipam', cmd: ['sleep', '1000'] });
    const dynIp = await containerIp(d, dyn, 'ipam');
    expect(dynIp.startsWith('10.50.8.')).toBe(true);
    expect(dynIp).not.toBe('10.50.8.0');
    const fixed = await runContainer(d, { name: 'fixed', network: 'ipam', ip: '10.50.1.7', cmd: ['sleep', '1000'] });
    expect(await containerIp(d, fixed, 'ipam')).toBe('10.50.1.7');
    expect(inNs(d, fixed, 'ip route show default').out).toContain('via 10.50.0.254');
    // The same address again is refused and leaves nothing behind.
    const dup = await d.api('POST', '/v1.50/containers/create?name=dup', { Image: 'busybox', Cmd: ['sleep', '1'], HostConfig: { NetworkMode: 'ipam' }, NetworkingConfig: { EndpointsConfig: { ipam: { IPAMConfig: { IPv4Address: '10.50.1.7' } } } } });
    expect(dup.status).toBe(201);
    const started = await d.api('POST', `/v1.50/containers/dup/start`);
    expect(started.status).toBe(409);
    expect(started.body.message).toMatch(/in use/i);
    expect((await d.api('GET', '/v1.50/containers/dup/json')).body.State.Status).toBe('created');
    await d.api('DELETE', '/v1.50/containers/dup');

    const overlap = await d.api('POST', '/v1.50/networks/create', { Name: 'overlap', IPAM: { Config: [{ Subnet: '10.50.3.0/24' }] } });
    expect(overlap.status).toBeGreaterThanOrEqual(400);
    expect(overlap.status).toBeLessThan(500);
    expect(overlap.body.message).toMatch(/overlap/i);

    const autos: string[] = [];
    for (const name of ['auto1', 'auto2', 'auto3']) {
      const id = await createNet(d, { Name: name });
      autos.push((await d.api('GET', `/v1.50/networks/${id}`)).body.IPAM.Config[0].Subnet);
    }
    const all = (await d.api('GET', '/v1.50/networks')).body.flatMap((n: any) => n.IPAM.Config.map((c: any) => c.Subnet));
    expect(new Set(all).size).toBe(all.length);
    expect(autos).toEqual(['172.18.0.0/16', '172.19.0.0/16', '172.20.0.0/16']);
  });

  it('works dual stack: IPv6 addresses, routes and traffic', async () => {
    await createNet(d, { Name: 'dual', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.60.0.0/24' }, { Subnet: 'fd00:60::/64' }] } });
    const a = await runContainer(d, { name: 'v6a', network: 'dual', cmd: ['sleep', '1000'] });
    const b = await runContainer(d, { name: 'v6b', network: 'dual', cmd: ['sleep', '1000'] });
    const insp = (await d.api('GET', `/v1.50/containers/${b}/json`)).body;
    const v6 = insp.NetworkSettings.Networks.dual.GlobalIPv6Address;
    expect(v6).toMatch(/^fd00:60::/);
    expect(insp.NetworkSettings.Networks.dual.IPv6Gateway).toBe('fd00:60::1');
    expect(inNs(d, a, `ping -6 -c1 -W3 ${v6}`).code).toBe(0);
    expect(inNs(d, a, 'ping -6 -c1 -W3 fd00:60::1').code).toBe(0);
  });

  it('network connect/disconnect adds and removes eth1 on a running container', async () => {
    const c = 'client';
    expect(inNs(d, c, 'ip -o link show eth1').code).not.toBe(0);
    const r = await d.api('POST', '/v1.50/networks/back/connect', { Container: c, EndpointConfig: { Aliases: ['cl'] } });
    expect(r.status).toBe(200);
    expect(inNs(d, c, 'ip -o -4 addr show eth1').out).toMatch(/10\.20\.0\.\d+\/24/);
    const strangerIp = await containerIp(d, 'stranger', 'back');
    expect(inNs(d, c, `ping -c1 -W2 ${strangerIp}`).code).toBe(0);
    const net = (await d.api('GET', '/v1.50/networks/back')).body;
    expect(Object.values(net.Containers).map((x: any) => x.Name)).toContain('client');
    const again = await d.api('POST', '/v1.50/networks/back/connect', { Container: c });
    expect(again.status).toBe(403);
    expect((await d.api('POST', '/v1.50/networks/back/disconnect', { Container: c })).status).toBe(200);
    expect(inNs(d, c, 'ip -o link show eth1').code).not.toBe(0);
    // The default route stayed on eth0.
    expect(inNs(d, c, 'ip route show default').out).toContain('dev eth0');
  });

  it('refuses bad input with a 4xx and a clear message, changing nothing', async () => {
    const before = (await d.api('GET', '/v1.50/networks')).text;
    const linksBefore = d.host.sh('ip -o link show | wc -l');
    const cases: [unknown, number, RegExp][] = [
      [{ Name: 'bad1', IPAM: { Config: [{ Subnet: 'nonsense' }] } }, 400, /invalid subnet nonsense/],
      [{ Name: 'bad2', IPAM: { Config: [{ Subnet: '10.70.0.0/24', Gateway: '10.71.0.1' }] } }, 400, /gateway 10\.71\.0\.1/],
      [{ Name: 'bad3', Driver: 'nosuchdriver' }, 404, /plugin "nosuchdriver" not found/],
      [{ Name: 'front' }, 409, /network with name front already exists/],
      [{ Name: 'bad5', IPAM: { Config: [{ Subnet: '10.72.0.0/24', IPRange: '10.73.0.0/24' }] } }, 400, /ip-range/],
      [{ Name: 'bad6', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:72::1/64' }] } }, 400, /it should be fd00:72::\/64/],
      [{ Name: 'bad7', Options: { 'com.docker.network.driver.mtu': 'big' } }, 400, /MTU/],
      [{ Name: 'bad8', Internal: 'yes' }, 400, /Internal/],
      [{ Name: 'bad9', Driver: 'host' }, 403, /only one instance/],
      [{ }, 400, /name/],
    ];
    for (const [body, status, msg] of cases) {
      const r = await d.api('POST', '/v1.50/networks/create', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body.message).toMatch(msg);
    }
    const malformed = await d.api('POST', '/v1.50/networks/create', undefined, '{"Name": "x",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/invalid JSON/);
    expect((await d.api('GET', '/v1.50/networks/nosuch')).status).toBe(404);
    expect((await d.api('DELETE', '/v1.50/networks/bridge')).status).toBe(403);
    const inUse = await d.api('DELETE', '/v1.50/networks/front');
    expect(inUse.status).toBe(403);
    expect(inUse.body.message).toMatch(/active endpoints/);
    const noSuchNet = await d.api('POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'nosuch' } });
    expect(noSuchNet.status).toBe(404);
    const noImage = await d.api('POST', '/v1.50/containers/create', { Image: 'alpine', Cmd: ['true'] });
    expect(noImage.status).toBe(404);
    expect(noImage.body.message).toMatch(/No such image: alpine/);
    expect((await d.api('GET', '/v1.50/networks')).text).toBe(before);
    expect(d.host.sh('ip -o link show | wc -l')).toBe(linksBefore);
  });

  it('survives kill -9: networks, endpoints and allocations are back and working', async () => {
    const webIp = await containerIp(d, 'web', 'front');
    const netsBefore = (await d.api('GET', '/v1.50/networks')).body.map((n: any) => n.Id).sort();
    await d.crash();
    // Something a crash could leave behind that the restart must repair: a flushed ruleset.
    if (backend === 'iptables') d.host.sh('iptables -t nat -F POSTROUTING');
    await d.start();
    expect((await d.api('GET', '/v1.50/networks')).body.map((n: any) => n.Id).sort()).toEqual(netsBefore);
    expect(await containerIp(d, 'web', 'front')).toBe(webIp);
    expect(inNs(d, 'client', `ping -c1 -W2 ${webIp}`).code).toBe(0);
    const seen = await execIn(d, 'client', ['nc', '10.254.0.2', '7000']);
    expect(seen.stdout.trim()).toBe('10.254.0.1');
    // The allocation survived: a new container never gets web's address.
    const fresh = await runContainer(d, { name: 'fresh', network: 'front', cmd: ['sleep', '1000'] });
    expect(await containerIp(d, fresh, 'front')).not.toBe(webIp);
  });

  it('after removing everything, no link, namespace, rule or allocation is left', async () => {
    for (const c of (await d.api('GET', '/v1.50/containers/json?all=1')).body) {
      expect((await d.api('DELETE', `/v1.50/containers/${c.Id}?force=1`)).status).toBe(204);
    }
    for (const n of (await d.api('GET', '/v1.50/networks')).body) {
      if (!['bridge', 'host', 'none'].includes(n.Name)) expect((await d.api('DELETE', `/v1.50/networks/${n.Id}`)).status).toBe(204);
    }
    // Veths of removed containers go with their namespaces, which the kernel destroys in
    // the background: give it a moment.
    const links = () => d.host.sh("ip -o link show | awk -F': ' '{print $2}'").split('\n').filter(Boolean).map((l) => l.split('@')[0]).sort();
    await waitFor(() => links().length === 3, 'veths of removed containers to disappear', 5000).catch(() => undefined);
    expect(links()).toEqual(['lo', 'weft0', 'wout'].sort());
    expect(spawnSync('sh', ['-c', `ls ${d.runDir}/netns 2>/dev/null | wc -l`], { encoding: 'utf8' }).stdout.trim()).toBe('0');
    const rules = backend === 'iptables' ? d.host.sh('iptables-save') : d.host.sh('nft list ruleset');
    for (const gone of ['10.10.0.0', '10.20.0.0', '10.30.0.0', '10.40.0.0', '10.50.0.0', '10.60.0.0']) expect(rules).not.toContain(gone);
    // Addresses were released: the same static address can be taken again.
    await createNet(d, { Name: 'again', IPAM: { Config: [{ Subnet: '10.50.0.0/16' }] } });
    const again = await runContainer(d, { name: 'again1', network: 'again', ip: '10.50.1.7', cmd: ['true'] });
    expect(again).toMatch(/^[0-9a-f]{64}$/);
  });
});
