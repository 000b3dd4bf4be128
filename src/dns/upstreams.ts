/**
 * Upstream resolver addresses: one resolver per string,
 *   "10.0.0.1"            IPv4, port 53
 *   "10.0.0.1:5353"       IPv4 with port
 *   "10.0.0.1#5353"       IPv4 with port (dnsmasq/unbound style)
 *   "2001:db8::1"         IPv6, port 53
 *   "[2001:db8::1]:5353"  IPv6 with port
 *   "2001:db8::1#5353"    IPv6 with port
 */
import fs from 'node:fs';
import net from 'node:net';

export interface Upstream { host: string; port: number; family: 4 | 6 }

/** Parse one upstream address (formats above); undefined when malformed. */
export function parseUpstream(s: string): Upstream | undefined {
  const hp = splitHostPort(s.trim());
  if (!hp) return undefined;
  const family = net.isIP(hp.host);
  if (family === 0 || hp.port < 1 || hp.port > 65535) return undefined;
  return { host: hp.host, port: hp.port, family: family as 4 | 6 };
}

function splitHostPort(str: string): { host: string; port: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(str);
  if (bracketed) {
    const [, host, port] = bracketed;
    return net.isIPv6(host) ? { host, port: port === undefined ? 53 : Number(port) } : undefined;
  }
  const hashed = /^(.+)#(\d{1,5})$/.exec(str);
  if (hashed) return { host: hashed[1], port: Number(hashed[2]) };
  if (net.isIP(str)) return { host: str, port: 53 };
  const colon = /^([^:]+):(\d{1,5})$/.exec(str);
  return colon ? { host: colon[1], port: Number(colon[2]) } : undefined;
}

/** Nameservers of a resolv.conf file (zone ids dropped), re-read when the file changes. */
export function resolvConfNameservers(file: string): () => string[] {
  let mtime = -1;
  let list: string[] = [];
  return () => {
    try {
      const st = fs.statSync(file);
      if (st.mtimeMs !== mtime) {
        mtime = st.mtimeMs;
        list = fs.readFileSync(file, 'utf8').split('\n')
          .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
          .filter((s): s is string => !!s)
          .map((s) => s.replace(/%.*$/, ''));
      }
    } catch {
      list = [];
    }
    return list;
  };
}
