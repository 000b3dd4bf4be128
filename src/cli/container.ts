/**
 * Container commands: run, create, start, stop, kill, restart, rm, ps, logs, exec, port,
 * wait — registered at the top level (`weft run`) and under `weft container` (like docker's
 * management commands). Each sends what the docker CLI sends for the same command line.
 */
import path from 'node:path';
import { Command } from 'commander';
import {
  ApiError, encodeFilters, readAll, UsageError, type ApiClient, type StreamResponse,
} from './client.js';
import { collect, Ctx, describeError, enc, ExitError, forEachTarget, keyValues } from './context.js';
import {
  displayablePorts, ellipsis, goTimeString, humanSize, runningFor, stateString, type PortSummary,
} from './humanize.js';
import { naturalCompare } from './network.js';
import { portMaps, type PortBinding } from './ports.js';
import { copyStream, rawCopy, stdCopy } from './stdcopy.js';
import { formatInspect, formatList, type ListSpec } from './table.js';

// ---------------------------------------------------------------------------------------
// run / create: options and the create body

export interface RunOptions {
  detach?: boolean;
  rm?: boolean;
  name?: string;
  network: string[];
  ip?: string;
  ip6?: string;
  networkAlias: string[];
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  env: string[];
  workdir?: string;
  hostname?: string;
  rootfs?: string;
  label: string[];
  entrypoint?: string;
  user?: string;
  restart?: string;
}

interface Attachment {
  target: string;
  aliases: string[];
  ipv4?: string;
  ipv6?: string;
  linkLocalIps: string[];
  driverOpts: Record<string, string>;
}

