/** Conversions between textual addresses and the byte buffers rtnetlink wants. */
import net from 'node:net';
import { Address6 } from 'ip-address';

export const AF_INET = 2;
export const AF_INET6 = 10;

export function familyOf(ip: string): number {
  return net.isIPv6(ip) ? AF_INET6 : AF_INET;
}

export function ipToBuffer(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (net.isIPv6(ip)) {
    const bytes = new Address6(ip).toByteArray();
    // Guard against a short array (leading zero bytes dropped): left-pad to 16.
    return Buffer.from(new Array(16 - bytes.length).fill(0).concat(bytes));
  }
  throw new Error(`not an IP address: ${ip}`);
}

export function bufferToIp(buf: Buffer): string {
  if (buf.length === 4) return Array.from(buf).join('.');
  if (buf.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(i).toString(16));
    return new Address6(groups.join(':')).correctForm();
  }
  throw new Error(`bad address length ${buf.length}`);
}

/** "10.0.0.5/24" -> { ip: "10.0.0.5", prefix: 24 } */
export function splitCidr(cidr: string): { ip: string; prefix: number } {
  const [ip, len] = cidr.split('/');
  const prefix = len === undefined ? (net.isIPv6(ip) ? 128 : 32) : Number(len);
  if (!net.isIP(ip) || !Number.isInteger(prefix)) throw new Error(`bad CIDR ${cidr}`);
  return { ip, prefix };
}

export function macToBuffer(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export function bufferToMac(buf: Buffer): string {
  return Array.from(buf).map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Whether ip (plain or CIDR) lies inside subnet (CIDR); false across families. */
export function cidrContains(subnet: string, ip: string): boolean {
  const { ip: sip, prefix } = splitCidr(subnet);
  const { ip: aip } = splitCidr(ip);
  if (familyOf(sip) !== familyOf(aip)) return false;
  const a = ipToBuffer(sip);
  const b = ipToBuffer(aip);
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a[bit >> 3] & mask) !== (b[bit >> 3] & mask)) return false;
  }
  return true;
}

/** Whether two CIDRs share any address. */
export function cidrOverlaps(a: string, b: string): boolean {
  return cidrContains(a, splitCidr(b).ip) || cidrContains(b, splitCidr(a).ip);
}
