/** Address text as the DNS server compares, prints and derives it from reverse names. */
import net from 'node:net';
import { bufferToIp, ipToBuffer } from '../util/ip.js';

/** "4.3.2.1.in-addr.arpa" -> "1.2.3.4"; 32-nibble ip6.arpa names -> canonical IPv6; else undefined. */
export function reverseToIp(name: string): string | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.in-addr.arpa')) {
    const labels = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (labels.length !== 4 || !labels.every((l) => /^\d{1,3}$/.test(l) && Number(l) <= 255)) return undefined;
    return bufferToIp(Buffer.from(labels.reverse().map(Number)));
  }
  if (n.endsWith('.ip6.arpa')) {
    const labels = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
    return bufferToIp(Buffer.from(labels.reverse().join(''), 'hex'));
  }
  return undefined;
}

/** RFC 5952 text of an IPv6 address (zone kept; IPv4-mapped in hex, unlike util/ip canonicalIp), for comparisons; else as is. */
export function comparableIp(ip: string): string {
  if (!net.isIPv6(ip)) return ip;
  const [addr, zone] = ip.split('%', 2) as [string, string | undefined];
  return bufferToIp(ipToBuffer(addr)) + (zone ? `%${zone}` : '');
}

/** "::ffff:10.0.0.2" -> "10.0.0.2" (an IPv4 peer seen by a dual-stack socket); everything else unchanged. */
export function unmapIpv4(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1]! : addr;
}
