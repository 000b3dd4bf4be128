/**
 * The CNI reference plugins (bridge + host-local + portmap, Debian's
 * containernetworking-plugins), exec'd per operation by a runner in their host namespace,
 * as containerd execs them; container namespaces are created before the timed region.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cniFigures, containerNamespaces } from './cni-cycle.js';
import { log, skip } from './harness.js';
import { cleanupSync, netns, tmp } from './lab.js';
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
    const ctrs = containerNamespaces('c');
    const env = (cmd: string, i: number) => ({ CNI_COMMAND: cmd, CNI_CONTAINERID: `bench${i}`, CNI_NETNS: `/run/netns/${ctrs[i]}`,
      CNI_IFNAME: 'eth0', CNI_PATH: CNI });
    const results = new Map<number, unknown>();
    await cniFigures(sys, {
      async add(i) {
        const b = await runner.must(`${CNI}/bridge`, [], env('ADD', i), JSON.stringify(bridge));
        const p = await runner.must(`${CNI}/portmap`, [], env('ADD', i), JSON.stringify(portmap(i, JSON.parse(b.stdout))));
        results.set(i, JSON.parse(p.stdout));
        return b.ms + p.ms;
      },
      async del(i) {
        // DEL in reverse chain order, each with the chain's result as prevResult (CNI 1.0).
        const p = await runner.must(`${CNI}/portmap`, [], env('DEL', i), JSON.stringify(portmap(i, results.get(i))));
        const b = await runner.must(`${CNI}/bridge`, [], env('DEL', i), JSON.stringify({ ...bridge, prevResult: results.get(i) }));
        return p.ms + b.ms;
      },
    }, { attach: 'attach: ADD bridge, ADD portmap (1 port)', detach: 'detach: DEL portmap, DEL bridge' });
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
