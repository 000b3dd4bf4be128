/**
 * The range random host ports come from: the kernel's net.ipv4.ip_local_port_range of the
 * daemon's namespace, read once at start as dockerd's port allocator does, or dockerd's
 * fallback 49153-65535 where it cannot be read.
 */
import fs from 'node:fs';

export interface PortRange { first: number; last: number }

export const FALLBACK_PORT_RANGE: PortRange = { first: 49153, last: 65535 };

const SYSCTL = '/proc/sys/net/ipv4/ip_local_port_range';

/** "32768\t60999" as the kernel prints it; undefined when it is not two ports in order. */
export function parseLocalPortRange(text: string): PortRange | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  return first >= 1 && first <= last && last <= 65535 ? { first, last } : undefined;
}

export function readLocalPortRange(file = SYSCTL): PortRange {
  try {
    return parseLocalPortRange(fs.readFileSync(file, 'utf8')) ?? FALLBACK_PORT_RANGE;
  } catch {
    return FALLBACK_PORT_RANGE;
  }
}
