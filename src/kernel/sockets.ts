/**
 * Listening sockets created inside another network namespace. Node creates its sockets
 * later, on its own schedule, in whatever namespace the thread is in then; so the fds are
 * made here with plain libc calls inside a synchronous setns window, and handed to Node
 * (net.Server#listen({ fd }), dgram#bind({ fd })) afterwards. A socket stays in the
 * namespace it was created in for its whole life.
 */
import koffi from 'koffi';
import net from 'node:net';
import { AF_INET, ipToBuffer } from '../util/ip.js';
import { SyscallError } from './libc.js';
import { inNetns } from './netns.js';

const libc = koffi.load('libc.so.6');
const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const bindFn = libc.func('int bind(int fd, const void *addr, uint32_t len)');
const listenFn = libc.func('int listen(int fd, int backlog)');
const setsockoptFn = libc.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)');
const closeFn = libc.func('int close(int fd)');
const getsocknameFn = libc.func('int getsockname(int fd, void *addr, uint32_t *len)');

const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000; // never inherited by the container processes the daemon spawns
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;

function sockaddrIn(ip: string, port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  ipToBuffer(ip).copy(b, 4);
  return b;
}

function open(type: number, ip: string, port: number): number {
  const fd = socketFn(AF_INET, type | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) throw new SyscallError('socket', koffi.errno(), `${ip}:${port}`);
  try {
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    setsockoptFn(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
    const addr = sockaddrIn(ip, port);
    if ((bindFn(fd, addr, addr.length) as number) !== 0) throw new SyscallError('bind', koffi.errno(), `${ip}:${port}`);
    if (type === SOCK_STREAM && (listenFn(fd, 128) as number) !== 0) throw new SyscallError('listen', koffi.errno(), `${ip}:${port}`);
    return fd;
  } catch (err) {
    closeFn(fd);
    throw err;
  }
}

function boundPort(fd: number): number {
  const addr = Buffer.alloc(16);
  const len = new Uint32Array([16]);
  if ((getsocknameFn(fd, addr, len) as number) !== 0) throw new SyscallError('getsockname', koffi.errno(), String(fd));
  return addr.readUInt16BE(2);
}

/**
 * A bound UDP socket and a listening TCP socket on ip:port inside nsPath (IPv4). With
 * port 0 each gets its own free port; the ports actually bound are returned.
 */
export function bindInNetns(nsPath: string, ip: string, port: number): { udp: number; tcp: number; udpPort: number; tcpPort: number } {
  if (!net.isIPv4(ip)) throw new Error(`bindInNetns: IPv4 address expected, got ${ip}`);
  return inNetns(nsPath, () => {
    const udp = open(SOCK_DGRAM, ip, port);
    try {
      const tcp = open(SOCK_STREAM, ip, port);
      return { udp, tcp, udpPort: boundPort(udp), tcpPort: boundPort(tcp) };
    } catch (err) {
      closeFn(udp);
      throw err;
    }
  });
}

export function closeFd(fd: number): void {
  closeFn(fd);
}
