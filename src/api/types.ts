/**
 * The Engine API's wire shapes as weft sends them: what a client may import. Types only,
 * so importing this module pulls in no runtime code.
 */

import type { HealthcheckConfig, HealthState } from '../engine/records.js';

export interface ErrorBody { message: string }

export interface PortBindingWire { HostIp: string; HostPort: string }

/** "80/tcp" → its bindings, or null when exposed but not published. */
export type PortMapWire = { [portKey: string]: PortBindingWire[] | null };

export interface EndpointIpamConfigWire { IPv4Address: string; IPv6Address: string; LinkLocalIPs?: string[] }

/** A container's settings on one network (NetworkSettings.Networks[name]). */
export interface EndpointSettingsWire {
  IPAMConfig: EndpointIpamConfigWire | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts?: { [key: string]: string } | null;
  GwPriority?: number;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export interface ContainerStateWire {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

/** GET /containers/:id/json */
export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerStateWire;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  HostConfig: {
    NetworkMode: string;
    PortBindings: { [portKey: string]: PortBindingWire[] };
    AutoRemove: boolean;
    PublishAllPorts: boolean;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    /** The rest of dockerd's HostConfig: what the client sent, or dockerd's defaults. */
    [field: string]: unknown;
    Links?: string[] | null;
    ExtraHosts?: string[] | null;
    Dns?: string[];
    DnsSearch?: string[];
    DnsOptions?: string[];
    LogConfig: { Type: string; Config: { [k: string]: string } };
  };
  Config: {
    Hostname: string;
    Domainname: string;
    User: string;
    AttachStdin: boolean;
    AttachStdout: boolean;
    AttachStderr: boolean;
    ExposedPorts: { [portKey: string]: object };
    Tty: boolean;
    OpenStdin: boolean;
    StdinOnce: boolean;
    Env: string[];
    Cmd: string[];
    Image: string;
    WorkingDir: string;
    Entrypoint: string[] | null;
    Labels: { [key: string]: string };
    [field: string]: unknown;
    Healthcheck?: HealthcheckConfig;
  };
  NetworkSettings: {
    SandboxID: string;
    SandboxKey: string;
    Ports: PortMapWire;
    /** The first endpoint's fields, deprecated since 1.21 and dropped at 1.52. */
    Gateway?: string;
    IPAddress?: string;
    IPPrefixLen?: number;
    MacAddress?: string;
    GlobalIPv6Address?: string;
    GlobalIPv6PrefixLen?: number;
    IPv6Gateway?: string;
    Networks: { [network: string]: EndpointSettingsWire };
  };
  Mounts: unknown[];
}

export interface PortSummaryWire { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }

/** One entry of GET /containers/json */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: PortSummaryWire[];
  Labels: { [key: string]: string };
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: { [network: string]: EndpointSettingsWire } };
  Mounts: unknown[];
}

export interface IpamConfigWire { Subnet: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: { [name: string]: string } }

export interface NetworkContainerWire { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }

/** GET /networks and /networks/:id */
export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: { [k: string]: string } | null; Config: IpamConfigWire[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: { [containerId: string]: NetworkContainerWire };
  Options: { [k: string]: string };
  Labels: { [k: string]: string };
}

/** GET /exec/:id/json */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}

export interface IdResponse { Id: string }
export interface ContainerCreateResponse { Id: string; Warnings: string[] }
export interface NetworkCreateResponse { Id: string; Warning: string }
export interface WaitResponse { StatusCode: number; Error: null }
export interface ContainerPruneResponse { ContainersDeleted: string[]; SpaceReclaimed: number }
export interface NetworkPruneResponse { NetworksDeleted: string[] }
