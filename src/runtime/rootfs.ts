/**
 * A container's root, prepared from the daemon with plain fs calls before its init runs:
 * mount points in the upper layer, the /dev it will see, and the two fstab files its
 * `mount -a` calls read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessSpec } from '../contracts/runtime.js';
import { initBinary, initPath } from './init.js';
import { inRoot } from './layers.js';

const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const DEV_LINKS: [string, string][] = [
  ['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'], ['ptmx', 'pts/ptmx'],
];

/**
 * Everything the container's mounts need, made from the daemon with plain fs calls before
 * the overlay is mounted: the upper layer gets the mount points the image may lack (a
 * regular file in the upper layer also hides an /etc/resolv.conf symlink of the image),
 * <dir>/dev becomes the container's /dev (device nodes bound over empty files), and the
 * fstab files list the mounts in order.
 */
export function prepareRoot(spec: ProcessSpec, workdir: string): void {
  const upper = path.join(spec.dir, 'upper');
  for (const d of ['work', 'merged', 'dev/pts', 'dev/shm', 'upper/etc']) fs.mkdirSync(path.join(spec.dir, d), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', workdir.slice(1)]) {
    if (!d || inRoot(spec.rootfs, d)) continue;
    fs.mkdirSync(path.join(upper, d), { recursive: true, mode: d === 'tmp' ? 0o1777 : 0o755 });
  }
  // Each file in one call that keeps what a restart already made (no existence check first).
  for (const f of ['hosts', 'resolv.conf', 'hostname']) touch(path.join(upper, 'etc', f));
  for (const d of DEVICES) touch(path.join(spec.dir, 'dev', d));
  for (const [name, target] of DEV_LINKS) {
    try {
      fs.symlinkSync(target, path.join(spec.dir, 'dev', name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const m = path.join(spec.dir, 'merged');
  const line = (src: string, target: string, type: string, opts: string) => `${esc(src)} ${esc(target)} ${type} ${opts} 0 0`;
  fs.writeFileSync(path.join(spec.dir, 'fstab'), [
    line('proc', `${m}/proc`, 'proc', 'nosuid,nodev,noexec'),
    line(path.join(spec.dir, 'dev'), `${m}/dev`, 'none', 'bind'),
    ...DEVICES.map((d) => line(`/dev/${d}`, `${m}/dev/${d}`, 'none', 'bind')),
    line(spec.etcFiles.hosts, `${m}/etc/hosts`, 'none', 'bind'),
    line(spec.etcFiles.resolvConf, `${m}/etc/resolv.conf`, 'none', 'bind'),
    line(spec.etcFiles.hostname, `${m}/etc/hostname`, 'none', 'bind'),
    ...extraMounts(spec, upper).map(([src, target, type, opts]) => line(src, `${m}${target}`, type, esc(opts))),
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(spec.dir, 'fstab.optional'), [
    line('sysfs', `${m}/sys`, 'sysfs', 'ro,nosuid,nodev,noexec'),
    line('devpts', `${m}/dev/pts`, 'devpts', 'newinstance,ptmxmode=0666,mode=0620'),
    line('shm', `${m}/dev/shm`, 'tmpfs', 'nosuid,nodev,size=65536k'),
    '',
  ].join('\n'));
}

/**
 * HostConfig.Tmpfs (dockerd's noexec,nosuid,nodev first, so the client's options win) and
 * the init binary: [source, container path, type, options], their mount points made.
 */
function extraMounts(spec: ProcessSpec, upper: string): [string, string, string, string][] {
  const mounts: [string, string, string, string][] = [];
  const mountPoint = (target: string, file: boolean) => {
    if (inRoot(spec.rootfs, target)) return;
    fs.mkdirSync(path.join(upper, file ? path.dirname(target) : target), { recursive: true });
    if (file) fs.writeFileSync(path.join(upper, target), '');
  };
  for (const [p, opts] of Object.entries(spec.tmpfs ?? {})) {
    const target = path.posix.resolve('/', p);
    mountPoint(target, false);
    mounts.push(['tmpfs', target, 'tmpfs', ['noexec', 'nosuid', 'nodev', ...(opts ? [opts] : [])].join(',')]);
  }
  if (spec.init) {
    const target = initPath(spec.rootfs);
    mountPoint(target, true);
    mounts.push([initBinary(), target, 'none', 'bind,ro']);
  }
  return mounts;
}

/** fstab fields escape whitespace and backslashes as octal. */
function esc(p: string): string {
  return p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** An empty file, or the one already there left as it is. */
function touch(p: string): void {
  fs.closeSync(fs.openSync(p, 'a'));
}
