/** What the controller persists, and the requests it accepts (already decoded from JSON). */
import type { EndpointInfo, NetworkInfo } from '../contracts/driver.js';
import type { PortBinding } from '../contracts/firewall.js';

export type Lifecycle = 'creating' | 'ready' | 'deleting';

export interface NetworkRecord extends NetworkInfo {
  ipamDriver: string;
  /** null when the request had none (dockerd answers null then, {} for an empty object). */
  ipamOptions: { [key: string]: string } | null;
  /** Whether the user gave the subnets (Docker allows --ip only then). */
  userSubnets: boolean;
  /**
   * IPv6 configs given while IPv6 is off: dockerd keeps them (inspect lists them) and never
   * allocates from them, so an IPv6 address asked for on such a network is kept but not given.
   */
  ipv6Unused?: IpamConfigRequest[];
  /** Predefined networks (bridge, host, none) cannot be removed. */
  predefined: boolean;
  state: Lifecycle;
}

export interface EndpointRecord extends EndpointInfo {
  /** Gateways the driver offered at join (for default-route failover). */
  gateway4?: string;
  gateway6?: string;
  /** Addresses the user asked for (kept so a restart re-requests the same). */
  requestedIpv4?: string;
  requestedIpv6?: string;
  /** The driver offered no gateway and asked for weft_gwbridge (remote drivers' gateway service). */
  gatewayService?: boolean;
  /** Legacy links on a user-defined network, "container[:alias]": names only this endpoint resolves. */
  links?: string[];
  /** EndpointSettings.GwPriority: the highest among a sandbox's endpoints gives its default route. */
  gwPriority?: number;
  state: Lifecycle;
}

export interface SandboxRecord {
  id: string;
  containerId: string;
  /** undefined: the host's namespace (network mode host). */
  nsPath?: string;
  /** Endpoint that provides the default route(s). */
  gatewayEndpoint?: string;
}

export interface IpamConfigRequest {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  auxAddresses?: { [name: string]: string };
}

export interface NetworkCreateRequest {
  name: string;
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  /** false: no IPv4 pool (IPv6-only); absent or true: IPv4 as always. */
  enableIPv4?: boolean;
  enableIPv6?: boolean;
  options?: { [key: string]: string };
  labels?: { [key: string]: string };
  ipam?: { driver?: string; options?: { [key: string]: string }; config?: IpamConfigRequest[] };
}

export interface ConnectRequest {
  ipv4?: string;
  ipv6?: string;
  aliases?: string[];
  portBindings?: PortBinding[];
  /** Container name, used as the endpoint name. */
  name: string;
  macAddress?: string;
  linkLocalIps?: string[];
  driverOpts?: { [key: string]: string };
  links?: string[];
  gwPriority?: number;
}
