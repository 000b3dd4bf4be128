/**
 * This host's membership of a cluster as the layers above the cluster code use it: the
 * shared store, this host's identity, the endpoints it publishes, and VNI claims.
 */
import type { ClusterEndpoint } from './peers.js';
import type { WatchableStore } from './store.js';

export interface ClusterMembership {
  readonly hostId: string;
  /** This host's underlay address (where other hosts reach its VXLAN tunnel endpoint). */
  readonly advertiseAddr: string;
  /** This host's WireGuard tunnel address: the VXLAN endpoint it publishes on encrypted networks. */
  readonly tunnelAddr: string;
  /** The shared store: global networks, their name claims and their IPAM. */
  readonly store: WatchableStore;
  /** Publish an endpoint of this host; it lives as long as this host's lease. */
  publishEndpoint(ep: ClusterEndpoint): Promise<void>;
  unpublishEndpoint(ep: { networkId: string; id: string }): Promise<void>;
  /** Endpoints every host has published, on one network or on all, read from the store itself. */
  publishedEndpoints(networkId?: string): Promise<ClusterEndpoint[]>;
}

/** Cluster-wide claims of VXLAN network identifiers, one network per VNI. */
export interface VniClaims {
  /** Claim vni for networkId; false if another network holds it. */
  claim(vni: number, networkId: string): Promise<boolean>;
  /** Every VNI claimed in the cluster. */
  claimed(): Promise<number[]>;
  /** Release vni if networkId still holds it. */
  release(vni: number, networkId: string): Promise<void>;
}

/** Docker's network option asking for an encrypted overlay (its presence, whatever its value). */
export const OPT_ENCRYPTED = 'encrypted';

export function isEncrypted(options: { [k: string]: string }): boolean {
  return Object.hasOwn(options, OPT_ENCRYPTED);
}

/**
 * This host's WireGuard mesh as the overlay driver uses it: VXLAN of an encrypted network runs
 * between tunnel addresses, so its packets go through the WireGuard device. The device exists
 * while at least one encrypted network is active here.
 */
export interface OverlayEncryption {
  /** 'kernel' or 'wireguard-go'. */
  readonly implementation: string;
  /** This host's address inside the tunnel (its VXLAN endpoint on encrypted networks). */
  readonly tunnelAddr: string;
  /** Bring the device up (first user) with this MTU; every acquire is matched by a release. */
  acquire(mtu: number): Promise<void>;
  release(): Promise<void>;
}
