/**
 * The cluster's endpoints as other hosts publish them (overlay networks): one source that
 * follows the cluster store, read by the overlay driver (to program VXLAN peers) and by the
 * controller (names and addresses across hosts for DNS and inspect).
 */

/** What a host publishes for each endpoint it has on a global network. */
export interface ClusterEndpoint {
  id: string;
  name: string;
  networkId: string;
  host: string;
  /** Underlay address of the endpoint's host (VXLAN remote). */
  vtep: string;
  mac: string;
  /** "ip/prefixlen" */
  ipv4?: string;
  ipv6?: string;
  /** Network-scoped aliases (for name resolution across hosts). */
  aliases?: string[];
}

/**
 * One change of a remote endpoint. `add` also stands for an update of a known endpoint;
 * `previous` is then what it replaces.
 */
export type PeerChange = (
  | { type: 'add'; endpoint: ClusterEndpoint; previous?: ClusterEndpoint }
  | { type: 'remove'; endpoint: ClusterEndpoint }
) & {
  /** performance.now() when the store's watch delivered the change (programming latency). */
  receivedAt?: number;
};

export interface PeerSource {
  /** Endpoints other hosts have published, on one network or (no argument) on all. */
  remoteEndpoints(networkId?: string): ClusterEndpoint[];
  /** Called for every change after the snapshot; returns the unsubscribe function. */
  subscribe(listener: (change: PeerChange) => void): () => void;
}
