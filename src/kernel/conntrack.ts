/**
 * The connection tracking table of the calling process's network namespace, read from
 * /proc/net/nf_conntrack: read on scrape, so counting costs nothing per packet.
 */
import fs from 'node:fs/promises';

/** The addresses of one entry: original source and destination, then the reply's source. */
export interface ConntrackEntry { addresses: string[] }

const ADDRESS = /\b(?:src|dst)=([0-9a-fA-F.:]+)/g;

/** Every entry's addresses; none when the kernel has no conntrack /proc table. */
export async function conntrackEntries(): Promise<ConntrackEntry[]> {
  const text = await fs.readFile('/proc/net/nf_conntrack', 'utf8').catch(() => '');
  return parseConntrack(text);
}

export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    // Original src, dst, then reply src (the container for a DNATed connection), dst.
    const addresses = [...line.matchAll(ADDRESS)].slice(0, 3).map((m) => m[1]);
    if (addresses.length) out.push({ addresses });
  }
  return out;
}
