/**
 * docker-compose (Debian's 1.29.2) driving weft: a project with two networks, aliases,
 * static addresses, a published port, extra_hosts, dns, links and a scaled service, checked
 * with real traffic between the services, and `down` leaving nothing behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../helpers/compose.js';
import { execIn } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';

const HAVE_COMPOSE = fs.existsSync('/usr/bin/docker-compose');
const PROJECT = 'nfdproj';

const COMPOSE_FILE = `version: "2.4"
services:
  db:
    image: busybox
    command: ["sh", "-c", "echo db > /tmp/who; exec httpd -f -p 80 -h /tmp"]
    ports: ["18080:80"]
    networks:
      back:
        ipv4_address: 10.231.2.10
        aliases: [database]
  web:
    image: busybox
    command: ["sh", "-c", "hostname > /tmp/who; exec httpd -f -p 80 -h /tmp"]
    networks: [front, back]
  sidecar:
    image: busybox
    command: ["sleep", "3600"]
    network_mode: "service:db"
  client:
    image: busybox
    command: ["sleep", "3600"]
    networks:
      front:
        ipv4_address: 10.231.1.50
      back: {}
    links: ["db:dbalias"]
    extra_hosts: ["outside.example:10.9.8.7", "gw.example:host-gateway"]
    dns: [10.231.9.9]
    dns_search: [example.test]
networks:
  front:
    ipam: {config: [{subnet: 10.231.1.0/24}]}
  back:
    ipam: {config: [{subnet: 10.231.2.0/24}]}
`;

describe.skipIf(!HAVE_COMPOSE)('docker-compose networking against weft', () => {
  let d: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfd-compose-'));
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), COMPOSE_FILE);
  });

  afterAll(async () => {
    if (d && dir) await compose(d, dir, ['down', '-t', '1'], { project: PROJECT, timeoutMs: 60_000 }).catch(() => undefined);
    await d?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const r = await compose(d, dir, args, { project: PROJECT });
    expect(r.code, `${r.stdout}\n${r.stderr}\n${d.log}`).toBe(0);
    return r;
  };
  const inClient = (cmd: string) => execIn(d, `${PROJECT}_client_1`, ['sh', '-c', cmd]);

  it('brings the project up with a scaled service', async () => {
    await run(['up', '-d', '--scale', 'web=3']);
    const ps = await d.api('GET', '/v1.41/containers/json');
    expect(ps.body.map((c: any) => c.Names[0]).sort()).toEqual(
      ['/nfdproj_client_1', '/nfdproj_db_1', '/nfdproj_sidecar_1', '/nfdproj_web_1', '/nfdproj_web_2', '/nfdproj_web_3']);
  }, 180_000);

  it('static addresses, aliases and the published port carry traffic', async () => {
    const db = (await d.api('GET', `/v1.41/containers/${PROJECT}_db_1/json`)).body;
    expect(db.NetworkSettings.Networks.nfdproj_back.IPAddress).toBe('10.231.2.10');
    const client = (await d.api('GET', `/v1.41/containers/${PROJECT}_client_1/json`)).body;
    expect(client.NetworkSettings.Networks.nfdproj_front.IPAddress).toBe('10.231.1.50');
    for (const name of ['db', 'database', `${PROJECT}_db_1`, '10.231.2.10']) {
      const r = await inClient(`timeout 5 wget -qO- http://${name}/who`);
      expect(r.stdout, `${name}: ${r.stderr}`).toBe('db\n');
    }
    expect(d.host.sh('timeout 5 wget -qO- http://127.0.0.1:18080/who')).toBe('db\n');
    // network_mode service:db: the sidecar is in db's namespace, so db's server is on its loopback.
    expect((await execIn(d, `${PROJECT}_sidecar_1`, ['sh', '-c', 'timeout 5 wget -qO- http://127.0.0.1/who'])).stdout).toBe('db\n');
  }, 60_000);

  it('links resolve for the linking container only', async () => {
    expect((await inClient('timeout 5 wget -qO- http://dbalias/who')).stdout).toBe('db\n');
    const other = await execIn(d, `${PROJECT}_web_1`, ['sh', '-c', 'nslookup dbalias 127.0.0.11']);
    expect(other.stdout + other.stderr).not.toContain('10.231.2.10');
  }, 30_000);

  it('extra_hosts and dns land in the client\'s files', async () => {
    const hosts = (await inClient('cat /etc/hosts')).stdout;
    expect(hosts).toMatch(/^10\.9\.8\.7\toutside\.example$/m);
    const gateway = (await d.api('GET', '/v1.41/networks/bridge')).body.IPAM.Config[0].Gateway;
    expect(hosts).toContain(`\n${gateway}\tgw.example\n`);
    const resolv = (await inClient('cat /etc/resolv.conf')).stdout;
    expect(resolv).toMatch(/^nameserver 127\.0\.0\.11$/m);
    expect(resolv).not.toContain('10.231.9.9');
    expect(resolv).toMatch(/^search example\.test$/m);
  }, 30_000);

  it('the scaled service resolves to every replica, in varying order, and each one answers', async () => {
    const orders = new Set<string>();
    let ips: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await inClient('nslookup -type=a web 127.0.0.11');
      ips = [...r.stdout.matchAll(/Name:\s+web\S*\s+Address:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]);
      orders.add(ips.join(','));
    }
    expect(new Set(ips).size).toBe(3);
    expect(orders.size).toBeGreaterThan(1);
    const hostnames = new Set<string>();
    for (const ip of ips) hostnames.add((await inClient(`timeout 5 wget -qO- http://${ip}/who`)).stdout.trim());
    expect(hostnames.size).toBe(3);
  }, 60_000);

  it('down leaves no network, veth or rule behind', async () => {
    await run(['down', '-t', '1']);
    const nets = (await d.api('GET', '/v1.41/networks')).body.map((n: any) => n.Name);
    expect(nets.filter((n: string) => n.startsWith(PROJECT))).toEqual([]);
    expect((await d.api('GET', '/v1.41/containers/json?all=1')).body).toEqual([]);
    expect(d.host.sh('ip -o link show type veth')).toBe('');
    const rules = d.host.sh('nft list ruleset');
    expect(rules).not.toContain('10.231.');
    expect(rules).not.toContain('18080');
  }, 120_000);
});