/** `--network net1` or the advanced `--network name=net1,alias=a,ip=...,ip6=...`. */
export function parseNetworkFlag(value: string): Attachment {
  const a: Attachment = { target: value, aliases: [], linkLocalIps: [], driverOpts: {} };
  if (!value.includes('=')) return a;
  a.target = '';
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid field '${field}' must be a key=value pair`);
    const k = field.slice(0, eq).trim().toLowerCase();
    const v = field.slice(eq + 1).trim();
    switch (k) {
      case 'name': a.target = v; break;
      case 'alias': a.aliases.push(v); break;
      case 'ip': a.ipv4 = v; break;
      case 'ip6': a.ipv6 = v; break;
      case 'link-local-ip': a.linkLocalIps.push(v); break;
      case 'driver-opt': {
        const e = v.indexOf('=');
        a.driverOpts[e < 0 ? v : v.slice(0, e)] = e < 0 ? '' : v.slice(e + 1);
        break;
      }
      default: throw new UsageError(`invalid field key ${k}`);
    }
  }
  if (!a.target) throw new UsageError(`network name is required in --network ${value}`);
  return a;
}

const isUserDefined = (mode: string) =>
  !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');

function endpointSettings(a: Attachment): Record<string, unknown> {
  const ipam: Record<string, unknown> = {};
  if (a.ipv4) ipam.IPv4Address = a.ipv4;
  if (a.ipv6) ipam.IPv6Address = a.ipv6;
  if (a.linkLocalIps.length) ipam.LinkLocalIPs = a.linkLocalIps;
  return {
    IPAMConfig: Object.keys(ipam).length ? ipam : null,
    Links: null,
    Aliases: a.aliases.length ? a.aliases : null,
    MacAddress: '',
    DriverOpts: Object.keys(a.driverOpts).length ? a.driverOpts : null,
    GwPriority: 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

const isZeroAttachment = (a: Attachment) =>
  !a.ipv4 && !a.ipv6 && a.aliases.length === 0 && a.linkLocalIps.length === 0 && Object.keys(a.driverOpts).length === 0;

/**
 * HostConfig.NetworkMode and NetworkingConfig.EndpointsConfig exactly as docker's
 * parseNetworkOpts builds them:
 *  - no --network: NetworkMode "default" and an EndpointsConfig entry "default" (the
 *    daemon reads "default" as "bridge");
 *  - the first --network is NetworkMode; the legacy --ip/--ip6/--network-alias apply to it;
 *  - every network gets an entry, except a single network with no endpoint options
 *    (then EndpointsConfig is {} and the daemon attaches NetworkMode itself).
 */
export function networkConfig(o: Pick<RunOptions, 'network' | 'ip' | 'ip6' | 'networkAlias'>): {
  networkMode: string; endpoints: Record<string, Record<string, unknown>>;
} {
  const attachments = o.network.map(parseNetworkFlag);
  const implicit = attachments.length === 0;
  if (implicit) attachments.push({ target: 'default', aliases: [], linkLocalIps: [], driverOpts: {} });
  const first = attachments[0]!;
  if (o.networkAlias.length && first.aliases.length) {
    throw new UsageError('conflicting options: cannot specify both --network-alias and per-network alias');
  }
  if (o.ip && first.ipv4) throw new UsageError('conflicting options: cannot specify both --ip and per-network IPv4 address');
  if (o.ip6 && first.ipv6) throw new UsageError('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
  if (o.ip) first.ipv4 = o.ip;
  if (o.ip6) first.ipv6 = o.ip6;
  first.aliases.push(...o.networkAlias);

  const endpoints: Record<string, Record<string, unknown>> = {};
  let userDefined = false, nonUserDefined = false;
  attachments.forEach((a, i) => {
    if (!implicit) {
      if (isUserDefined(a.target)) userDefined = true; else nonUserDefined = true;
    }
    if (a.aliases.length && !isUserDefined(a.target)) {
      throw new UsageError('network-scoped aliases are only supported for user-defined networks');
    }
    if (endpoints[a.target]) throw new UsageError(`network "${a.target}" is specified multiple times`);
    if (!implicit && i === 0 && attachments.length === 1 && isZeroAttachment(a)) return;
    endpoints[a.target] = endpointSettings(a);
  });
  if (userDefined && nonUserDefined) {
    throw new UsageError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  }
  return { networkMode: first.target, endpoints };
}

/** `-e K=V` as is; `-e K` takes K from the client's environment when set (docker's ValidateEnv). */
export function resolveEnv(list: string[], env: Record<string, string | undefined>): string[] {
  return list.map((item) => {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === '') throw new UsageError(`invalid environment variable: ${item}`);
    if (eq >= 0) return item;
    const v = env[key];
    return v === undefined ? item : `${key}=${v}`;
  });
}

function restartPolicy(spec: string | undefined): { Name: string; MaximumRetryCount: number } {
  if (!spec) return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = spec.split(':', 2) as [string, string | undefined];
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new UsageError(`invalid restart policy '${name}'`);
  }
  if (count !== undefined && (name !== 'on-failure' || !/^\d+$/.test(count))) {
    throw new UsageError(`invalid restart policy format: ${spec}`);
  }
  return { Name: name, MaximumRetryCount: count ? Number(count) : 0 };
}

/**
 * Split the positional words into IMAGE and CMD. With --rootfs DIR the image is the
 * absolute DIR (weft's convention) and every word is CMD.
 */
export function imageAndCmd(args: string[], rootfs: string | undefined, cwd: string): { image: string; cmd: string[] } {
  if (rootfs) return { image: path.resolve(cwd, rootfs), cmd: args };
  if (args.length === 0) throw new UsageError('requires at least 1 argument (IMAGE, or --rootfs DIR)');
  return { image: args[0]!, cmd: args.slice(1) };
}

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
    HostConfig: {
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
    },
    NetworkingConfig: { EndpointsConfig: endpoints },
  });
  return body;
}

function addRunOptions(cmd: Command): Command {
  return cmd
    // -h is --hostname, as in docker; help is --help only.
    .helpOption('--help', 'Print usage')
    .option('--name <name>', 'Assign a name to the container')
    .option('--network <network>', 'Connect a container to a network (repeatable; name=N,alias=A,ip=IP,ip6=IP form accepted)', collect, [])
    .option('--net <network>', 'Alias of --network', collect, [])
    .option('--ip <address>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--ip6 <address>', 'IPv6 address (e.g., 2001:db8::33)')
    .option('--network-alias <alias>', 'Add network-scoped alias for the container (repeatable)', collect, [])
    .option('--net-alias <alias>', 'Alias of --network-alias', collect, [])
    .option('-p, --publish <spec>', "Publish a container's port(s) to the host (repeatable)", collect, [])
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--expose <port>', 'Expose a port or a range of ports (repeatable)', collect, [])
    .option('-e, --env <KEY=VALUE>', 'Set environment variables (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .option('-h, --hostname <name>', 'Container host name')
    .option('-u, --user <user>', 'Username or UID')
    .option('-l, --label <key=value>', 'Set meta data on a container (repeatable)', collect, [])
    .option('--entrypoint <cmd>', 'Overwrite the default ENTRYPOINT of the image')
    .option('--restart <policy>', 'Restart policy to apply when a container exits', undefined)
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--rootfs <dir>', "weft: use this directory as the container's root filesystem (then IMAGE is omitted)")
    .argument('[image-and-command...]', 'IMAGE [COMMAND] [ARG...] (COMMAND [ARG...] with --rootfs)')
    .passThroughOptions();
}

function mergeAliases(o: RunOptions & { net: string[]; netAlias: string[] }): RunOptions {
  return { ...o, network: [...o.network, ...o.net], networkAlias: [...o.networkAlias, ...o.netAlias] };
}

interface CreateResponse {
  Id?: string;
  Warnings?: string[] | null;
}

async function createContainer(ctx: Ctx, args: string[], o: RunOptions, attach: boolean): Promise<string> {
  const body = containerCreateBody(args, o, { env: ctx.io.env, cwd: process.cwd(), attach });
  const res = await ctx.client().post<CreateResponse>('/containers/create', body, { name: o.name });
  for (const w of res?.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
  if (!res?.Id) throw new Error('the daemon returned no container id');
  return res.Id;
}

/**
 * Like docker: a missing IMAGE is an argument error (exit 1), with docker's wording.
 * With --rootfs no word is required (the image's default command does not exist, but
 * that is for the daemon to say).
 */
function requireImage(ctx: Ctx, command: string, args: string[], o: RunOptions): void {
  if (o.rootfs || args.length > 0) return;
  ctx.err(`weft: 'weft ${command}' requires at least 1 argument\n\nSee 'weft ${command} --help' for more information\n`);
  throw new ExitError(1);
}

/** run/create failures: "weft: <error>" + the help hint, exit 125 (docker's convention). */
function runFailure(ctx: Ctx, command: string, err: unknown): never {
  if (err instanceof ExitError) throw err;
  ctx.err(`weft: ${describeError(err)}\n\nRun 'weft ${command} --help' for more information\n`);
  throw new ExitError(125);
}

/** Read a wait response body: {"StatusCode": N, "Error": null | {"Message": "..."}}. */
async function waitResult(resp: StreamResponse): Promise<{ StatusCode: number; Error?: { Message?: string } | null }> {
  const text = (await readAll(resp.stream)).toString('utf8').trim();
  if (!text) throw new Error('wait ended without a status (connection closed by the daemon)');
  return JSON.parse(text.split('\n').pop()!) as { StatusCode: number; Error?: { Message?: string } | null };
}

/** Wait for `p` at most `ms`; resolves either way. */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.then(() => { clearTimeout(t); resolve(); }, () => { clearTimeout(t); resolve(); });
  });
}

/**
 * Foreground run, in docker's order: attach (hijacked, 101), wait?condition=next-exit
 * (or `removed` with --rm) with its headers in before start, then start; stream the
 * output until the container exits and return its exit code.
 *
 * If the daemon does not offer attach (any error status), the output comes from
 * GET /containers/{id}/logs?follow=1 after start instead; with --rm and a container that
 * exits at once, that fallback can miss output, which attach cannot.
 */
async function runAttached(ctx: Ctx, client: ApiClient, id: string, o: RunOptions): Promise<number> {
  let attach: StreamResponse | undefined;
  try {
    attach = await client.hijack('POST', `/containers/${id}/attach`, { query: { stream: true, stdout: true, stderr: true } });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    attach = undefined;
  }
  let wait: StreamResponse;
  try {
    wait = await client.stream('POST', `/containers/${id}/wait`, { query: { condition: o.rm ? 'removed' : 'next-exit' } });
  } catch (err) {
    attach?.close();
    throw err;
  }
  const uninstall = ctx.io.onSignal((signal) => {
    client.post(`/containers/${id}/kill`, undefined, { signal: signal.replace(/^SIG/, '') }).catch(() => undefined);
  });
  try {
    try {
      await client.post(`/containers/${id}/start`);
    } catch (err) {
      attach?.close();
      wait.close();
      throw err;
    }
    let output: Promise<void>;
    if (attach) {
      output = copyStream(attach.stream, attach.contentType, ctx.io.stdout, ctx.io.stderr);
    } else {
      output = (async () => {
        let logs: StreamResponse;
        try {
          logs = await client.stream('GET', `/containers/${id}/logs`, { query: { follow: true, stdout: true, stderr: true } });
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) return; // already removed (--rm)
          throw err;
        }
        await copyStream(logs.stream, logs.contentType, ctx.io.stdout, ctx.io.stderr);
      })();
    }
    output.catch(() => undefined);
    const status = await waitResult(wait);
    // The daemon closes the output stream when the process ends; give it time to drain,
    // but never hang on a stream that is not closed.
    await within(output, 5000);
    attach?.close();
    await output.catch((err: unknown) => { ctx.err(`${describeError(err)}\n`); });
    if (status.Error?.Message) throw new Error(status.Error.Message);
    return status.StatusCode ?? 0;
  } finally {
    uninstall();
  }
}

// ---------------------------------------------------------------------------------------
// ps

export interface ContainerSummary {
  Id?: string;
  Names?: string[] | null;
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: PortSummary[] | null;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  SizeRw?: number;
  SizeRootFs?: number;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: { Name?: string; Source?: string }[] | null;
}

function imageColumn(c: ContainerSummary, trunc: boolean): string {
  const image = c.Image ?? '';
  if (!image) return '<no image>';
  if (!trunc) return image;
  if (image.startsWith('sha256:')) return image.slice(7, 19);
  const at = image.indexOf('@sha256:');
  return at > 0 ? image.slice(0, at) : image;
}

function namesColumn(names: string[] | null | undefined, trunc: boolean): string {
  // Docker strips the first character unconditionally (the daemon sends "/web").
  const stripped = (names ?? []).map((n) => n.slice(1));
  if (trunc) {
    const plain = stripped.find((n) => !n.includes('/'));
    if (plain !== undefined) return plain;
  }
  return stripped.join(',');
}

/** The fields docker's container formatter exposes (keys sorted, as its json output). */
export function containerRow(c: ContainerSummary, trunc: boolean, now: number): Record<string, string | null> {
  const id = c.Id ?? '';
  const command = c.Command ?? '';
  return {
    Command: JSON.stringify(trunc ? ellipsis(command, 20) : command),
    CreatedAt: c.Created ? goTimeString(c.Created * 1000) : '',
    ID: trunc ? id.slice(0, 12) : id,
    Image: imageColumn(c, trunc),
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: '0',
    Mounts: (c.Mounts ?? []).map((m) => m.Name || m.Source || '').join(','),
    Names: namesColumn(c.Names, trunc),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    Platform: null,
    Ports: displayablePorts(c.Ports),
    RunningFor: runningFor(c.Created, now),
    Size: (c.SizeRootFs ?? 0) > 0
      ? `${humanSize(c.SizeRw ?? 0)} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : humanSize(c.SizeRw ?? 0),
    State: c.State ?? '',
    // The daemon's Status is printed verbatim, as docker does; "Created"/"Exited" fallbacks
    // for a daemon that leaves it empty.
    Status: c.Status || (c.State ? stateString({ Status: c.State }, now) || c.State : ''),
  };
}

