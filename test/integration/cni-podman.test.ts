/**
 * A real CNI runtime: Podman 4.3 (`--network-backend cni`) runs a container on a conflist
 * whose plugin is weft-cni, with a published port that answers, and removes it again.
 * Podman's host side is a lab namespace: it runs under `nsenter --net` (not `ip netns
 * exec`, whose fresh /sys mount hides the cgroup hierarchy runc needs); storage, run and
 * temp dirs and containers.conf are a temp dir; the root filesystem is a directory of
 * busybox (`--rootfs`), so nothing is pulled.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniBinDir, stateText } from '../helpers/cni.js';
import { type LabNs, makeNs } from '../helpers/lab.js';

const PODMAN = '/usr/bin/podman';

describe.skipIf(!fs.existsSync(PODMAN))('weft-cni under Podman', () => {
  let host: LabNs;
  let dir: string;
  let bin: string;
  let podman: (...args: string[]) => { code: number; out: string };

  beforeAll(() => {
    host = makeNs('wcpod');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wc-podman-'));
    bin = cniBinDir();
    const rootfs = path.join(dir, 'rootfs');
    for (const d of ['bin', 'www', 'etc', 'proc', 'sys', 'dev', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
    fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
    for (const c of ['sh', 'httpd', 'ip']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', c));
    fs.writeFileSync(path.join(rootfs, 'www/index.html'), 'hello from podman\n');
    const confDir = path.join(dir, 'cni-conf');
    fs.mkdirSync(confDir);
    fs.writeFileSync(path.join(confDir, 'wcnet.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'wcpodnet', plugins: [{
      type: 'weft-cni', bridge: 'wcpod0', isGateway: true, isDefaultGateway: true, ipMasq: true, hairpinMode: true,
      dataDir: path.join(dir, 'data'), ipam: { type: 'weft-ipam', subnet: '10.89.7.0/24' }, capabilities: { portMappings: true },
    }] }));
    fs.writeFileSync(path.join(dir, 'containers.conf'), [
      '[network]', 'network_backend = "cni"', `cni_plugin_dirs = ["${bin}"]`, `network_config_dir = "${confDir}"`,
      '[engine]', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"', 'runtime = "runc"', '',
    ].join('\n'));
    const base = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'runroot'), '--tmpdir', path.join(dir, 'tmp'),
      '--network-backend', 'cni', '--cni-config-dir', confDir, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
    podman = (...args) => {
      const r = spawnSync('nsenter', [`--net=${host.path}`, PODMAN, ...base, ...args], {
        env: { ...process.env, CONTAINERS_CONF: path.join(dir, 'containers.conf') }, encoding: 'utf8', timeout: 120_000,
      });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    };
  });

  afterAll(() => {
    podman?.('rm', '-f', '-t', '0', 'wcweb');
    host?.destroy();
    if (bin) fs.rmSync(bin, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a container whose published port answers, and leaves nothing after rm', () => {
    const run = podman('run', '-d', '--name', 'wcweb', '--network', 'wcpodnet', '-p', '18081:80',
      // runc cannot raise RLIMIT_NOFILE/NPROC above this machine's hard limits; podman's defaults ask for more.
      '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--rootfs', path.join(dir, 'rootfs'), '/bin/httpd', '-f', '-p', '80', '-h', '/www');
    expect(run.code, run.out).toBe(0);
    expect(podman('exec', 'wcweb', 'ip', 'addr', 'show', 'eth0').out).toContain('10.89.7.2/24');
    let body = '';
    for (let i = 0; i < 25 && !body.includes('hello'); i++) {
      body = host.try('timeout 3 busybox wget -qO- http://10.89.7.1:18081/').out;
      if (!body.includes('hello')) host.try('sleep 0.2');
    }
    expect(body).toContain('hello from podman');
    expect(host.sh('nft list map inet weft port-dnat4-any')).toContain('18081');
    const rm = podman('rm', '-f', '-t', '0', 'wcweb');
    expect(rm.code, rm.out).toBe(0);
    expect(host.sh('nft list map inet weft port-dnat4-any')).not.toContain('18081');
    expect(host.sh('ip -o link show').split('\n').filter((l) => l.includes('veth'))).toEqual([]);
    expect(stateText(path.join(dir, 'data'))).not.toContain('cni/attach/');
  });
});
