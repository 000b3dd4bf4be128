/**
 * The ports the kernel keeps out of automatic assignment (net.ipv4.ip_local_reserved_ports,
 * per network namespace, for both families): random host ports skip them, as dockerd's
 * port allocator does since 29. Explicit ports are not affected, as for bind(2).
 */
import fs from 'node:fs';

const SYSCTL = '/proc/sys/net/ipv4/ip_local_reserved_ports';

/** "8080,9148" or "30000-32767,40000": every port of the list; unreadable parts are skipped. */
export function parseReservedPorts(text: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const first = Number(m[1]);
    const last = Math.min(Number(m[2] ?? m[1]), 65535);
    for (let p = first; p <= last; p++) out.add(p);
  }
  return out;
}

/** The reserved ports of the namespace this process is in; none where the sysctl cannot be read. */
export function readReservedPorts(file = SYSCTL): Set<number> {
  try {
    return parseReservedPorts(fs.readFileSync(file, 'utf8'));
  } catch {
    return new Set();
  }
}
