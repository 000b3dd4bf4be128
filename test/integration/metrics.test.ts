/**
 * /metrics on a real daemon, once per firewall backend: bytes sent through a published port
 * (from an outside namespace, DNAT in prerouting, and from the host itself, DNAT in output)
 * show in the port's kernel counters and in the network's conntrack entries; DNS counters follow queries and a failing upstream;
 * every operation's latency histogram has samples after the test did the operation;
 * `--metrics-addr` serves the same text on TCP; `weft top --once` lists the port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetricsText, type Sample } from '../../src/cli/metrics-text.js';
import { createNet, execIn, runContainer } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { kill } from '../helpers/probe.js';

const HOST = '10.254.0.1';
/** In the outside namespace, with nothing listening on 53: every forwarded query fails there. */
const DEAD_UPSTREAM = '10.254.0.2';

/** Reads everything a client sends, then answers how many bytes it got. */
const SINK = `
require('net').createServer((s) => {
  let n = 0;
  s.on('data', (d) => { n += d.length; });
  s.on('end', () => s.end('got ' + n + '\\n'));
  s.on('error', () => {});
}).listen(80, () => console.log('ready'));
`;

const SEND = `
const [host, port, size] = process.argv.slice(1);
const c = require('net').connect({ host, port: Number(port) }, () => c.end(Buffer.alloc(Number(size), 120)));
let got = '';
c.on('data', (d) => { got += d; });
c.on('close', () => { process.stdout.write(got); });
setTimeout(() => process.exit(1), 5000).unref();
`;

