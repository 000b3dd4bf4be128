/**
 * Docker 28's per-endpoint options through the docker CLI, read back from the kernel in the
 * container's namespace: GwPriority (which endpoint gives each family's default route),
 * MacAddress on connect, and the endpoint sysctls / interface name driver options.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli } from '../helpers/docker-cli.js';

const NETS = { 'gp-n1': ['10.81.1.0/24', 'fd81:1::/64'], 'gp-n2': ['10.81.2.0/24', 'fd81:2::/64'], 'gp-a': ['10.81.3.0/24', 'fd81:3::/64'] };

describe('per-endpoint options', () => {
  let d: TestDaemon;
  let cli: DockerCli;

  const ok = (args: string[]): string => {
    const r = cli.run(args);
    expect(r.code, r.err).toBe(0);
    return r.out.trim();
  };
  /** The default route of a family inside the container, as "via GW dev IF". */
  const route = (c: string, family: '-4' | '-6'): string => {
    const r = inNs(d, c, `ip ${family} route show default`);
    return r.out.match(/via (\S+) dev (\S+)/)?.slice(1).join(' ') ?? r.out.trim();
  };

  /** An interface's MAC address in the container (sysfs would show the host's own namespace). */
  const mac = (c: string, ifName: string): string => inNs(d, c, `ip -o link show ${ifName}`).out.match(/link\/ether (\S+)/)?.[1] ?? '';

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
    cli = new DockerCli(d);
    for (const [name, [v4, v6]] of Object.entries(NETS)) ok(['network', 'create', '--subnet', v4, '--ipv6', '--subnet', v6, name]);
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    cli?.cleanup();
    await d?.destroy();
  });

  it('a higher-priority network takes both default routes on connect and gives them back on disconnect', () => {
    ok(['run', '-d', '--name', 'gp-c1', '--network', 'name=gp-n1', 'busybox', 'sleep', '100000']);
    expect(route('gp-c1', '-4')).toBe('10.81.1.1 eth0');
    expect(route('gp-c1', '-6')).toBe('fd81:1::1 eth0');
    ok(['network', 'connect', '--gw-priority', '5', 'gp-n2', 'gp-c1']);
    expect(route('gp-c1', '-4')).toBe('10.81.2.1 eth1');
    expect(route('gp-c1', '-6')).toBe('fd81:2::1 eth1');
    const info = JSON.parse(ok(['inspect', 'gp-c1']))[0];
    expect(info.NetworkSettings.Networks['gp-n2'].GwPriority).toBe(5);
    ok(['network', 'disconnect', 'gp-n2', 'gp-c1']);
    expect(route('gp-c1', '-4')).toBe('10.81.1.1 eth0');
    expect(route('gp-c1', '-6')).toBe('fd81:1::1 eth0');
  });

  it('docker run --network gw-priority picks the later network; equal priorities go by network name', () => {
    ok(['run', '-d', '--name', 'gp-c2', '--network', 'name=gp-n1', '--network', 'name=gp-n2,gw-priority=10', 'busybox', 'sleep', '100000']);
    expect(route('gp-c2', '-4')).toBe('10.81.2.1 eth1');
    expect(route('gp-c2', '-6')).toBe('fd81:2::1 eth1');
    // dockerd's tie-break is the network name: gp-a sorts before gp-n1.
    ok(['run', '-d', '--name', 'gp-c3', '--network', 'name=gp-n1', 'busybox', 'sleep', '100000']);
    ok(['network', 'connect', 'gp-a', 'gp-c3']);
    expect(route('gp-c3', '-4')).toBe('10.81.3.1 eth1');
    ok(['network', 'disconnect', 'gp-a', 'gp-c3']);
    expect(route('gp-c3', '-4')).toBe('10.81.1.1 eth0');
  });

  it('applies an endpoint MacAddress on connect and on run', async () => {
    ok(['run', '-d', '--name', 'gp-m1', '--network', 'name=gp-n1,mac-address=02:42:ac:81:00:11', 'busybox', 'sleep', '100000']);
    expect(mac('gp-m1', 'eth0')).toBe('02:42:ac:81:00:11');
    const r = await d.api('POST', '/v1.47/networks/gp-n2/connect', { Container: 'gp-m1', EndpointConfig: { MacAddress: '02:42:ac:81:00:22' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(mac('gp-m1', 'eth1')).toBe('02:42:ac:81:00:22');
    const info = JSON.parse(ok(['inspect', 'gp-m1']))[0];
    expect(info.NetworkSettings.Networks['gp-n2'].MacAddress).toBe('02:42:ac:81:00:22');
  });

  it('sets endpoint sysctls and the interface name from driver options', () => {
    const opts = 'name=gp-n1,driver-opt=com.docker.network.endpoint.ifname=gpx0,'
      + 'driver-opt=com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.forwarding=1';
    ok(['run', '-d', '--name', 'gp-s1', '--network', opts, 'busybox', 'sleep', '100000']);
    expect(inNs(d, 'gp-s1', 'cat /proc/sys/net/ipv4/conf/gpx0/forwarding').out.trim()).toBe('1');
    ok(['network', 'connect', '--driver-opt', 'com.docker.network.endpoint.sysctls=net.ipv6.conf.IFNAME.accept_ra=2', 'gp-n2', 'gp-s1']);
    // The first free ethN: gpx0 holds no eth name.
    expect(inNs(d, 'gp-s1', 'cat /proc/sys/net/ipv6/conf/eth0/accept_ra').out.trim()).toBe('2');
    expect(inNs(d, 'gp-s1', 'cat /proc/sys/net/ipv4/conf/eth0/forwarding').out.trim()).toBe('0');
  });

  it('refuses sysctls that are not per-interface, in dockerd\'s words, and changes nothing', () => {
    const r = cli.run(['network', 'connect', '--driver-opt', 'com.docker.network.endpoint.sysctls=net.ipv4.ip_forward=1', 'gp-a', 'gp-s1']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("unrecognised network interface sysctl 'net.ipv4.ip_forward=1'; represent the network interface in the name as 'IFNAME'");
    expect(JSON.parse(ok(['inspect', 'gp-s1']))[0].NetworkSettings.Networks['gp-a']).toBeUndefined();
  });
});
