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
  const str = s.trim();
  let host: string;
  let port = 53;
  let m: RegExpExecArray | null;
  if ((m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(str))) {
    host = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
    if (!net.isIPv6(host)) return undefined;
  } else if ((m = /^(.+)#(\d{1,5})$/.exec(str))) {
    host = m[1]!;
    port = Number(m[2]);
  } else if (net.isIP(str)) {
    host = str;
  } else if ((m = /^([^:]+):(\d{1,5})$/.exec(str))) {
    host = m[1]!;
    port = Number(m[2]);
  } else {
    return undefined;
  }
  const family = net.isIP(host);
  if (family === 0 || port < 1 || port > 65535) return undefined;
  return { host, port, family: family as 4 | 6 };
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
