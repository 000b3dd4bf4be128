/** The container create request body. */
import { keyValues } from '../context.js';
import { portMaps } from '../ports.js';
import { imageAndCmd, networkConfig, resolveEnv, restartPolicy, type RunOptions } from './run-flags.js';

/** The POST /containers/create body, in the shape (and key order) the docker CLI sends. */
export function containerCreateBody(args: string[], o: RunOptions, opts: {
  env: Record<string, string | undefined>; cwd: string; attach: boolean;
}): Record<string, unknown> {
  const { image, cmd } = imageAndCmd(args, o.rootfs, opts.cwd);
  const { exposedPorts, portBindings } = portMaps(o.publish, o.expose);
  const { networkMode, endpoints } = networkConfig(o);
  const env = resolveEnv(o.env, opts.env);
  const body: Record<string, unknown> = {
    Hostname: o.hostname ?? '',
    Domainname: '',
    User: o.user ?? '',
    AttachStdin: false,
    AttachStdout: opts.attach,
    AttachStderr: opts.attach,
  };
  if (Object.keys(exposedPorts).length) body.ExposedPorts = exposedPorts;
  Object.assign(body, {
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: env.length ? env : null,
    Cmd: cmd.length ? cmd : null,
    Image: image,
    Volumes: {},
    WorkingDir: o.workdir ?? '',
    Entrypoint: o.entrypoint !== undefined ? (o.entrypoint === '' ? [''] : [o.entrypoint]) : null,
    OnBuild: null,
    Labels: keyValues(o.label),
    HostConfig: hostConfig(o, networkMode, portBindings),
    NetworkingConfig: { EndpointsConfig: endpoints },
  });
  return body;
}

/** HostConfig as the docker CLI fills it for the flags weft takes; the rest are docker's zero values. */
function hostConfig(o: RunOptions, networkMode: string, portBindings: unknown): Record<string, unknown> {
  return {
    Binds: null,
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: networkMode,
    PortBindings: portBindings,
    RestartPolicy: restartPolicy(o.restart),
    AutoRemove: !!o.rm,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    // The rest are docker's zero values, sent so that weft's requests are the docker CLI's.
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: false,
    PublishAllPorts: !!o.publishAll,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 0,
    Isolation: '',
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: 0,
    Ulimits: [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
  };
}
