/**
 * Named network namespaces as files: a namespace is created by unsharing the calling
 * thread, bind-mounting its /proc/thread-self/ns/net onto a file (like `ip netns add`,
 * but under weft's run dir), and switching the thread back. Entering one is the same
 * setns dance around a synchronous callback.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bindMount, CLONE_NEWNET, setns, umount, unshare } from './libc.js';

const SELF = '/proc/thread-self/ns/net';

/**
 * Switch the thread back to the namespace `home` (an fd of it). Failing here would leave the
 * daemon's only thread acting inside a container, so the process stops at once instead: the
 * store and reconcile make a restart safe, while carrying on would not be.
 */
export function returnHome(home: number): void {
  try {
    setns(home, CLONE_NEWNET);
  } catch (err) {
    fs.writeSync(2, `weft: fatal: cannot return to the daemon's network namespace: ${(err as Error).message}\n`);
    process.abort();
  }
}

/** Run fn with the calling thread inside the namespace at nsPath; fn must be synchronous. */
export function inNetns<T>(nsPath: string | undefined, fn: () => T): T {
  if (!nsPath) return fn();
  const home = fs.openSync(SELF, 'r');
  const target = fs.openSync(nsPath, 'r');
  try {
    setns(target, CLONE_NEWNET);
    try {
      return fn();
    } finally {
      returnHome(home);
    }
  } finally {
    fs.closeSync(target);
    fs.closeSync(home);
  }
}

/** Which namespace nsPath names right now (device:inode of the nsfs file); 'self' without one. */
export function netnsIdentity(nsPath: string | undefined): string {
  if (!nsPath) return 'self';
  const st = fs.statSync(nsPath);
  return `${st.dev}:${st.ino}`;
}

/** Create a fresh network namespace pinned at nsPath. Fails if nsPath is already one. */
export function createNetns(nsPath: string): void {
  fs.mkdirSync(path.dirname(nsPath), { recursive: true });
  if (isNetnsMount(nsPath)) throw new Error(`network namespace ${nsPath} already exists`);
  fs.writeFileSync(nsPath, '', { mode: 0o444 });
  const home = fs.openSync(SELF, 'r');
  try {
    unshare(CLONE_NEWNET);
    try {
      bindMount(SELF, nsPath);
    } finally {
      returnHome(home);
    }
  } catch (err) {
    fs.rmSync(nsPath, { force: true });
    throw err;
  } finally {
    fs.closeSync(home);
  }
}

/**
 * Pin an existing namespace (e.g. /proc/<pid>/ns/net of a still-running container after
 * the daemon lost its mounts) at nsPath.
 */
export function pinNetns(source: string, nsPath: string): void {
  fs.mkdirSync(path.dirname(nsPath), { recursive: true });
  if (!fs.existsSync(nsPath)) fs.writeFileSync(nsPath, '', { mode: 0o444 });
  bindMount(source, nsPath);
}

/** Unpin and remove; the namespace itself dies when its last user goes. Idempotent. */
export function deleteNetns(nsPath: string): void {
  while (umount(nsPath) === 0) { /* stacked mounts from repeated pins */ }
  fs.rmSync(nsPath, { force: true });
}

/**
 * Whether nsPath is currently a bind mount of a namespace: nsfs files all report the one
 * nsfs device, which a plain file, or a mount of anything else at that path, does not.
 */
export function isNetnsMount(nsPath: string): boolean {
  try {
    return fs.statSync(nsPath).dev === fs.statSync(SELF).dev;
  } catch {
    return false;
  }
}
