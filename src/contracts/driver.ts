/**
 * Network driver contract, after libnetwork's driverapi. The controller owns allocation
 * (IPAM) and bookkeeping; a driver only does the kernel work for its kind of network.
 * Every method must be idempotent enough to be replayed by reconciliation after a crash:
 * creating something that already exists as wanted succeeds, deleting something already
 * gone succeeds.
 */
import type { PortBinding } from './firewall.js';

export type Scope = 'local' | 'global' | 'swarm';

export interface DriverCapability {
  scope: Scope;
  /** false for host/null: no IPAM pools, no addresses. */
  needsIpam: boolean;
  /** false for host/null: `network create` with this driver is refused (like Docker). */
  userCreatable: boolean;
}

/** One IPAM pool of a network as the driver sees it. */
export interface IpamData {
  poolId: string;
  /** Subnet, CIDR. */
  subnet: string;
  /** Gateway "ip/prefixlen" (absent on networks without a gateway). */
  gateway?: string;
  ipRange?: string;
  auxAddresses: { [name: string]: string };
}

export interface NetworkInfo {
  id: string;
  name: string;
  driver: string;
  scope: Scope;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  /** Driver options (`-o key=value`). */
  options: { [key: string]: string };
  labels: { [key: string]: string };
  ipv4: IpamData[];
  ipv6: IpamData[];
  created: string;
}

export interface SandboxInfo {
  id: string;
  /** Path of the bind-mounted network namespace, or undefined for the host namespace. */
  nsPath?: string;
  /**
   * The namespace is being deleted with everything in it. A driver may then leave its
   * interfaces to the kernel's namespace cleanup, which destroys them in the background
   * and in batches, instead of deleting each one synchronously (a veth deletion waits for
   * an RCU grace period: ~20 ms here, with the daemon's thread blocked).
   */
  closing?: boolean;
}

export interface EndpointInfo {
  id: string;
  name: string;
  networkId: string;
  sandboxId: string;
  /** Interface name inside the sandbox (eth0, eth1, ...). */
  ifName: string;
  mac: string;
  /** "ip/prefixlen", absent when the network has no IPv4 pool. */
  ipv4?: string;
  ipv6?: string;
  aliases: string[];
  portBindings: PortBinding[];
  /** IPAMConfig.LinkLocalIPs: extra addresses on the interface, outside IPAM. */
  linkLocalIps?: string[];
  /** EndpointSettings.DriverOpts, kept as given; a driver honours the ones it knows. */
  driverOpts?: { [key: string]: string };
  /** Driver-private facts the driver wants persisted (e.g. host-side veth name). */
  driverState: { [key: string]: string };
}

export interface JoinResult {
  /**
   * Gateways this endpoint can offer the sandbox (absent on internal networks). The
   * controller, which sees all of a sandbox's endpoints, decides which one becomes the
   * default route, as libnetwork's sandbox does.
   */
  gateway4?: string;
  gateway6?: string;
  /**
   * The endpoint offers no way out of its own and wants one: the controller connects the
   * sandbox to weft_gwbridge too (libnetwork's gateway service), unless another endpoint
   * already gives it a default route or the network is internal.
   */
  gatewayService?: boolean;
}

/** A network as restored at start, with its joined endpoints. */
export interface RestoredNetwork {
  net: NetworkInfo;
  endpoints: { ep: EndpointInfo; sb: SandboxInfo }[];
}

export interface NetworkDriver {
  readonly name: string;
  readonly capability: DriverCapability;
  /** Validate options before anything is allocated; throw InvalidArgument. */
  validateNetwork(net: NetworkInfo): void;
  /** The host interface that carries the network's subnet (its bridge): its own routes there are no conflict. */
  hostInterface?(net: NetworkInfo): string | undefined;
  /** Families whose pools get no gateway address (libnetwork's GetSkipGwAlloc). */
  skipsGateway?(net: NetworkInfo): { v4: boolean; v6: boolean };
  createNetwork(net: NetworkInfo): Promise<void>;
  deleteNetwork(net: NetworkInfo): Promise<void>;
  /** Fill driverState (names) for an endpoint; no kernel work yet. */
  createEndpoint(net: NetworkInfo, ep: EndpointInfo): Promise<void>;
  deleteEndpoint(net: NetworkInfo, ep: EndpointInfo): Promise<void>;
  /** Plumb the endpoint into the sandbox: interface, addresses, routes. */
  join(net: NetworkInfo, ep: EndpointInfo, sb: SandboxInfo): Promise<JoinResult>;
  leave(net: NetworkInfo, ep: EndpointInfo, sb: SandboxInfo): Promise<void>;
  /** Publish the endpoint's ports on the host (DNAT rules, host-port reservations). */
  programExternalConnectivity(net: NetworkInfo, ep: EndpointInfo): Promise<void>;
  revokeExternalConnectivity(net: NetworkInfo, ep: EndpointInfo): Promise<void>;
  /**
   * After a daemon restart: make the kernel match the stored network and its joined
   * endpoints again (re-create missing bridge/rules/veths), without touching what is right.
   */
  restoreNetwork(net: NetworkInfo, endpoints: { ep: EndpointInfo; sb: SandboxInfo }[]): Promise<void>;
  /**
   * At daemon start, after restoreNetwork for each of them: remove what this driver made in
   * the kernel that none of these networks and endpoints own (interfaces, firewall elements),
   * recognised by the driver's own names. Returns what it removed, for the log.
   */
  sweepStrays?(networks: RestoredNetwork[]): Promise<string[]>;
  /**
   * Global-scope drivers (libnetwork's NetworkAllocate/NetworkFree): reserve cluster-wide
   * resources for a new network once, on the host that creates it (e.g. the overlay's
   * VNI), writing them into net.options so every host reads them from the record; and
   * release them when the network is deleted.
   */
  allocateNetwork?(net: NetworkInfo): Promise<void>;
  freeNetwork?(net: NetworkInfo): Promise<void>;
}
