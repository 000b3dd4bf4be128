import crypto from 'node:crypto';
import net from 'node:net';

/** 64 hex characters, like Docker ids. */
export function newId(): string {
  return crypto.randomBytes(32).toString('hex');
}

/**
 * A locally administered MAC. Derived from the IPv4 address when there is one (as Docker
 * did for years), so a reused address keeps its MAC and peers' ARP caches stay right.
 */
export function macFor(ipv4?: string): string {
  const bytes = ipv4 && net.isIPv4(ipv4) ? [0x02, 0x42, ...ipv4.split('.').map(Number)] : [0x02, ...crypto.randomBytes(5)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export function isValidName(name: string): boolean {
  return NAME.test(name) && name.length <= 255;
}
