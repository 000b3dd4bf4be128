/**
 * The CNI reference plugins (bridge + host-local + portmap, Debian's
 * containernetworking-plugins), exec'd per operation by a runner in their host namespace,
 * as containerd execs them; container namespaces are created before the timed region.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { log, record, skip } from './harness.js';
import { cleanupSync, netns, tmp } from './lab.js';
import { N } from './options.js';
import { execFloor, Runner } from './runner.js';

export const CNI = '/usr/lib/cni';

export async function benchCni(): Promise<void> {
  const sys = 'cni';
  log(`${sys} (bridge + host-local + portmap ${cniVersion()}):`);
  if (!fs.existsSync(`${CNI}/bridge`) || !fs.existsSync(`${CNI}/portmap`)) {
    return skip(sys, `${CNI}/bridge or portmap not installed (containernetworking-plugins)`);
  }
  const host = netns('cni');
  const data = tmp('cni');
  const runner = new Runner(host);
  try {
    await execFloor(runner);
    const bridge = { cniVersion: '1.0.0', name: 'bench', type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: true,
      ipam: { type: 'host-local', subnet: '10.101.0.0/16', dataDir: path.join(data, 'ipam') } };
    const portmap = (i: number, prev: unknown) => ({ cniVersion: '1.0.0', name: 'bench', type: 'portmap',
      capabilities: { portMappings: true }, snat: true,
      runtimeConfig: { portMappings: [{ hostPort: 20000 + i, containerPort: 80, protocol: 'tcp' }] }, prevResult: prev });
    log(`  creating ${N} container namespaces (not timed)`);
    const ctrs = Array.from({ length: N }, (_, i) => netns(`c${i}`));
    const env = (cmd: string, i: number) => ({ CNI_COMMAND: cmd, CNI_CONTAINERID: `bench${i}`, CNI_NETNS: `/run/netns/${ctrs[i]}`,
      CNI_IFNAME: 'eth0', CNI_PATH: CNI });
    const attach: number[] = [];
    const results: unknown[] = [];
    for (let i = 0; i < N; i++) {
      const b = await runner.must(`${CNI}/bridge`, [], env('ADD', i), JSON.stringify(bridge));
      const prev = JSON.parse(b.stdout);
      const p = await runner.must(`${CNI}/portmap`, [], env('ADD', i), JSON.stringify(portmap(i, prev)));
      attach.push(b.ms + p.ms);
      results.push(JSON.parse(p.stdout));
    }
    record(sys, 'attach', 'attach: ADD bridge, ADD portmap (1 port)', attach, 'network only; the container netns exists already');
    const detach: number[] = [];
    for (let i = 0; i < N; i++) {
      // DEL in reverse chain order, each with the chain's result as prevResult (CNI 1.0).
      const p = await runner.must(`${CNI}/portmap`, [], env('DEL', i), JSON.stringify(portmap(i, results[i])));
      const b = await runner.must(`${CNI}/bridge`, [], env('DEL', i), JSON.stringify({ ...bridge, prevResult: results[i] }));
      detach.push(p.ms + b.ms);
    }
    record(sys, 'detach', 'detach: DEL portmap, DEL bridge', detach, 'network only');
  } finally {
    runner.close();
    cleanupSync();
  }
}

function cniVersion(): string {
  const r = spawnSync(`${CNI}/bridge`, [], { env: { CNI_COMMAND: 'VERSION' }, input: '{"cniVersion":"1.0.0"}', encoding: 'utf8' });
  const pkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins'], { encoding: 'utf8' }).stdout;
  return r.status === 0 && pkg ? pkg : '';
}
