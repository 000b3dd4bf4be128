/**
 * netavark (podman's network backend), exec'd per operation by a runner in its host
 * namespace, as podman execs it, with static IPs (podman does the IPAM); container
 * namespaces are created before the timed region.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { log, record, skip } from './harness.js';
import { cleanupSync, netns, tmp } from './lab.js';
import { N } from './options.js';
import { execFloor, Runner } from './runner.js';

export const NETAVARK = '/usr/lib/podman/netavark';

/** netavark's input for container i: one bridge network, a static IP, one published TCP port. */
function containerOptions(i: number): string {
  return JSON.stringify({
    container_id: crypto.createHash('sha256').update(`c${i}`).digest('hex'), container_name: `c${i}`,
    networks: { bench: { interface_name: 'eth0', static_ips: [`10.102.${(i + 2) >> 8}.${(i + 2) & 255}`] } },
    network_info: { bench: { name: 'bench', id: '1'.repeat(64), driver: 'bridge', network_interface: 'podman1',
      subnets: [{ subnet: '10.102.0.0/16', gateway: '10.102.0.1' }],
      ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' } } },
    port_mappings: [{ host_ip: '', container_port: 80, host_port: 20000 + i, range: 1, protocol: 'tcp' }],
  });
}

export async function benchNetavark(): Promise<void> {
  const sys = 'netavark';
  const version = fs.existsSync(NETAVARK) ? spawnSync(NETAVARK, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  log(`${sys} (${version}):`);
  if (!version) return skip(sys, `${NETAVARK} not installed (netavark)`);
  const host = netns('nv');
  const config = tmp('nv');
  const runner = new Runner(host);
  try {
    await execFloor(runner);
    log(`  creating ${N} container namespaces (not timed)`);
    const ctrs = Array.from({ length: N }, (_, i) => netns(`v${i}`));
    const run = (cmd: string, i: number) => runner.must(NETAVARK, ['--config', config, cmd, `/run/netns/${ctrs[i]}`], {},
      containerOptions(i));
    const attach: number[] = [];
    for (let i = 0; i < N; i++) attach.push((await run('setup', i)).ms);
    record(sys, 'attach', 'attach: setup (static IP, 1 port)', attach, 'network only; the container netns exists already');
    const detach: number[] = [];
    for (let i = 0; i < N; i++) detach.push((await run('teardown', i)).ms);
    record(sys, 'detach', 'detach: teardown', detach, 'network only');
  } finally {
    runner.close();
    cleanupSync();
  }
}
