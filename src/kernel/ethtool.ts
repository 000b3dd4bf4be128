/**
 * Link features through the ethtool ioctl (SIOCETHTOOL on a throwaway socket in the link's
 * namespace): no ethtool binary, one syscall per setting. Only GRO so far: on a veth it also
 * switches the receiving end to NAPI, so frames its peer sends are taken off a ring in batches
 * by the receiver's poll instead of one by one through the per-CPU backlog.
 */
import koffi from 'koffi';
import { SyscallError } from './libc.js';
import { inNetns } from './netns.js';

const libc = koffi.load('libc.so.6');
const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const closeFn = libc.func('int close(int fd)');
const ioctlFn = libc.func('int ioctl(int fd, unsigned long request, void *arg)');

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SIOCETHTOOL = 0x8946;
const ETHTOOL_GGRO = 0x2b;
const ETHTOOL_SGRO = 0x2c;
const IFNAMSIZ = 16;
/** struct ifreq (40 bytes: name, then ifr_data) followed by the struct ethtool_value it points to. */
const VALUE_AT = 40;

/** One ethtool_value command on ifName; returns the value's data field after the call. */
function ethtoolValue(nsPath: string | undefined, ifName: string, cmd: number, data: number): number {
  if (Buffer.byteLength(ifName) >= IFNAMSIZ) throw new Error(`interface name too long: ${ifName}`);
  const buf = Buffer.alloc(VALUE_AT + 8);
  buf.write(ifName, 0);
  buf.writeBigUInt64LE(koffi.address(buf) + BigInt(VALUE_AT), IFNAMSIZ);
  buf.writeUInt32LE(cmd, VALUE_AT);
  buf.writeUInt32LE(data, VALUE_AT + 4);
  return inNetns(nsPath, () => {
    const fd = socketFn(AF_INET, SOCK_DGRAM, 0) as number;
    if (fd < 0) throw new SyscallError('socket', koffi.errno(), 'AF_INET');
    try {
      if ((ioctlFn(fd, SIOCETHTOOL, buf) as number) !== 0) throw new SyscallError('ioctl', koffi.errno(), `SIOCETHTOOL ${ifName}`);
      return buf.readUInt32LE(VALUE_AT + 4);
    } finally {
      closeFn(fd);
    }
  });
}

export function setGro(nsPath: string | undefined, ifName: string, on: boolean): void {
  ethtoolValue(nsPath, ifName, ETHTOOL_SGRO, on ? 1 : 0);
}

export function groEnabled(nsPath: string | undefined, ifName: string): boolean {
  return ethtoolValue(nsPath, ifName, ETHTOOL_GGRO, 0) !== 0;
}