export const CONTAINER_LIST: ListSpec = {
  columns: [
    { field: 'ID', header: 'CONTAINER ID' },
    { field: 'Image', header: 'IMAGE' },
    { field: 'Command', header: 'COMMAND' },
    { field: 'RunningFor', header: 'CREATED' },
    { field: 'Status', header: 'STATUS' },
    { field: 'Ports', header: 'PORTS' },
    { field: 'Names', header: 'NAMES' },
  ],
  headers: { CreatedAt: 'CREATED AT', State: 'STATE', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', Size: 'SIZE', LocalVolumes: 'LOCAL VOLUMES' },
  idField: 'ID',
};

// ---------------------------------------------------------------------------------------
// logs

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** --since/--until: unix seconds, RFC 3339, or a Go duration relative to now ("10m", "1h30m"). */
export function parseTimestamp(value: string, now: number): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const dur = /^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/.test(value);
  if (dur) {
    let secs = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) secs += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    return String(Math.floor(now / 1000 - secs));
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`invalid value for "since"/"until": ${value}`);
  return String(Math.floor(t / 1000));
}

// ---------------------------------------------------------------------------------------
// Registration

function intOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}

/**
 * Register the container commands on `parent` (the program, or the `container` group).
 * `group` = under `weft container`: `ls` is the name of ps there, and inspect is container-only.
 */
