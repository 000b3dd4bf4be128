/**
 * The HostConfig fields weft keeps without modelling them: each is type-checked, refused when
 * weft cannot honour the value a client relies on, and otherwise kept as sent so inspect
 * returns it. Resource limits are kept and returned but not enforced (weft sets no cgroups);
 * the README's field table says which field is which.
 */
import type { z } from 'zod';
import { arr, bool, int, objOf, refuse, str, strArray, strMap } from './fields.js';

const isSet = (v: unknown): boolean =>
  v !== undefined && v !== false && v !== 0 && v !== '' &&
  !(Array.isArray(v) && !v.length) && !(typeof v === 'object' && v !== null && !Object.keys(v).length);

/** Any value but the zero value is refused with `why`. */
export const unset = <T extends z.ZodType>(schema: T, why: string) => refuse(schema, (v) => (isSet(v) ? why : undefined));

/** Only the zero value or one of `allowed`. */
const oneOf = (path: string, allowed: string[], why: (v: string) => string) =>
  refuse(str(path), (v) => (!v || allowed.includes(v) ? undefined : why(v)));

export const NO_VOLUMES = 'weft does not support volumes or bind mounts (-v/--mount)';
const NO_CGROUPS = 'weft does not place containers in cgroups';

/** json-file's options (moby daemon/logger/jsonfilelog); max-size would rotate, which weft does not do. */
const JSON_FILE_OPTS = ['max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'];
/** Drivers dockerd ships: named with weft's refusal rather than as unknown. */
const OTHER_LOG_DRIVERS = ['none', 'local', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs',
  'logentries'];

function logConfigProblem(type: string, opts: { [k: string]: string }): string | undefined {
  if (OTHER_LOG_DRIVERS.includes(type)) return `weft keeps container output with the json-file log driver only: "${type}" is not supported`;
  if (type !== 'json-file') return `logger: no log driver named '${type}' is registered`;
  if ('max-size' in opts) return 'weft does not rotate container logs: log opt max-size is not supported';
  const bad = Object.keys(opts).find((k) => !JSON_FILE_OPTS.includes(k));
  return bad === undefined ? undefined : `unknown log opt '${bad}' for json-file log driver`;
}

const logConfig = refuse(
  objOf('HostConfig.LogConfig', { Type: str('HostConfig.LogConfig.Type'), Config: strMap('HostConfig.LogConfig.Config') }),
  (l) => (l ? logConfigProblem(l.Type || 'json-file', l.Config ?? {}) : undefined),
).transform((l) => (l ? { Type: l.Type || 'json-file', Config: l.Config ?? {} } : undefined));

/** Kept as sent, not enforced: weft sets no cgroup limits. */
const resources = {
  CgroupParent: str('HostConfig.CgroupParent'),
  BlkioWeight: int('HostConfig.BlkioWeight'),
  BlkioWeightDevice: arr('HostConfig.BlkioWeightDevice'),
  BlkioDeviceReadBps: arr('HostConfig.BlkioDeviceReadBps'),
  BlkioDeviceWriteBps: arr('HostConfig.BlkioDeviceWriteBps'),
  BlkioDeviceReadIOps: arr('HostConfig.BlkioDeviceReadIOps'),
  BlkioDeviceWriteIOps: arr('HostConfig.BlkioDeviceWriteIOps'),
  CpuShares: int('HostConfig.CpuShares'),
  CpuPeriod: int('HostConfig.CpuPeriod'),
  CpuQuota: int('HostConfig.CpuQuota'),
  CpuRealtimePeriod: int('HostConfig.CpuRealtimePeriod'),
  CpuRealtimeRuntime: int('HostConfig.CpuRealtimeRuntime'),
  CpusetCpus: str('HostConfig.CpusetCpus'),
  CpusetMems: str('HostConfig.CpusetMems'),
  CpuCount: int('HostConfig.CpuCount'),
  CpuPercent: int('HostConfig.CpuPercent'),
  NanoCpus: int('HostConfig.NanoCpus'),
  Memory: int('HostConfig.Memory'),
  MemoryReservation: int('HostConfig.MemoryReservation'),
  MemorySwap: int('HostConfig.MemorySwap'),
  MemorySwappiness: int('HostConfig.MemorySwappiness'),
  KernelMemory: int('HostConfig.KernelMemory'),
  KernelMemoryTCP: int('HostConfig.KernelMemoryTCP'),
  OomKillDisable: bool('HostConfig.OomKillDisable'),
  PidsLimit: int('HostConfig.PidsLimit'),
  IOMaximumIOps: int('HostConfig.IOMaximumIOps'),
  IOMaximumBandwidth: int('HostConfig.IOMaximumBandwidth'),
  // Rules that allow devices: without a devices cgroup every device is allowed already.
  DeviceCgroupRules: strArray('HostConfig.DeviceCgroupRules'),
  Devices: unset(arr('HostConfig.Devices'), 'weft does not add devices to containers (--device)'),
  DeviceRequests: unset(arr('HostConfig.DeviceRequests'), 'weft does not give containers GPUs or other device requests (--gpus)'),
  Ulimits: unset(arr('HostConfig.Ulimits'), 'weft does not set resource limits (--ulimit)'),
};

