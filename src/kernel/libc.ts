/**
 * The few libc calls Node lacks, through koffi: namespace switching, mounts, file locks, device nodes and xattrs.
 * All are synchronous, so a setns / work / setns-back sequence never yields to the event
 * loop and no other code ever runs in the wrong namespace.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const setnsFn = libc.func('int setns(int fd, int nstype)');
const unshareFn = libc.func('int unshare(int flags)');
const mountFn = libc.func(
  'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)',
);
const umount2Fn = libc.func('int umount2(const char *target, int flags)');
const flockFn = libc.func('int flock(int fd, int operation)');
const mknodFn = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)');
const lsetxattrFn = libc.func('int lsetxattr(const char *path, const char *name, const char *value, size_t size, int flags)');
const strerrorFn = libc.func('const char *strerror(int errnum)');

export const CLONE_NEWNET = 0x40000000;
export const MS_BIND = 4096;
export const MNT_DETACH = 2;

export class SyscallError extends Error {
  constructor(readonly call: string, readonly errno: number, detail: string) {
    super(`${call}(${detail}): ${strerrorFn(errno) as string}`);
  }
}

function check(call: string, rc: number, detail: string): void {
  if (rc !== 0) throw new SyscallError(call, koffi.errno(), detail);
}

export function setns(fd: number, nstype: number): void {
  check('setns', setnsFn(fd, nstype) as number, String(fd));
}

export function unshare(flags: number): void {
  check('unshare', unshareFn(flags) as number, `0x${flags.toString(16)}`);
}

export function bindMount(source: string, target: string): void {
  check('mount', mountFn(source, target, 'none', MS_BIND, null) as number, `${source} -> ${target}`);
}

/** Lazy unmount; returns the errno instead of throwing so callers can ignore EINVAL/ENOENT. */
export function umount(target: string): number {
  return (umount2Fn(target, MNT_DETACH) as number) === 0 ? 0 : koffi.errno();
}

export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const EWOULDBLOCK = 11;

/** Take an advisory lock (waiting for it unless LOCK_NB); the kernel drops it when the process dies. */
export function flock(fd: number, operation: number): void {
  check('flock', flockFn(fd, operation) as number, String(fd));
}

/** A device node (mode includes the S_IF* type bits); dev is makedev(major, minor). */
export function mknod(file: string, mode: number, dev: number): void {
  check('mknod', mknodFn(file, mode, dev) as number, file);
}

/** Sets an extended attribute on the path itself, not on what a symlink points to. */
export function lsetxattr(file: string, name: string, value: string): void {
  check('lsetxattr', lsetxattrFn(file, name, value, Buffer.byteLength(value), 0) as number, `${file} ${name}`);
}
