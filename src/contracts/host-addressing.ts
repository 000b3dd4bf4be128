/**
 * What the daemon's own namespace routes and holds: the prefixes a network's subnet must
 * not overlap (a VPN's routes, an address someone configured), and a watch that tells when
 * they change, driven by the kernel's notifications.
 */

export interface HostPrefix {
  /** CIDR of the route's destination, or of the address with its prefix length. */
  prefix: string;
  kind: 'route' | 'address';
  /** The interface it is on; absent for routes without one (blackhole, multipath). */
  interface?: string;
}

export interface HostAddressing {
  /** Routes of every table but `local` (default routes left out) and addresses, link-local and loopback left out. */
  prefixes(): Promise<HostPrefix[]>;
  /** onChange after routes or addresses changed (once per burst of changes); returns the stop. */
  watch(onChange: () => void): () => void;
}
