/**
 * The container record behind /containers (persisted under container/<id>) and the request
 * that creates one.
 */
import type { PortBinding } from '../contracts/firewall.js';
import type { HealthcheckConfig } from '../contracts/healthcheck.js';

export type ContainerStatus = 'created' | 'running' | 'exited' | 'removing';

export interface EndpointConfig {
  ipv4?: string;
  ipv6?: string;
  aliases?: string[];
  /** EndpointSettings.Links: "container[:alias]", resolved by this endpoint only. */
  links?: string[];
  macAddress?: string;
  linkLocalIps?: string[];
  driverOpts?: { [key: string]: string };
  gwPriority?: number;
}

/**
 * Config and HostConfig fields weft accepts without modelling them, as the client sent them
 * (API field names): container inspect returns them over dockerd's defaults.
 */
export interface KeptFields {
  config: { [field: string]: unknown };
  hostConfig: { [field: string]: unknown };
}

/** HostConfig's name-resolution fields: Links ("container[:alias]"), ExtraHosts ("name:ip"), Dns*. */
export interface ResolutionConfig {
  links: string[];
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

/** Config.Healthcheck as the client sent it. */
export type { HealthcheckConfig };

/** State.Health: the daemon's probes of a running container. */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  /** The stored image's id (sha256:...); absent for a rootfs directory and the built-in busybox. */
  imageId?: string;
  rootfs: string;
  cmd: string[];
  env: string[];
  workdir: string;
  hostname: string;
  created: string;
  /** "bridge", "host", "none", or a network name/id: the primary network. */
  networkMode: string;
  /** Networks to join at start, in order (primary first), with per-network config. */
  networks: { name: string; config: EndpointConfig }[];
  portBindings: PortBinding[];
  exposedPorts: string[];
  publishAll: boolean;
  autoRemove: boolean;
  labels: { [key: string]: string };
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  restartCount: number;
  /** Absent in records written before fields were kept. */
  kept?: KeptFields;
  /** Absent: nothing asked for. */
  resolution?: ResolutionConfig;
  healthcheck?: HealthcheckConfig;
  health?: HealthState;
  /** The main process gets a terminal (Config.Tty). */
  tty?: boolean;
  /** Config.OpenStdin / Config.StdinOnce: the main process reads what attached clients send. */
  openStdin?: boolean;
  stdinOnce?: boolean;
  /** Config.AttachStdin/-out/-err: which streams the creator means to attach (dockerpty reads them). */
  attach?: { stdin: boolean; stdout: boolean; stderr: boolean };
}

export interface ContainerCreateRequest {
  name?: string;
  image: string;
  /** Resolved root filesystem for the image: a directory, or overlay lower directories joined by ':'. */
  rootfs: string;
  imageId?: string;
  cmd: string[];
  env?: string[];
  workdir?: string;
  hostname?: string;
  networkMode?: string;
  networks?: { name: string; config: EndpointConfig }[];
  portBindings?: PortBinding[];
  exposedPorts?: string[];
  publishAll?: boolean;
  autoRemove?: boolean;
  labels?: { [key: string]: string };
  kept?: KeptFields;
  resolution?: ResolutionConfig;
  healthcheck?: HealthcheckConfig;
  tty?: boolean;
  openStdin?: boolean;
  stdinOnce?: boolean;
  attach?: { stdin: boolean; stdout: boolean; stderr: boolean };
}

/** Docker's zero time, for a container that never started or never finished. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * A new record in state "created". networks: the resolved list to join; mode: the resolved
 * network mode (host mode discards published ports and names the host "weft-host").
 */
export function newContainerRecord(
  id: string, name: string, mode: string, networks: ContainerRecord['networks'], req: ContainerCreateRequest,
): ContainerRecord {
  return {
    id,
    name,
    image: req.image,
    ...(req.imageId ? { imageId: req.imageId } : {}),
    rootfs: req.rootfs,
    cmd: req.cmd,
    env: req.env ?? [],
    workdir: req.workdir ?? '',
    hostname: req.hostname || (mode === 'host' ? 'weft-host' : id.slice(0, 12)),
    created: new Date().toISOString(),
    networkMode: mode,
    networks: networks.map((n) => ({ name: n.name, config: n.config })),
    portBindings: mode === 'host' ? [] : (req.portBindings ?? []),
    exposedPorts: req.exposedPorts ?? [],
    publishAll: !!req.publishAll,
    autoRemove: !!req.autoRemove,
    labels: req.labels ?? {},
    status: 'created',
    pid: 0,
    exitCode: 0,
    startedAt: ZERO_TIME,
    finishedAt: ZERO_TIME,
    restartCount: 0,
    ...(req.kept ? { kept: req.kept } : {}),
    ...(req.resolution ? { resolution: req.resolution } : {}),
    ...(req.healthcheck ? { healthcheck: req.healthcheck } : {}),
    tty: !!req.tty,
    openStdin: !!req.openStdin,
    stdinOnce: !!req.stdinOnce,
    attach: req.attach ?? { stdin: false, stdout: false, stderr: false },
  };
}

/** Store keys of container records: this prefix and the id. */
export const CONTAINER_KEY_PREFIX = 'container/';
