/**
 * weft-cni (weft's CNI plugin, in-process weft-ipam, nftables port maps) exec'd per
 * operation by a runner in its host namespace, exactly as the reference plugins are in
 * cni.ts: ADD with one port per container, then DEL, over N container namespaces, so the
 * trend (first vs last tenth) shows the cost at 1 and at N existing attachments.
 */
import path from 'node:path';
import { log, record } from './harness.js';
import { cleanupSync, netns, tmp } from './lab.js';
import { N } from './options.js';
import { execFloor, Runner } from './runner.js';

const MAIN = path.resolve(import.meta.dirname, '../../src/cni/main.js');

export async function benchWeftCni(): Promise<void> {
  const sys = 'weft-cni';
  log(`${sys} (weft-cni + weft-ipam, nftables port maps):`);
  const host = netns('wcni');
  const data = tmp('wcni');
  const runner = new Runner(host);
  try {
    await execFloor(runner);
    const conf = (i: number) => JSON.stringify({ cniVersion: '1.1.0', name: 'bench', type: 'weft-cni', bridge: 'wcni0', isGateway: true,
      ipMasq: true, dataDir: data, ipam: { type: 'weft-ipam', subnet: '10.102.0.0/16' },
      runtimeConfig: { portMappings: [{ hostPort: 20000 + i, containerPort: 80, protocol: 'tcp' }] } });
    log(`  creating ${N} container namespaces (not timed)`);
    const ctrs = Array.from({ length: N }, (_, i) => netns(`w${i}`));
    const env = (cmd: string, i: number) => ({ CNI_COMMAND: cmd, CNI_CONTAINERID: `bench${i}`, CNI_NETNS: `/run/netns/${ctrs[i]}`,
      CNI_IFNAME: 'eth0', CNI_PATH: path.dirname(MAIN) });
    const attach: number[] = [];
    for (let i = 0; i < N; i++) attach.push((await runner.must(process.execPath, [MAIN], env('ADD', i), conf(i))).ms);
    record(sys, 'attach', 'attach: ADD weft-cni (1 port)', attach, 'network only; the container netns exists already');
    const detach: number[] = [];
    for (let i = 0; i < N; i++) detach.push((await runner.must(process.execPath, [MAIN], env('DEL', i), conf(i))).ms);
    record(sys, 'detach', 'detach: DEL weft-cni', detach, 'network only');
  } finally {
    runner.close();
    cleanupSync();
  }
}
