/**
 * dockerd's daemon flags for the default bridge and address pools, and the port and NAT
 * options of Docker 29, through the docker CLI against a real kernel, once per firewall
 * backend: --bip / --fixed-cidr / --mtu read back from the kernel and used by a container,
 * --ip as the default host address of -p, --default-address-pool for auto-picked subnets,
 * --bip changed across a restart, bad flags refused; com.docker.network.host_ipv4 as the
 * source address a neighbour sees; -P on host_binding_ipv4; container port 0 refused, host
 * port 0 random, kernel-reserved ports skipped.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, inNs } from '../helpers/containers.js';
import { CLI, TestDaemon } from '../helpers/daemon.js';
import { DockerCli } from '../helpers/docker-cli.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { startSourceEcho } from '../helpers/neighbour.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const HOST = '10.254.7.1';
const SNAT_SRC = '10.254.7.5';
const NEIGHBOUR = '10.254.7.2';
const FLAGS = ['--bip', '10.123.5.1/24', '--fixed-cidr', '10.123.5.128/25', '--mtu', '1400', '--ip', '127.0.0.1',
  '--default-address-pool', 'base=10.124.0.0/16,size=26'];

describe.each(['nftables', 'iptables'] as const)('daemon options (%s backend)', (backend) => {
  let d: TestDaemon;
  let cli: DockerCli;
  let neighbour: LabNs;
  const servers: ChildProcess[] = [];
  const docker = (args: string[]) => {
    const r = cli.run(args);
    expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  const sandbox = async (name: string) => (await d.api('GET', `/v1.50/containers/${name}/json`)).body.NetworkSettings.SandboxKey as string;

  beforeAll(async () => {
    d = new TestDaemon(backend, makeNs('wfdo'), [...FLAGS]);
    neighbour = makeNs('wfdonb');
    d.host.sh(`ip link add wfdonb type veth peer name eth0 netns ${neighbour.name} && ip link set wfdonb up
      ip addr add ${HOST}/24 dev wfdonb && ip addr add ${SNAT_SRC}/24 dev wfdonb`);
    neighbour.sh(`ip addr add ${NEIGHBOUR}/24 dev eth0 && ip link set eth0 up`);
    await d.start();
    cli = new DockerCli(d);
    servers.push(await startSourceEcho(neighbour.path));
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    for (const s of servers) kill(s);
    cli?.cleanup();
    await d?.destroy();
    neighbour?.destroy();
  });

  it('--bip, --fixed-cidr and --mtu shape the default bridge, in the kernel and in a container', async () => {
    const ipam = JSON.parse(docker(['network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}']));
    expect(ipam).toEqual([{ Subnet: '10.123.5.0/24', Gateway: '10.123.5.1', IPRange: '10.123.5.128/25' }]);
    expect(d.host.sh('ip -o -4 addr show weft0')).toContain('inet 10.123.5.1/24');
    expect(d.host.sh('ip -o link show weft0')).toContain('mtu 1400');
    docker(['run', '-d', '--name', 'wfdo-c1', '-p', '8080:80', 'busybox', 'sleep', '100000']);
    const ip = await containerIp(d, 'wfdo-c1', 'bridge');
    expect(Number(ip.split('.')[3])).toBeGreaterThanOrEqual(128);
    expect(inNs(d, 'wfdo-c1', 'ip -o link show eth0').out).toContain('mtu 1400');
    expect(d.host.sh('ip -o link show master weft0')).toMatch(/^\d+: veth\S+ .*mtu 1400 /);
    // Traffic at the MTU: a 1372-byte ping (1400 with headers) unfragmented reaches the gateway, 1373 does not leave.
    expect(inNs(d, 'wfdo-c1', 'ping -c1 -W2 -M do -s 1372 10.123.5.1').code).toBe(0);
    expect(inNs(d, 'wfdo-c1', 'ping -c1 -W2 -M do -s 1373 10.123.5.1').code).not.toBe(0);
  });

  it('--ip is the host address of -p without one on the default bridge', async () => {
    expect(docker(['port', 'wfdo-c1', '80'])).toBe('127.0.0.1:8080');
    servers.push(await startServer(await sandbox('wfdo-c1'), 'c1', ['tcp:80']));
    expect(probe(d.host.path, 'tcp', '127.0.0.1', 8080)).toBe('tcp:80:c1');
    expect(probe(neighbour.path, 'tcp', HOST, 8080, { timeoutMs: 1000 })).toBe('');
  });

  it('--default-address-pool gives auto-picked subnets; containers on them have traffic', async () => {
    docker(['network', 'create', 'wfdo-p1']);
    docker(['network', 'create', 'wfdo-p2']);
    expect(docker(['network', 'inspect', 'wfdo-p1', '--format', '{{(index .IPAM.Config 0).Subnet}}'])).toBe('10.124.0.0/26');
    expect(docker(['network', 'inspect', 'wfdo-p2', '--format', '{{(index .IPAM.Config 0).Subnet}}'])).toBe('10.124.0.64/26');
    docker(['run', '-d', '--name', 'wfdo-p', '--network', 'wfdo-p1', 'busybox', 'sleep', '100000']);
    expect(await containerIp(d, 'wfdo-p', 'wfdo-p1')).toMatch(/^10\.124\.0\./);
    expect(probe(await sandbox('wfdo-p'), 'tcp', NEIGHBOUR, 7000)).toBe(HOST);
  });

  it('com.docker.network.host_ipv4: outgoing traffic leaves with that source address', async () => {
    docker(['network', 'create', '--subnet', '10.125.0.0/24', '-o', `com.docker.network.host_ipv4=${SNAT_SRC}`, 'wfdo-snat']);
    docker(['run', '-d', '--name', 'wfdo-s', '--network', 'wfdo-snat', 'busybox', 'sleep', '100000']);
    expect(probe(await sandbox('wfdo-s'), 'tcp', NEIGHBOUR, 7000)).toBe(SNAT_SRC);
    const rules = backend === 'nftables' ? d.host.sh('nft list table inet weft') : d.host.sh('iptables-save -t nat');
    expect(rules).toContain(backend === 'nftables' ? `snat ip to ${SNAT_SRC}` : `-j SNAT --to-source ${SNAT_SRC}`);
    const bad = cli.run(['network', 'create', '-o', 'com.docker.network.host_ipv4=fd00::1', 'wfdo-bad']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('failed to parse com.docker.network.host_ipv4 value: fd00::1 (must be a valid IPv4 address)');
  });

  it('-P publishes on the network\'s host_binding_ipv4', async () => {
    docker(['network', 'create', '-o', 'com.docker.network.bridge.host_binding_ipv4=127.0.0.1', 'wfdo-hb']);
    docker(['run', '-d', '--name', 'wfdo-hb', '--network', 'wfdo-hb', '--expose', '80', '-P', 'busybox', 'sleep', '100000']);
    const port = docker(['port', 'wfdo-hb', '80']);
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    servers.push(await startServer(await sandbox('wfdo-hb'), 'hb', ['tcp:80']));
    expect(probe(d.host.path, 'tcp', '127.0.0.1', Number(port.split(':')[1]))).toBe('tcp:80:hb');
  });

  it('host port 0 is random, past the kernel\'s reserved ports; container port 0 is refused', async () => {
    const first = Number(d.host.sh('cat /proc/sys/net/ipv4/ip_local_port_range').trim().split(/\s+/)[0]);
    d.host.sh(`echo ${first}-${first + 247} > /proc/sys/net/ipv4/ip_local_reserved_ports`);
    docker(['run', '-d', '--name', 'wfdo-r', '-p', '0:80', '-p', '127.0.0.2::81', 'busybox', 'sleep', '100000']);
    for (const p of [80, 81]) expect(Number(docker(['port', 'wfdo-r', String(p)]).split(':').pop())).toBeGreaterThan(first + 247);
    const r = await d.api('POST', '/v1.52/containers/create', { Image: 'busybox', HostConfig: { PortBindings: { '0/tcp': [{ HostPort: '8090' }] } } });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('invalid port specification: "0/tcp"');
  });

  it('a changed --bip takes effect on restart once the default bridge is unused, as dockerd re-creates it', async () => {
    docker(['rm', '-f', 'wfdo-c1']);
    await d.stop();
    d.extraArgs.splice(0, 4, '--bip', '10.126.0.1/16');
    await d.start();
    expect(docker(['network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}'])).toBe('[{"Subnet":"10.126.0.0/16","Gateway":"10.126.0.1"}]');
    const addrs = d.host.sh('ip -o -4 addr show weft0');
    expect(addrs).toContain('inet 10.126.0.1/16');
    expect(addrs).not.toContain('10.123.5.1');
    docker(['run', '-d', '--name', 'wfdo-c2', 'busybox', 'sleep', '100000']);
    expect(await containerIp(d, 'wfdo-c2', 'bridge')).toMatch(/^10\.126\./);
    expect(probe(await sandbox('wfdo-c2'), 'tcp', NEIGHBOUR, 7000)).toBe(HOST);
  });

  it('without --bip after a restart, the default bridge takes a subnet of --default-address-pool', async () => {
    docker(['rm', '-f', 'wfdo-c2']);
    await d.stop();
    d.extraArgs.splice(0, 2);
    await d.start();
    const subnet = docker(['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Subnet}}']);
    expect(subnet).toMatch(/^10\.124\.0\.\d+\/26$/);
    expect(d.host.sh('ip -o -4 addr show weft0')).not.toContain('10.126.0.1');
  });

  it('a changed flag leaves the default bridge as it is while a container (adopted after a crash) uses it', async () => {
    docker(['run', '-d', '--name', 'wfdo-c3', 'busybox', 'sleep', '100000']);
    await d.crash();
    d.extraArgs.splice(d.extraArgs.indexOf('--mtu'), 2, '--mtu', '1450');
    await d.start();
    expect(d.host.sh('ip -o link show weft0')).toContain('mtu 1400');
    expect(d.log).toContain('has endpoints: kept as it is');
    expect(probe(await sandbox('wfdo-c3'), 'tcp', NEIGHBOUR, 7000)).toBe(HOST);
  });

  it('bad flags: a clear message, exit status 1, no daemon', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'wfdo-'));
    const cases: [string[], string][] = [
      [['--bip', '10.1.2.3'], 'invalid argument "10.1.2.3" for "--bip" flag'],
      [['--default-address-pool', 'base=10.0.0.0/8,size=4'], 'invalid pools size: 4'],
      [['--default-address-pool', '10.0.0.0/8'], "invalid field '10.0.0.0/8' must be a key=value pair"],
      [['--mtu', 'big'], '--mtu'],
      [['--bip', '10.1.0.1/24', '--fixed-cidr', '10.2.0.0/24'], 'not inside'],
    ];
    for (const [args, msg] of cases) {
      const r = spawnSync('nsenter', [`--net=${d.host.path}`, process.execPath, CLI, 'daemon', '--root', path.join(base, 'root'),
        '--run-dir', path.join(base, 'run'), ...args], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(msg);
      expect(fs.existsSync(path.join(base, 'run', 'weft.sock'))).toBe(false);
    }
    fs.rmSync(base, { recursive: true, force: true });
  });
});
