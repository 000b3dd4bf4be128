/**
 * An rtnetlink socket that only listens to multicast groups, made with plain libc calls
 * (koffi) instead of the `netlink` binding. The binding cannot carry a listener through a
 * burst: an overrun sets the socket's error (ENOBUFS), epoll reports it as EPOLLERR, libuv
 * hands the binding's poll callback UV_EBADF, and that error path builds a JS string from a
 * null pointer — a C++ exception thrown from a libuv callback, which aborts the process.
 * Here an overrun is recv()'s ENOBUFS, which the reader turns into "re-read everything".
 * Reads block (poll on the socket and a wake-up eventfd), so they run in a worker thread.
 */
import koffi from 'koffi';
import { SyscallError } from './libc.js';
import { inNetns } from './netns.js';

const libc = koffi.load('libc.so.6');
const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const bindFn = libc.func('int bind(int fd, const void *addr, uint32_t len)');
const setsockoptFn = libc.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)');
const recvFn = libc.func('long recv(int fd, void *buf, size_t len, int flags)');
const pollFn = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
const eventfdFn = libc.func('int eventfd(unsigned int initval, int flags)');
const closeFn = libc.func('int close(int fd)');

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
/** SO_RCVBUFFORCE: past net.core.rmem_max (the daemon runs as root), so that overruns stay rare. */
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const POLLIN = 1;
const EINTR = 4;
const EAGAIN = 11;
export const ENOBUFS = 105;
const RECV_BUFFER = 4 * 1024 * 1024;

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

/** A socket in the namespace at nsPath (the caller's own when omitted) joined to `groups` (RTNLGRP_* numbers). */
export function openMulticast(nsPath: string | undefined, groups: readonly number[]): number {
  const fd = inNetns(nsPath, () => socketFn(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) as number);
  if (fd < 0) throw new SyscallError('socket', koffi.errno(), 'AF_NETLINK');
  try {
    const addr = Buffer.alloc(12); // sockaddr_nl: family, pad, pid 0 (the kernel picks), groups 0
    addr.writeUInt16LE(AF_NETLINK, 0);
    if ((bindFn(fd, addr, addr.length) as number) !== 0) throw new SyscallError('bind', koffi.errno(), 'AF_NETLINK');
    setsockoptFn(fd, SOL_SOCKET, SO_RCVBUFFORCE, int32(RECV_BUFFER), 4);
    for (const g of groups) {
      if ((setsockoptFn(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, int32(g), 4) as number) !== 0) {
        throw new SyscallError('setsockopt', koffi.errno(), `NETLINK_ADD_MEMBERSHIP ${g}`);
      }
    }
    return fd;
  } catch (err) {
    closeFn(fd);
    throw err;
  }
}

/** An eventfd whose write wakes waitReadable. */
export function openWakeup(): number {
  const fd = eventfdFn(0, SOCK_CLOEXEC) as number; // EFD_CLOEXEC has O_CLOEXEC's value, as SOCK_CLOEXEC
  if (fd < 0) throw new SyscallError('eventfd', koffi.errno(), '0');
  return fd;
}

export function closeFd(fd: number): void {
  closeFn(fd);
}

/** Blocks until fd has something (data or an error) or wake was written: which of the two. */
export function waitReadable(fd: number, wake: number): 'socket' | 'wake' {
  const fds = Buffer.alloc(16); // two struct pollfd {int fd; short events; short revents}
  fds.writeInt32LE(fd, 0);
  fds.writeInt16LE(POLLIN, 4);
  fds.writeInt32LE(wake, 8);
  fds.writeInt16LE(POLLIN, 12);
  for (;;) {
    if ((pollFn(fds, 2, -1) as number) >= 0) break;
    const errno = koffi.errno();
    if (errno !== EINTR) throw new SyscallError('poll', errno, String(fd));
  }
  return fds.readInt16LE(14) !== 0 ? 'wake' : 'socket';
}

/**
 * One datagram without waiting: its length (more than buf.length when it was truncated),
 * 0 when none is queued, or -ENOBUFS when notifications were lost since the last read.
 */
export function receive(fd: number, buf: Buffer): number {
  for (;;) {
    const n = Number(recvFn(fd, buf, buf.length, MSG_DONTWAIT | MSG_TRUNC));
    if (n >= 0) return n;
    const errno = koffi.errno();
    if (errno === EAGAIN) return 0;
    if (errno === ENOBUFS) return -ENOBUFS;
    if (errno !== EINTR) throw new SyscallError('recv', errno, String(fd));
  }
}
