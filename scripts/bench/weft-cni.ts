/**
 * weft-cni (weft's CNI plugin, in-process weft-ipam, nftables port maps), called per
 * operation by a runner in its host namespace exactly as the reference plugins are in
 * cni.ts, with the same sequence (cni-cycle.ts). 'exec': the Node plugin exec'd per call.
 * 'daemon': the launcher (dist/bin/weft-cni) exec'd per call, handing each call to a weft
 * daemon running in the same host namespace; a copy of the launcher away from the Node
 * plugin is used, so a call the daemon did not answer fails instead of silently falling back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cniFigures, containerNamespaces } from './cni-cycle.js';
import { log } from './harness.js';
import { cleanupSync, netns, tmp } from './lab.js';
import { execFloor, Runner } from './runner.js';
import { type BenchDaemon, startWeftDaemon } from './weft-daemon.js';

const MAIN = path.resolve(import.meta.dirname, '../../src/cni/main.js');
const LAUNCHER = path.resolve(import.meta.dirname, '../../bin/weft-cni');

export async function benchWeftCni(mode: 'exec' | 'daemon'): Promise<void> {
  const sys = mode === 'exec' ? 'weft-cni' : 'weft-cni-daemon';
  log(mode === 'exec' ? `${sys} (weft-cni + weft-ipam, nftables port maps, a Node process per call):`
    : `${sys} (the weft-cni launcher, each call served by a running weft daemon):`);
  const host = netns(mode === 'exec' ? 'wcni' : 'wcnd');
  const data = tmp('wcni');
  const runner = new Runner(host);
  let daemon: BenchDaemon | undefined;
  try {
    await execFloor(runner);
    let bin = process.execPath;
    let args = [MAIN];
    if (mode === 'daemon') {
      daemon = await startWeftDaemon(host, tmp('wcnd'), 'nftables');
      bin = path.join(data, 'weft-cni');
      fs.copyFileSync(LAUNCHER, bin);
      args = [];
    }
    const conf = (i: number) => JSON.stringify({ cniVersion: '1.1.0', name: 'bench', type: 'weft-cni', bridge: 'wcni0', isGateway: true,
      ipMasq: true, dataDir: data, ipam: { type: 'weft-ipam', subnet: '10.102.0.0/16' }, ...(daemon ? { weftDaemon: daemon.socket } : {}),
      runtimeConfig: { portMappings: [{ hostPort: 20000 + i, containerPort: 80, protocol: 'tcp' }] } });
    const ctrs = containerNamespaces(mode === 'exec' ? 'w' : 'd');
    const env = (cmd: string, i: number) => ({ CNI_COMMAND: cmd, CNI_CONTAINERID: `bench${i}`, CNI_NETNS: `/run/netns/${ctrs[i]}`,
      CNI_IFNAME: 'eth0', CNI_PATH: path.dirname(MAIN) });
    const call = async (cmd: string, i: number) => (await runner.must(bin, args, env(cmd, i), conf(i))).ms;
    await cniFigures(sys, { add: (i) => call('ADD', i), del: (i) => call('DEL', i) },
      { attach: `attach: ADD ${sys} (1 port)`, detach: `detach: DEL ${sys}` });
  } finally {
    runner.close();
    await daemon?.stop();
    cleanupSync();
  }
}
