/**
 * The pools a network gets when it names no subnet, in Docker's order: 172.17.0.0/16 …
 * 172.31.0.0/16, then 192.168.0.0/16 cut into /20s. IPv6: /64s of one ULA /48 whose
 * 40-bit global ID is derived from the machine id (RFC 4193 asks for a random-looking,
 * stable ID; two hosts thus rarely pick the same prefix).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

export function defaultV4Pools(): string[] {
  const out: string[] = [];
  for (let b = 17; b <= 31; b++) out.push(`172.${b}.0.0/16`);
  for (let c = 0; c < 256; c += 16) out.push(`192.168.${c}.0/20`);
  return out;
}

/** How many /64s of the ULA /48 are offered before giving up (more would never fit a host). */
const V6_POOLS = 256;

export function defaultV6Pools(seed = machineId()): string[] {
  const h = crypto.createHash('sha256').update(seed).digest();
  const g = (i: number) => h.readUInt16BE(i).toString(16);
  // fd + 40 bits: fdXX:XXXX:XXXX::/48
  const prefix = `fd${h[0].toString(16).padStart(2, '0')}:${g(1)}:${g(3)}`;
  const out: string[] = [];
  for (let i = 0; i < V6_POOLS; i++) out.push(`${prefix}:${i.toString(16)}::/64`);
  return out;
}

function machineId(): string {
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = fs.readFileSync(f, 'utf8').trim();
      if (id) return id;
    } catch {
      // try the next one
    }
  }
  return 'weft';
}
