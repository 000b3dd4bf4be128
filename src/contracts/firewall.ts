/**
 * The firewall rule model: what weft wants the packet filter to do, in Docker's terms.
 * Backends (iptables, nftables) translate it; the drivers never write rules themselves.
 */
export type Protocol = 'tcp' | 'udp' | 'sctp';

/** A network as the firewall needs to know it. */
export interface FirewallNetwork {
  /** Network id (stable; backends may use a prefix of it in rule comments/names). */
  id: string;
  /** Linux bridge name. */
  bridge: string;
  subnets4: string[];
  subnets6: string[];
  /** No traffic leaves or enters the bridge except to/from the bridge itself. */
  internal: boolean;
  /** Inter-container communication on this bridge (enable_icc). */
  icc: boolean;
  /** Masquerade traffic from the subnets that leaves through another interface. */
  masquerade: boolean;
  /** Outgoing IPv4 leaves with this source address (SNAT) rather than masqueraded; com.docker.network.host_ipv4. */
  hostIpv4?: string;
  /** The same for IPv6; com.docker.network.host_ipv6. */
  hostIpv6?: string;
  /** Docker's gateway mode per address family; absent means nat. */
  gatewayModes?: { 4?: GatewayMode; 6?: GatewayMode };
  /** Host interfaces that, like the bridge, reach published container ports by address (trusted_host_interfaces). */
  trustedInterfaces?: string[];
  /** Every host interface reaches published container ports by address (daemon --allow-direct-routing). */
  allowDirectRouting?: boolean;
}

/**
 * nat: masquerade, reachable from outside through published host ports only;
 * nat-unprotected: masquerade, every container port reachable by address;
 * routed: no NAT, reachable by address on published container ports (and ICMP) only;
 * isolated: no gateway address on the host (internal networks only).
 */
export type GatewayMode = 'nat' | 'nat-unprotected' | 'routed' | 'isolated';

/** One published port (or a range, when hostPortEnd > hostPort). */
export interface PortBinding {
  proto: Protocol;
  /** Empty or "0.0.0.0"/"::" for all addresses. */
  hostIp: string;
  hostPort: number;
  hostPortEnd?: number;
  containerPort: number;
  containerPortEnd?: number;
}

/** A published port resolved to the container address it forwards to. */
export interface PortMapping extends PortBinding {
  containerIp: string;
  bridge: string;
  /** The network's family is routed: the container port is opened, no host port is mapped. */
  routed?: boolean;
  /** The network opens published container ports by address too (trusted interfaces, direct routing). */
  direct?: boolean;
}

/** Kernel counters of one published container port: packets and bytes from clients to it. */
export interface PortCounter {
  proto: Protocol;
  containerIp: string;
  containerPort: number;
  /** Set when the backend counts each host port apart (iptables); nftables counts per container port. */
  hostPort?: number;
  hostIp?: string;
  packets: number;
  bytes: number;
}

/**
 * Why weft's rules dropped a packet: icc (between containers of a network with ICC off),
 * isolation (towards another network's bridge, not through a published port), internal
 * (leaving or entering an internal network), unpublished (into a network from elsewhere, not
 * a reply nor a published port).
 */
export type DropReason = 'icc' | 'isolation' | 'internal' | 'unpublished';

/**
 * Kernel counters of one network's filter rules, both families together: packets the host
 * forwarded out of its bridge (out) and into it (in), and packets dropped, by reason (only
 * the reasons the network has a rule for).
 */
export interface NetworkCounter {
  /** The tag the network's chains are named with (its id's first 12 characters). */
  tag: string;
  forwardedOut: number;
  forwardedIn: number;
  dropped: Partial<Record<DropReason, number>>;
}

export interface FirewallBackend {
  readonly name: 'iptables' | 'nftables';
  /**
   * Create weft's own chains/table and the jumps from the built-in chains (once),
   * enable what forwarding needs. Idempotent; also repairs a flushed ruleset.
   */
  init(): Promise<void>;
  /** Add (or replace) the rules of one network. Idempotent. */
  addNetwork(net: FirewallNetwork): Promise<void>;
  /** Remove exactly the rules of one network. Idempotent. */
  removeNetwork(net: FirewallNetwork): Promise<void>;
  /** Publish ports of one endpoint (room for the port-publishing issue). */
  addPortMappings(endpointId: string, mappings: PortMapping[]): Promise<void>;
  removePortMappings(endpointId: string, mappings: PortMapping[]): Promise<void>;
  /**
   * Make the published ports exactly these: every other port weft published (a crash left
   * it without an owner) is removed. For the start of the daemon, with no port operation in flight.
   */
  syncPortMappings(mappings: PortMapping[]): Promise<void>;
  /** Remove everything weft created (chains, jumps, table). */
  teardown(): Promise<void>;
  /** Whether weft's base rules are still in place (false after e.g. `nft flush ruleset`). */
  healthy(): Promise<boolean>;
  /** Called after weft itself switched the family's forwarding on (it was off). */
  forwardingEnabled?(family: 4 | 6): Promise<void>;
  /** Every published port's counters, read from the kernel in one call (for a metrics scrape). */
  portCounters(): Promise<PortCounter[]>;
  /** Every network's forwarding and drop counters, read from the kernel in one dump per table (for a scrape). */
  networkCounters(): Promise<NetworkCounter[]>;
  /** Release handles the backend keeps open (the nftables backend's netlink context). */
  close?(): void;
}
