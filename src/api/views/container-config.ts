/**
 * Config and HostConfig of container inspect: what the client sent (the kept fields) over
 * dockerd's defaults, and what weft models itself over both.
 */
import type { ContainerRecord } from '../../engine/containers.js';
import { parseLink } from '../../engine/links.js';
import type { ContainerInspect } from '../types.js';
import { requestedBindingsJson } from './container-networks.js';

/**
 * HostConfig as dockerd returns it for a container created with nothing set, on a host like
 * weft's (cgroup v1: cgroupns "host"). MaskedPaths/ReadonlyPaths are null: weft masks none.
 */
const HOST_CONFIG_DEFAULTS = {
  Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, VolumeDriver: '', VolumesFrom: null,
  ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: [], DnsOptions: [], DnsSearch: [],
  ExtraHosts: null, GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
  Privileged: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 67108864,
  Runtime: 'runc', Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0,
  BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
  CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [],
  DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null,
  OomKillDisable: false, PidsLimit: null, Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
  MaskedPaths: null, ReadonlyPaths: null,
};

/** dockerd stores these as given, but answers the zero value with what it uses. */
const ZERO_MEANS_DEFAULT = ['Runtime', 'ShmSize', 'IpcMode', 'CgroupnsMode'];

function keptOver<T extends object>(defaults: T, kept: { [k: string]: unknown }): T & { [k: string]: unknown } {
  const out: { [k: string]: unknown } = { ...(defaults as { [k: string]: unknown }) };
  for (const [k, v] of Object.entries(kept)) {
    if (ZERO_MEANS_DEFAULT.includes(k) && !v) continue;
    out[k] = v;
  }
  return out as T & { [k: string]: unknown };
}

export function hostConfigJson(c: ContainerRecord): ContainerInspect['HostConfig'] {
  return {
    ...keptOver(HOST_CONFIG_DEFAULTS, c.kept?.hostConfig ?? {}),
    NetworkMode: c.networkMode,
    PortBindings: requestedBindingsJson(c.portBindings),
    AutoRemove: c.autoRemove,
    PublishAllPorts: c.publishAll,
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    ...resolutionJson(c),
  };
}

/** HostConfig's name-resolution fields; Links as dockerd returns them ("/child:/linker/alias"). */
function resolutionJson(c: ContainerRecord) {
  const r = c.resolution;
  const links = r?.links.map((l) => parseLink(l)).map(({ name, alias }) => `/${name}:/${c.name}/${alias}`);
  return {
    Links: links?.length ? links : null, ExtraHosts: r?.extraHosts.length ? r.extraHosts : null,
    Dns: r?.dns ?? [], DnsSearch: r?.dnsSearch ?? [], DnsOptions: r?.dnsOptions ?? [],
  };
}

const keptEntrypoint = (c: ContainerRecord): string[] => {
  const e = c.kept?.config.Entrypoint;
  return Array.isArray(e) ? (e as string[]) : [];
};

/** Config.Cmd: the record's command is the entrypoint and the command joined; the client sent them apart. */
export const commandJson = (c: ContainerRecord): string[] => c.cmd.slice(keptEntrypoint(c).length);

/** The Config fields the client sent that weft keeps as they are (User, Attach*, StopTimeout, ...), and the MAC it asked for. */
export function keptConfigJson(c: ContainerRecord): { [field: string]: unknown } {
  const { Entrypoint: _, ...kept } = c.kept?.config ?? {};
  const entrypoint = keptEntrypoint(c);
  const mac = c.networks[0]?.config.macAddress;
  return { ...kept, ...(entrypoint.length ? { Entrypoint: entrypoint } : {}), ...(mac ? { MacAddress: mac } : {}) };
}
