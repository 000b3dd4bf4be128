/**
 * Container processes an earlier daemon left without an owner: a crash between the start of
 * the process and the "running" record, or in the middle of a removal. Their pids come from
 * the container's directory (init.pid, pid, state.json); a pid counts only while its process
 * is provably that container's — its root is the container's merged root (after the chroot),
 * or its command line names the container's directory (the shim, init before the chroot) —
 * so a pid reused by another process is never touched.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Pids recorded in the container's directory whose processes are still that container's. */
export function strayPids(dir: string): number[] {
  const pids = new Set<number>();
  for (const f of ['init.pid', 'pid']) {
    const n = readPid(path.join(dir, f));
    if (n) pids.add(n);
  }
  try {
    const st = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { pid?: number };
    if (Number.isInteger(st.pid) && st.pid! > 1) pids.add(st.pid!);
  } catch {
    // no state yet: the crash came before the runtime recorded it
  }
  return [...pids].filter((pid) => belongsTo(pid, dir));
}

/** SIGKILL each (pid 1 of a pid namespace takes the rest of it along), and wait until they are gone. */
export async function killPids(pids: number[], timeoutMs = 5_000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** Every process chrooted into the container's root: with the host's pid namespace, none ends with its init. */
export function rootedPids(dir: string): number[] {
  const merged = path.join(dir, 'merged');
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    try {
      const root = fs.readlinkSync(`/proc/${pid}/root`);
      return root === merged || root.startsWith(`${merged}/`);
    } catch {
      return false;
    }
  });
}

function belongsTo(pid: number, dir: string): boolean {
  if (!isRunning(pid)) return false;
  try {
    const root = fs.readlinkSync(`/proc/${pid}/root`);
    if (root === path.join(dir, 'merged') || root.startsWith(`${path.join(dir, 'merged')}/`)) return true;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dir);
  } catch {
    return false;
  }
}

/** Alive and not a zombie (a zombie is dead, waiting for its parent). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}