/** Namespaces and privileges: what the runtime gives every container, and nothing else. */
const isolation = {
  // The runtime unshares pid, uts (unless shared with the host), ipc and mount namespaces, never a cgroup or user namespace.
  PidMode: oneOf('HostConfig.PidMode', ['host'], (v) => `weft shares only the host's pid namespace: pid mode "${v}" is not supported`),
  UTSMode: oneOf('HostConfig.UTSMode', ['host'], (v) => `weft shares only the host's UTS namespace: UTS mode "${v}" is not supported`),
  IpcMode: oneOf('HostConfig.IpcMode', ['private'],
    (v) => `weft gives every container a private IPC namespace: IPC mode "${v}" is not supported`),
  CgroupnsMode: oneOf('HostConfig.CgroupnsMode', ['host'], (v) => `${NO_CGROUPS}: cgroup namespace mode "${v}" is not supported`),
  UsernsMode: oneOf('HostConfig.UsernsMode', ['host'], (v) => `weft does not use user namespaces: userns mode "${v}" is not supported`),
  Cgroup: unset(str('HostConfig.Cgroup'), `${NO_CGROUPS} (--cgroup)`),
  // Container processes run as root with every capability: adding one is already true.
  CapAdd: strArray('HostConfig.CapAdd'),
  CapDrop: unset(strArray('HostConfig.CapDrop'), 'weft does not drop capabilities (--cap-drop): container processes keep root\'s'),
  Privileged: unset(bool('HostConfig.Privileged'), 'weft does not run privileged containers (--privileged)'),
  SecurityOpt: unset(strArray('HostConfig.SecurityOpt'),
    'weft does not apply security options (--security-opt: seccomp, AppArmor, SELinux)'),
  MaskedPaths: unset(strArray('HostConfig.MaskedPaths'), 'weft does not mask paths in containers'),
  ReadonlyPaths: unset(strArray('HostConfig.ReadonlyPaths'), 'weft does not make paths read-only in containers'),
  ReadonlyRootfs: unset(bool('HostConfig.ReadonlyRootfs'), 'weft does not mount a read-only root filesystem (--read-only)'),
  OomScoreAdj: unset(int('HostConfig.OomScoreAdj'), 'weft does not adjust OOM scores (--oom-score-adj)'),
  Sysctls: unset(strMap('HostConfig.Sysctls'), 'weft does not set sysctls in containers (--sysctl)'),
  // tini as pid 1 (runtime/init.ts).
  Init: bool('HostConfig.Init'),
  // Group names are resolved in the image's /etc/group at start.
  GroupAdd: strArray('HostConfig.GroupAdd'),
  Runtime: oneOf('HostConfig.Runtime', ['runc'], (v) => `unknown or invalid runtime name: ${v}`),
  Isolation: oneOf('HostConfig.Isolation', ['default'], (v) => `Invalid isolation: "${v}" - linux only supports 'default'`),
};

export const keptHostConfig = {
  ...resources,
  ...isolation,
  ContainerIDFile: str('HostConfig.ContainerIDFile'),
  LogConfig: logConfig,
  ConsoleSize: arr('HostConfig.ConsoleSize'),
  Annotations: strMap('HostConfig.Annotations'),
  // The runtime mounts a 64 MiB /dev/shm, dockerd's default size.
  ShmSize: refuse(int('HostConfig.ShmSize'),
    (v) => (v && v !== 67108864 ? 'weft mounts a 64 MiB /dev/shm: --shm-size is not supported' : undefined)),
  Tmpfs: refuse(strMap('HostConfig.Tmpfs'), (v) => {
    const rel = Object.keys(v ?? {}).find((p) => !p.startsWith('/'));
    if (rel !== undefined) return `invalid mount config for type "tmpfs": invalid mount path: '${rel}' mount path must be absolute`;
  }),
  StorageOpt: unset(strMap('HostConfig.StorageOpt'), 'weft does not support storage options (--storage-opt)'),
  VolumeDriver: unset(str('HostConfig.VolumeDriver'), NO_VOLUMES),
  VolumesFrom: unset(strArray('HostConfig.VolumesFrom'), NO_VOLUMES),
};
