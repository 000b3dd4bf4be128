/**
 * Docker itself (dockerd from Debian's docker.io) in a lab host namespace and its own mount
 * namespace, with its own containerd, state and exec roots in a temp dir; driven through its
 * Engine API socket (API v1.41) like weft.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureBusyboxRootfs } from '../../src/runtime/image.js';
import { SocketClient } from '../../test/helpers/api.js';
import { engineFigures, waitSocket } from './engine.js';
import { log, rssMb, skip } from './harness.js';
import { alive, children, cleanupSync, hostPair, leftovers, teardowns, tmp, waitGone } from './lab.js';
import { N } from './options.js';

const DOCKERD = '/usr/sbin/dockerd';

export async function benchDocker(): Promise<void> {
  const sys = 'docker';
  const version = fs.existsSync(DOCKERD) ? spawnSync(DOCKERD, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  log(`${sys} (${version}):`);
  if (!version) return skip(sys, `${DOCKERD} not installed (docker.io)`);
  const { host, outside } = hostPair('dk');
  const base = tmp('docker');
  const socket = path.join(base, 'docker.sock');
  const pidfile = path.join(base, 'docker.pid');
  const logFd = fs.openSync(path.join(base, 'dockerd.log'), 'a');
  // Its own mount namespace too, so its mounts never show in the machine's mount table;
  // its own containerd (no --containerd), state and exec roots in the temp dir.
  const dockerd = spawn('nsenter', [`--net=/run/netns/${host}`, 'unshare', '--mount', '--propagation', 'private', DOCKERD,
    '--data-root', path.join(base, 'data'), '--exec-root', path.join(base, 'exec'), '--pidfile', pidfile,
    '-H', `unix://${socket}`, '--storage-driver', 'vfs', '--config-file', path.join(base, 'daemon.json')],
    { stdio: ['ignore', logFd, logFd] });
  fs.writeFileSync(path.join(base, 'daemon.json'), '{}');
  fs.closeSync(logFd);
  children.add(dockerd);
  const dockerdPid = () => (fs.existsSync(pidfile) ? Number(fs.readFileSync(pidfile, 'utf8')) : 0);
  const stop = async () => {
    const pid = dockerdPid();
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone(pid, 20_000))) process.kill(pid, 'SIGKILL');
    }
  };
  teardowns.add(stop);
  try {
    const api = new SocketClient(socket, '/v1.41');
    try {
      await waitSocket(api, 'dockerd', dockerd, 60);
    } catch (err) {
      const tail = fs.readFileSync(path.join(base, 'dockerd.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
      return skip(sys, `${(err as Error).message}: ${tail}`);
    }
    await importBusybox(api, base);
    const env = { PATH: process.env.PATH, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: base };
    const cli = (args: string[]) => (fs.existsSync('/usr/bin/docker')
      ? spawnSync('/usr/bin/docker', args, { encoding: 'utf8', env })
      : { status: 1, stderr: 'no docker CLI' });
    const rss = () => {
      const containerd = leftovers().filter((p) => {
        try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('containerd\0'); } catch { return false; }
      });
      const extra = containerd.reduce((s, p) => s + rssMb(p), 0);
      const note = `dockerd only; its containerd adds ${extra.toFixed(1)} MB, not counting the ${N} containerd-shims`;
      return { mb: rssMb(dockerdPid()), note };
    };
    await engineFigures({ sys, api, outside, cli, rss, attachNote: 'includes containerd/runc creating the container and its netns' });
  } finally {
    await stop();
    teardowns.delete(stop);
    cleanupSync();
  }
}

/** The busybox image weft runs, imported into dockerd as busybox:latest. */
async function importBusybox(api: SocketClient, base: string): Promise<void> {
  const rootfs = ensureBusyboxRootfs(path.join(base, 'busybox'));
  const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 << 20 });
  await api.mustRequest('POST', '/images/create?fromSrc=-&repo=busybox&tag=latest', 'docker import busybox',
    { rawBody: tar, headers: { 'Content-Type': 'application/x-tar' } });
}
