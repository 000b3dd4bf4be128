/**
 * The weft encrypted overlay of the overlay section: a second overlay network created with
 * Docker's `encrypted` option and a container on each host. A daemon that refuses the option
 * gives no figure; one that accepts it must also show it encrypts — a ping carrying a marker
 * between the two containers is captured on host A's underlay interface, and a marker seen in
 * clear there means the option was not honoured (no figure either: never a plaintext number
 * under the encrypted label).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestCluster } from '../../test/helpers/cluster.js';
import { waitFor } from '../../test/helpers/daemon.js';
import { sleep } from './harness.js';
import { exited, mtuOf, type OverlayLab, pairOn, routeDev, V } from './overlay-lab.js';

const NET = 'benchovenc';
const SUBNET = '10.91.0.0/16';
const IP_A = '10.91.0.2';
export const ENC_IP_B = '10.91.0.3';
const MARKER = 'wfopmarker';
export const NOT_SUPPORTED = 'not supported by this daemon';

export type Encrypted = { keyA: string; keyB: string; mtu: number; note: string } | { unsupported: string };

export async function encryptedUp(lab: OverlayLab, cluster: TestCluster, log: (s: string) => void): Promise<Encrypted> {
  const A = cluster.hosts[0];
  const res = await A.api('POST', `${V}/networks/create`, {
    Name: NET, Driver: 'overlay', Options: { encrypted: '' }, IPAM: { Config: [{ Subnet: SUBNET }] },
  });
  if (res.status !== 201) {
    const why = `${NOT_SUPPORTED} (network create: ${res.status} ${res.text.trim().slice(0, 200)})`;
    log(`  encrypted overlay: ${why}`);
    return { unsupported: why };
  }
  const { keyA, keyB } = await pairOn(lab, cluster, NET, ['encA', 'encB'], [IP_A, ENC_IP_B]);
  if (await markerInClear(lab, A.host.path, keyA)) {
    const why = `${NOT_SUPPORTED} (the network was created, but a ping's payload crossed the underlay in clear)`;
    log(`  encrypted overlay: ${why}`);
    return { unsupported: why };
  }
  const mtu = mtuOf(keyA, routeDev(keyA, ENC_IP_B));
  log(`  encrypted overlay ${NET} (${SUBNET}): MTU ${mtu}, no plaintext payload on the underlay`);
  return { keyA, keyB, mtu, note: `${IP_A} -> ${ENC_IP_B} over weft's encrypted overlay, MTU ${mtu}; underlay capture: no plaintext` };
}

/** Whether a ping from the container (namespace keyA) to B shows its payload marker on host A's eth0. */
async function markerInClear(lab: OverlayLab, hostNs: string, keyA: string): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfop-cap-'));
  try {
    const file = path.join(dir, 'underlay.pcap');
    const cap = lab.spawn([`--net=${hostNs}`, 'tcpdump', '-i', 'eth0', '-U', '--immediate-mode', '-n', '-Z', 'root', '-w', file]);
    let err = '';
    cap.stderr!.on('data', (d) => (err += d));
    await waitFor(() => {
      if (cap.exitCode !== null) throw new Error(`tcpdump exited: ${err}`);
      return err.includes('listening on');
    }, 'tcpdump', 10_000);
    const hex = Buffer.from(MARKER).toString('hex');
    spawnSync('nsenter', [`--net=${keyA}`, 'ping', '-c3', '-i0.2', '-W1', '-p', hex, ENC_IP_B]);
    await sleep(300);
    cap.kill('SIGTERM');
    await exited(cap, 5000);
    const pcap = fs.readFileSync(file);
    // 24 bytes of file header, then a 16-byte header per packet: nothing captured proves nothing.
    if (pcap.length < 24 + 16 * 6) throw new Error(`the underlay capture on host A saw no traffic (${pcap.length} bytes): ${err}`);
    return pcap.includes(Buffer.from(MARKER));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
