/**
 * HostConfig.Init: a static tini bind-mounted into the container as dockerd mounts
 * docker-init, run as pid 1 with the command as its child (it reaps and forwards signals).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessSpec } from '../contracts/runtime.js';
import { inRoot } from './layers.js';

/** Static builds only: the container's root has none of the host's libraries. */
const CANDIDATES = ['/usr/libexec/docker/docker-init', '/usr/bin/tini-static'];

export function initBinary(): string {
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw new Error('no init binary for --init: install tini (tini-static) on the host');
  return found;
}

/** Where the init appears in the container: dockerd's /sbin/docker-init, through an image's /sbin symlink. */
export function initPath(rootfs: string): string {
  let sbin = '/sbin';
  try {
    sbin = path.posix.resolve('/', fs.readlinkSync(inRoot(rootfs, 'sbin') ?? ''));
  } catch {
    // a directory, or none: /sbin itself
  }
  return path.posix.join(sbin, 'docker-init');
}

/** What runs the command under the init; nothing without Init. */
export function initPrefix(spec: ProcessSpec): string[] {
  // Outside a pid namespace of its own tini is not pid 1: it reaps as a subreaper instead.
  return spec.init ? [initPath(spec.rootfs), ...(spec.hostPid ? ['-s'] : []), '--'] : [];
}