function send(nsPath: string, host: string, port: number, size: number): string {
  const r = spawnSync('nsenter', [`--net=${nsPath}`, process.execPath, '-e', SEND, host, String(port), String(size)], { encoding: 'utf8' });
  return r.stdout.trim();
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  find(samples, name, labels).reduce((a, s) => a + s.value, 0);

describe.each(['nftables', 'iptables'] as const)('metrics (%s backend)', (backend) => {
  let d: TestDaemon;
  let outside: LabNs;
  let sink: ChildProcess | undefined;

  async function scrape(): Promise<Sample[]> {
    const r = await d.api('GET', '/v1.50/metrics');
    expect(r.status, r.text).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetricsText(r.text);
  }

  beforeAll(async () => {
    const host = makeNs('wmhost');
    d = new TestDaemon(backend, host, ['--metrics-addr', '127.0.0.1:9323', '--dns', DEAD_UPSTREAM]);
    outside = makeNs('wmout');
    host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip link set wout up && ip addr add ${HOST}/24 dev wout`);
    outside.sh(`ip addr add ${DEAD_UPSTREAM}/24 dev eth0 && ip link set eth0 up`);
    await d.start();
    await createNet(d, { Name: 'pub', IPAM: { Config: [{ Subnet: '10.42.0.0/24' }] } });
    await runContainer(d, { name: 'web', network: 'pub', cmd: ['sleep', '100000'], ports: { '80/tcp': [{ HostPort: '8080' }] } });
    const ns = (await d.api('GET', '/v1.50/containers/web/json')).body.NetworkSettings.SandboxKey as string;
    const p = spawn('nsenter', [`--net=${ns}`, process.execPath, '-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
    sink = p;
    await new Promise<void>((r) => p.stdout!.on('data', (x) => String(x).includes('ready') && r()));
  });

  afterAll(async () => {
    kill(sink);
    await d?.destroy();
    outside?.destroy();
  });

  it("counts the bytes sent to a published port in the port's kernel counters", async () => {
    const port = { container: 'web', network: 'pub', proto: 'tcp', host_port: '8080', container_port: '80' };
    const before = await scrape();
    expect(find(before, 'weft_port_bytes_total', port)).toHaveLength(1);
    const b0 = total(before, 'weft_port_bytes_total', port);
    expect(send(outside.path, HOST, 8080, 300_000)).toBe('got 300000');
    const mid = await scrape();
    expect(total(mid, 'weft_port_bytes_total', port) - b0).toBeGreaterThanOrEqual(300_000);
    expect(total(mid, 'weft_port_packets_total', port)).toBeGreaterThan(total(before, 'weft_port_packets_total', port));
    // From the host itself: locally generated, DNATed in output, counted all the same.
    expect(send(d.host.path, HOST, 8080, 200_000)).toBe('got 200000');
    const after = await scrape();
    expect(total(after, 'weft_port_bytes_total', port) - total(mid, 'weft_port_bytes_total', port)).toBeGreaterThanOrEqual(200_000);
    expect(total(after, 'weft_published_ports')).toBe(1);
    expect(total(after, 'weft_containers_running')).toBe(1);
    expect(total(after, 'weft_endpoints', { network: 'pub' })).toBe(1);
    expect(total(after, 'weft_networks', { driver: 'bridge' })).toBe(2);
    // 10.42.0.0/24: 254 usable, the gateway and one container taken.
    expect(total(after, 'weft_ipam_addresses_in_use', { network: 'pub' })).toBe(2);
    expect(total(after, 'weft_ipam_addresses_free', { network: 'pub' })).toBe(252);
  });

  it('counts the conntrack entries of each network', async () => {
    const before = await scrape();
    expect(find(before, 'weft_conntrack_entries', { network: 'pub' })).toHaveLength(1);
    // Each connection leaves an entry (TIME_WAIT) whose reply source is the container.
    for (let i = 0; i < 3; i++) expect(send(outside.path, HOST, 8080, 10)).toBe('got 10');
    const after = await scrape();
    expect(total(after, 'weft_conntrack_entries', { network: 'pub' })).toBeGreaterThanOrEqual(3);
  });

  it('counts DNS queries, answers by rcode and failed upstream exchanges', async () => {
    const before = await scrape();
    const local = await execIn(d, 'web', ['nslookup', '-type=a', 'web']);
    expect(local.code, local.stdout + local.stderr).toBe(0);
    await execIn(d, 'web', ['nslookup', '-type=a', 'elsewhere.test']);
    const after = await scrape();
    const grew = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
    expect(grew('weft_dns_queries_total', { transport: 'udp' })).toBeGreaterThanOrEqual(2);
    expect(grew('weft_dns_answers_total', { rcode: 'NOERROR' })).toBeGreaterThanOrEqual(1);
    expect(grew('weft_dns_answers_total', { rcode: 'SERVFAIL' })).toBeGreaterThanOrEqual(1);
    expect(grew('weft_dns_upstream_failures_total')).toBeGreaterThanOrEqual(1);
    expect(grew('weft_dns_forward_duration_seconds_count', { outcome: 'failure' })).toBeGreaterThanOrEqual(1);
  });

  it('has latency samples for every operation the test performed', async () => {
    await createNet(d, { Name: 'brief', IPAM: { Config: [{ Subnet: '10.43.0.0/24' }] } });
    await runContainer(d, { name: 'gone', network: 'brief', cmd: ['sleep', '100000'], ports: { '81/tcp': [{ HostPort: '8081' }] } });
    expect((await d.api('DELETE', '/v1.50/containers/gone?force=1')).status).toBe(204);
    expect((await d.api('DELETE', '/v1.50/networks/brief')).status).toBe(204);
    const s = await scrape();
    const count = (operation: string, backendLabel: string) =>
      total(s, 'weft_operation_duration_seconds_count', { operation, backend: backendLabel, outcome: 'ok' });
    for (const op of ['network_create', 'network_delete', 'endpoint_join', 'endpoint_leave', 'port_publish', 'port_unpublish']) {
      expect(count(op, 'bridge'), op).toBeGreaterThan(0);
    }
    expect(count('store_commit', 'lmdb')).toBeGreaterThan(0);
    expect(count('firewall_transaction', backend)).toBeGreaterThan(0);
  });

  it('serves the same metrics on --metrics-addr, and weft top --once shows the port', async () => {
    const tcp = parseMetricsText(d.host.sh('curl -sf http://127.0.0.1:9323/metrics'));
    const sock = await scrape();
    // Node's active request/handle/resource series come and go with the moment of rendering (every 5 s).
    const momentary = /^weft_nodejs_active_/;
    const names = (ss: Sample[]) => [...new Set(ss.map((x) => x.name).filter((n) => !momentary.test(n)))].sort();
    expect(names(tcp)).toEqual(names(sock));
    expect(total(tcp, 'weft_port_bytes_total', { host_port: '8080' })).toBeGreaterThanOrEqual(500_000);
    expect(d.host.try('curl -sf http://127.0.0.1:9323/other').code).not.toBe(0);
    const top = d.cli(['top', '--once']);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^web\s+pub\s+0\.0\.0\.0:8080->80\/tcp\s+\d+\s+\d[\d.]*[kM]B\s+-$/m);
    expect(top.stdout).toMatch(/^pub\s+bridge\s+1\s+1\s+/m);
  });
});
