/**
 * A plugin's state directory: a lock file held with flock(2) for the whole operation, so
 * concurrent invocations (a runtime starting many containers at once) run one after the
 * other, a store file and the attachment records (AttachmentFiles). The kernel drops the
 * lock when the process dies, so a plugin killed mid-way never blocks the next one; what it left is whole (FileStore) and found by
 * DEL or GC. The lock is taken without blocking and retried after short sleeps: in the
 * daemon (src/cni/service.ts) a blocking flock would stop its event loop while an exec'd
 * plugin holds the directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EWOULDBLOCK, flock, LOCK_EX, LOCK_NB, SyscallError } from '../kernel/libc.js';
import { CniError, CODE } from './errors.js';
import { AttachmentFiles } from './attachment-files.js';
import { FileStore } from './file-store.js';

export class StateDir {
  readonly attachments: AttachmentFiles;

  private constructor(private readonly lockFd: number, readonly store: FileStore, dir: string) {
    this.attachments = new AttachmentFiles(path.join(dir, 'attachments'));
  }

  /** Create the directory if needed and wait for its lock. */
  static async open(dir: string): Promise<StateDir> {
    let fd: number;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fd = fs.openSync(path.join(dir, 'lock'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    } catch (err) {
      throw new CniError(CODE.io, `cannot open state directory ${dir}`, (err as Error).message);
    }
    try {
      await lockWaiting(fd);
      return new StateDir(fd, new FileStore(path.join(dir, 'state.json')), dir);
    } catch (err) {
      fs.closeSync(fd);
      throw new CniError(CODE.io, `cannot lock state directory ${dir}`, (err as Error).message);
    }
  }

  close(): void {
    fs.closeSync(this.lockFd);
  }
}

/** Run fn holding the directory's lock. */
export async function withState<T>(dir: string, fn: (s: StateDir) => Promise<T>): Promise<T> {
  const s = await StateDir.open(dir);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

async function lockWaiting(fd: number): Promise<void> {
  for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
    try {
      flock(fd, LOCK_EX | LOCK_NB);
      return;
    } catch (err) {
      if (!(err instanceof SyscallError && err.errno === EWOULDBLOCK)) throw err;
    }
    await sleep(wait);
  }
}