export function registerContainerCommands(parent: Command, ctx: Ctx, group = false): void {
  const prefix = group ? 'container ' : '';

  addRunOptions(parent.command('run').description('Create and run a new container from an image'))
    .option('-d, --detach', 'Run container in background and print container ID')
    .action(async (args: string[], raw: RunOptions & { net: string[]; netAlias: string[] }) => {
      const o = mergeAliases(raw);
      requireImage(ctx, `${prefix}run`, args, o);
      let id: string;
      try {
        id = await createContainer(ctx, args, o, !o.detach);
        if (o.detach) {
          // Like docker: the wait goes out (headers in) before start, and is dropped unread.
          const client = ctx.client();
          const wait = await client.stream('POST', `/containers/${id}/wait`, { query: { condition: o.rm ? 'removed' : 'next-exit' } });
          try {
            await client.post(`/containers/${id}/start`);
          } finally {
            wait.close();
          }
          ctx.out(`${id}\n`);
          return;
        }
        ctx.exitCode = await runAttached(ctx, ctx.client(), id, o);
      } catch (err) {
        runFailure(ctx, `${prefix}run`, err);
      }
    });

  addRunOptions(parent.command('create').description('Create a new container'))
    .action(async (args: string[], raw: RunOptions & { net: string[]; netAlias: string[] }) => {
      const o = mergeAliases(raw);
      requireImage(ctx, `${prefix}create`, args, o);
      try {
        ctx.out(`${await createContainer(ctx, args, o, true)}\n`);
      } catch (err) {
        runFailure(ctx, `${prefix}create`, err);
      }
    });

  parent
    .command('start')
    .description('Start one or more stopped containers')
    .argument('<container...>')
    .action(async (names: string[]) => {
      await forEachTarget(ctx, names, (n) => ctx.client().post(`/containers/${enc(n)}/start`), (n) => ctx.out(`${n}\n`));
    });

  parent
    .command('stop')
    .description('Stop one or more running containers')
    .argument('<container...>')
    .option('-t, --timeout <seconds>', 'Seconds to wait before killing the container')
    .option('-s, --signal <signal>', 'Signal to send to the container')
    .action(async (names: string[], o: { timeout?: string; signal?: string }) => {
      const query = { t: intOption(o.timeout, '--timeout'), signal: o.signal };
      await forEachTarget(ctx, names, (n) => ctx.client().post(`/containers/${enc(n)}/stop`, undefined, query), (n) => ctx.out(`${n}\n`));
    });

  parent
    .command('restart')
    .description('Restart one or more containers')
    .argument('<container...>')
    .option('-t, --timeout <seconds>', 'Seconds to wait before killing the container')
    .option('-s, --signal <signal>', 'Signal to send to the container')
    .action(async (names: string[], o: { timeout?: string; signal?: string }) => {
      const query = { t: intOption(o.timeout, '--timeout'), signal: o.signal };
      await forEachTarget(ctx, names, (n) => ctx.client().post(`/containers/${enc(n)}/restart`, undefined, query), (n) => ctx.out(`${n}\n`));
    });

  parent
    .command('kill')
    .description('Kill one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'Signal to send to the container')
    .action(async (names: string[], o: { signal?: string }) => {
      await forEachTarget(ctx, names, (n) => ctx.client().post(`/containers/${enc(n)}/kill`, undefined, { signal: o.signal }), (n) => ctx.out(`${n}\n`));
    });

  parent
    .command('rm')
    .alias('remove')
    .description('Remove one or more containers')
    .argument('<container...>')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .option('-l, --link', 'Remove the specified link')
    .action(async (names: string[], o: { force?: boolean; volumes?: boolean; link?: boolean }) => {
      const query = { force: !!o.force, v: !!o.volumes, link: !!o.link };
      await forEachTarget(ctx, names, (n) => ctx.client().delete(`/containers/${enc(n)}`, query), (n) => ctx.out(`${n}\n`));
    });

  const ps = parent.command(group ? 'ls' : 'ps');
  (group ? ps.aliases(['ps', 'list']) : ps)
    .description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-q, --quiet', 'Only display container IDs')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided (repeatable)', collect, [])
    .option('--format <format>', "Format output: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'")
    .option('--no-trunc', "Don't truncate output")
    .option('-n, --last <n>', 'Show n last created containers (includes all states)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('-s, --size', 'Display total file sizes')
    .action(async (o: { all?: boolean; quiet?: boolean; filter: string[]; format?: string; trunc: boolean; last?: string; latest?: boolean; size?: boolean }) => {
      const limit = o.latest ? 1 : intOption(o.last, '--last');
      const query = {
        all: !!o.all,
        filters: encodeFilters(o.filter),
        limit: limit !== undefined && limit > 0 ? limit : undefined,
        size: !!o.size,
      };
      const list = (await ctx.client().get<ContainerSummary[]>('/containers/json', query)) ?? [];
      if (!Array.isArray(list)) throw new Error('Error reading JSON: expected an array of containers');
      const now = ctx.io.now();
      ctx.out(formatList(list.map((c) => containerRow(c, o.trunc, now)), CONTAINER_LIST, o));
    });

  parent
    .command('logs')
    .description('Fetch the logs of a container')
    .argument('<container>')
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <n>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--since <time>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m")')
    .option('--until <time>', 'Show logs before a timestamp or relative (e.g. "42m")')
    .action(async (name: string, o: { follow?: boolean; tail: string; timestamps?: boolean; since?: string; until?: string }) => {
      const client = ctx.client();
      const info = await client.get<{ Id?: string; Config?: { Tty?: boolean } | null }>(`/containers/${enc(name)}/json`);
      const now = ctx.io.now();
      const logs = await client.stream('GET', `/containers/${enc(info?.Id || name)}/logs`, {
        query: {
          stdout: true,
          stderr: true,
          follow: !!o.follow,
          tail: o.tail,
          timestamps: !!o.timestamps,
          since: o.since ? parseTimestamp(o.since, now) : undefined,
          until: o.until ? parseTimestamp(o.until, now) : undefined,
        },
      });
      if (info?.Config?.Tty) await rawCopy(logs.stream, ctx.io.stdout);
      else await stdCopy(logs.stream, ctx.io.stdout, ctx.io.stderr);
    });

  parent
    .command('exec')
    .description('Execute a command in a running container')
    .argument('<container>')
    .argument('<command...>')
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('-e, --env <KEY=VALUE>', 'Set environment variables (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .option('-u, --user <user>', 'Username or UID')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .passThroughOptions()
    .action(async (name: string, cmd: string[], o: {
      detach?: boolean; env: string[]; workdir?: string; user?: string; interactive?: boolean; privileged?: boolean;
    }) => {
      const client = ctx.client();
      const env = resolveEnv(o.env, ctx.io.env);
      const attach = !o.detach;
      // docker inspects first (existence check; "No such container" comes from here).
      await client.get(`/containers/${enc(name)}/json`);
      const created = await client.post<{ Id?: string }>(`/containers/${enc(name)}/exec`, {
        User: o.user ?? '',
        Privileged: !!o.privileged,
        Tty: false,
        AttachStdin: attach && !!o.interactive,
        AttachStderr: attach,
        AttachStdout: attach,
        Detach: !!o.detach,
        DetachKeys: '',
        Env: env.length ? env : null,
        WorkingDir: o.workdir ?? '',
        Cmd: cmd,
      });
      const execId = created?.Id;
      if (!execId) throw new Error('exec ID empty');
      if (o.detach) {
        await client.post(`/exec/${execId}/start`, { Detach: true, Tty: false });
        return;
      }
      const started = await client.hijack('POST', `/exec/${execId}/start`, { body: { Detach: false, Tty: false } });
      if (o.interactive && started.socket) {
        const sock = started.socket;
        ctx.io.stdin.on('data', (chunk: Buffer) => sock.write(chunk));
        ctx.io.stdin.once('end', () => sock.end());
        ctx.io.stdin.resume();
      }
      try {
        await copyStream(started.stream, started.contentType, ctx.io.stdout, ctx.io.stderr);
      } finally {
        if (o.interactive) ctx.io.stdin.pause();
        started.close();
      }
      const info = await client.get<{ ExitCode?: number | null; Running?: boolean }>(`/exec/${execId}/json`);
      ctx.exitCode = info?.ExitCode ?? 0;
    });

  parent
    .command('port')
    .description('List port mappings or a specific mapping for the container')
    .argument('<container>')
    .argument('[private-port]', 'PRIVATE_PORT[/PROTO]')
    .action(async (name: string, privatePort: string | undefined) => {
      const info = await ctx.client().get<{ NetworkSettings?: { Ports?: Record<string, PortBinding[] | null> | null } }>(
        `/containers/${enc(name)}/json`);
      const ports = info?.NetworkSettings?.Ports ?? {};
      const hostPort = (b: PortBinding) => (b.HostIp.includes(':') ? `[${b.HostIp}]:${b.HostPort}` : `${b.HostIp}:${b.HostPort}`);
      const out: string[] = [];
      if (privatePort !== undefined) {
        const [port, proto = 'tcp'] = privatePort.split('/', 2) as [string, string | undefined];
        if (!/^\d+$/.test(port) || Number(port) > 65535) throw new UsageError(`Error: invalid port (${port})`);
        const frontends = ports[`${port}/${proto || 'tcp'}`];
        if (!frontends || frontends.length === 0) {
          throw new UsageError(`Error: No public port '${privatePort}' published for ${name}`);
        }
        for (const f of frontends) out.push(hostPort(f));
      } else {
        for (const [from, frontends] of Object.entries(ports)) {
          for (const f of frontends ?? []) out.push(`${from} -> ${hostPort(f)}`);
        }
      }
      out.sort(naturalCompare);
      if (out.length) ctx.out(`${out.join('\n')}\n`);
    });

  parent
    .command('wait')
    .description('Block until one or more containers stop, then print their exit codes')
    .argument('<container...>')
    .action(async (names: string[]) => {
      await forEachTarget(ctx, names,
        async (n) => {
          const resp = await ctx.client().stream('POST', `/containers/${enc(n)}/wait`);
          const r = await waitResult(resp);
          if (r.Error?.Message) throw new Error(r.Error.Message);
          return r.StatusCode;
        },
        (_n, code) => ctx.out(`${code}\n`));
    });

  if (group) {
    parent
      .command('inspect')
      .description('Display detailed information on one or more containers')
      .argument('<container...>')
      .option('-f, --format <format>', "Format output: 'json' or a Go template")
      .option('-s, --size', 'Display total file sizes')
      .action(async (names: string[], o: { format?: string; size?: boolean }) => {
        const found: unknown[] = [];
        const errors: unknown[] = [];
        for (const n of names) {
          try {
            found.push(await ctx.client().get(`/containers/${enc(n)}/json`, { size: !!o.size }));
          } catch (err) {
            if (!(err instanceof ApiError)) throw err;
            errors.push(err);
          }
        }
        ctx.out(formatInspect(found, o.format));
        for (const e of errors) ctx.report(e);
      });
  }
}
