/**
 * /containers and /exec: Docker's create body decoded into weft's request, the
 * inspect/list JSON, and the streaming endpoints (wait, logs, attach, exec start).
 */
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { ContainerRecord, ContainerService, EndpointConfig } from '../engine/containers.js';
import type { Controller } from '../controller/controller.js';
import { Conflict, InvalidArgument, NotFound, WeftError } from '../util/errors.js';
import type { PortBinding, Protocol } from '../contracts/firewall.js';
import { splitCidr } from '../util/ip.js';
import { baseHeaders, field, parseFilters, parseJsonObject, qbool, readJson, sendEmpty, sendJson } from './http.js';
import type { Router } from './router.js';
import { parseUntil } from './networks.js';
import { FileTail, frame, MUX_CONTENT_TYPE } from './streams.js';

export interface ImageResolver {
  /** Root filesystem for an image reference, or NotFound. */
  resolve(image: string): Promise<string>;
  /** The image's default command (its CMD), used when the request has none. */
  defaultCmd?(image: string): string[];
}

/** A port or a port range "N" / "N-M", each 1..65535 (0 and "" mean "any" for host ports). */
function checkPortRange(v: string, allowEmpty: boolean): void {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  const ok = (x: string | undefined) => x === undefined || (Number(x) >= (allowEmpty ? 0 : 1) && Number(x) <= 65535);
  if (v === '' && allowEmpty) return;
  if (!m || !ok(m[1]) || !ok(m[2]) || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
    throw new InvalidArgument(`invalid port specification: "${v}"`);
  }
}

/** dockerd's EndpointIPAMConfig.Validate wording. */
function checkEndpointAddresses(ipv4: string | undefined, ipv6: string | undefined): void {
  if (ipv4 && (!net.isIPv4(ipv4) || ipv4 === '0.0.0.0')) throw new InvalidArgument(`invalid IPv4 address: ${ipv4}`);
  if (ipv6 && (!net.isIPv6(ipv6) || /^[:0]+$/.test(ipv6))) throw new InvalidArgument(`invalid IPv6 address: ${ipv6}`);
}

interface ExecInstance {
  id: string;
  containerId: string;
  cmd: string[];
  env: string[];
  workdir: string;
  attachStdin: boolean;
  running: boolean;
  exitCode: number | null;
  pid: number;
}

export function parsePortKey(key: string): { port: number; end?: number; proto: Protocol } {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(key);
  if (!m) throw new InvalidArgument(`invalid port specification: "${key}"`);
  checkPortRange(m[2] ? `${m[1]}-${m[2]}` : m[1], false);
  return { port: Number(m[1]), ...(m[2] ? { end: Number(m[2]) } : {}), proto: (m[3] ?? 'tcp') as Protocol };
}

function decodePortBindings(hc: { [k: string]: unknown }): PortBinding[] {
  const pb = field.obj(hc, 'PortBindings', 'HostConfig.') ?? {};
  const out: PortBinding[] = [];
  for (const [key, list] of Object.entries(pb)) {
    const { port, end, proto } = parsePortKey(key);
    if (list === null) continue;
    if (!Array.isArray(list)) throw new InvalidArgument(`invalid HostConfig.PortBindings[${key}]: must be an array`);
    for (const b of list as { [k: string]: unknown }[]) {
      const hostIp = (field.str(b, 'HostIp', 'PortBindings.') ?? '').replace(/^\[|\]$/g, '');
      const hp = field.str(b, 'HostPort', 'PortBindings.') ?? '';
      checkPortRange(hp, true);
      if (hostIp && !net.isIP(hostIp)) throw new InvalidArgument(`invalid host IP address: ${hostIp}`);
      const m = /^(\d*)(?:-(\d+))?$/.exec(hp);
      if (!m) throw new InvalidArgument(`invalid host port "${hp}"`);
      out.push({
        proto,
        hostIp,
        hostPort: m[1] ? Number(m[1]) : 0,
        ...(m[2] ? { hostPortEnd: Number(m[2]) } : {}),
        containerPort: port,
        ...(end ? { containerPortEnd: end } : {}),
      });
    }
  }
  return out;
}

function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  return `${Math.round(h / 24)} days`;
}

function statusText(c: ContainerRecord): string {
  if (c.status === 'running') return `Up ${humanDuration(Date.now() - Date.parse(c.startedAt))}`;
  if (c.status === 'exited') return `Exited (${c.exitCode}) ${humanDuration(Date.now() - Date.parse(c.finishedAt))} ago`;
  if (c.status === 'removing') return 'Removal In Progress';
  return 'Created';
}

/** Handles a hijacked (101) request; returns false when the path is not one of ours. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, apiPath: string) => boolean;

export function registerContainerRoutes(r: Router, ctl: Controller, svc: ContainerService, images: ImageResolver): UpgradeHandler {
  const execs = new Map<string, ExecInstance>();

  const portsJson = (c: ContainerRecord) => {
    const eps = ctl.sandboxEndpoints(c.id);
    const bound = eps.flatMap((e) => e.portBindings);
    const out: { [k: string]: { HostIp: string; HostPort: string }[] | null } = {};
    for (const e of c.exposedPorts) out[e.includes('/') ? e : `${e}/tcp`] = null;
    for (const b of bound) {
      const n = (b.containerPortEnd ?? b.containerPort) - b.containerPort;
      for (let i = 0; i <= n; i++) {
        const key = `${b.containerPort + i}/${b.proto}`;
        const hostIps = b.hostIp ? [b.hostIp] : ['0.0.0.0', ...(eps.some((e) => e.ipv6) ? ['::'] : [])];
        out[key] = [...(out[key] ?? []), ...hostIps.map((ip) => ({ HostIp: ip, HostPort: String(b.hostPort + i) }))];
      }
    }
    return out;
  };

  const networksJson = (c: ContainerRecord) => {
    const out: { [name: string]: unknown } = {};
    const eps = ctl.sandboxEndpoints(c.id);
    for (const want of c.networks) {
      let net;
      try { net = ctl.findNetwork(want.name); } catch { continue; }
      const ep = eps.find((e) => e.networkId === net.id);
      out[net.name] = {
        IPAMConfig: want.config.ipv4 || want.config.ipv6 ? { IPv4Address: want.config.ipv4 ?? '', IPv6Address: want.config.ipv6 ?? '' } : null,
        Links: null,
        Aliases: want.config.aliases ?? [],
        MacAddress: ep?.mac ?? '',
        DriverOpts: null,
        GwPriority: 0,
        NetworkID: net.id,
        EndpointID: ep?.id ?? '',
        Gateway: ep?.gateway4 ?? '',
        IPAddress: ep?.ipv4 ? splitCidr(ep.ipv4).ip : '',
        IPPrefixLen: ep?.ipv4 ? splitCidr(ep.ipv4).prefix : 0,
        IPv6Gateway: ep?.gateway6 ?? '',
        GlobalIPv6Address: ep?.ipv6 ? splitCidr(ep.ipv6).ip : '',
        GlobalIPv6PrefixLen: ep?.ipv6 ? splitCidr(ep.ipv6).prefix : 0,
        DNSNames: ep ? [c.name, c.id.slice(0, 12), ...(want.config.aliases ?? [])] : null,
      };
    }
    if (c.networkMode === 'host' || c.networkMode === 'none') {
      const net = ctl.findNetwork(c.networkMode);
      out[net.name] = { IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', NetworkID: net.id, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null };
    }
    return out;
  };

  const inspectJson = (c: ContainerRecord) => {
    const primary = ctl.sandboxEndpoints(c.id)[0];
    const sb = ctl.getSandbox(c.id);
    return {
      Id: c.id,
      Created: c.created,
      Path: c.cmd[0],
      Args: c.cmd.slice(1),
      State: {
        Status: c.status === 'removing' ? 'removing' : c.status,
        Running: c.status === 'running',
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: c.pid,
        ExitCode: c.exitCode,
        Error: '',
        StartedAt: c.startedAt,
        FinishedAt: c.finishedAt,
      },
      Image: c.image,
      ResolvConfPath: path.join(svc.dirOf(c), 'resolv.conf'),
      HostnamePath: path.join(svc.dirOf(c), 'hostname'),
      HostsPath: path.join(svc.dirOf(c), 'hosts'),
      LogPath: '',
      Name: `/${c.name}`,
      RestartCount: c.restartCount,
      Driver: 'overlay',
      Platform: 'linux',
      HostConfig: {
        NetworkMode: c.networkMode,
        PortBindings: Object.fromEntries(Object.entries(groupBindings(c.portBindings))),
        AutoRemove: c.autoRemove,
        PublishAllPorts: c.publishAll,
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      },
      Config: {
        Hostname: c.hostname,
        Domainname: '',
        User: '',
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])),
        Tty: false,
        OpenStdin: false,
        StdinOnce: false,
        Env: c.env,
        Cmd: c.cmd,
        Image: c.image,
        WorkingDir: c.workdir,
        Entrypoint: null,
        Labels: c.labels,
      },
      NetworkSettings: {
        SandboxID: sb ? c.id : '',
        SandboxKey: sb?.nsPath ?? '',
        Ports: portsJson(c),
        Gateway: primary?.gateway4 ?? '',
        IPAddress: primary?.ipv4 ? splitCidr(primary.ipv4).ip : '',
        IPPrefixLen: primary?.ipv4 ? splitCidr(primary.ipv4).prefix : 0,
        MacAddress: primary?.mac ?? '',
        GlobalIPv6Address: primary?.ipv6 ? splitCidr(primary.ipv6).ip : '',
        GlobalIPv6PrefixLen: primary?.ipv6 ? splitCidr(primary.ipv6).prefix : 0,
        IPv6Gateway: primary?.gateway6 ?? '',
        Networks: networksJson(c),
      },
      Mounts: [],
    };
  };

  const summaryJson = (c: ContainerRecord) => {
    const ports: unknown[] = [];
    for (const [key, binds] of Object.entries(portsJson(c))) {
      const { port, proto } = parsePortKey(key);
      if (!binds) ports.push({ PrivatePort: port, Type: proto });
      else for (const b of binds) ports.push({ IP: b.HostIp, PrivatePort: port, PublicPort: Number(b.HostPort), Type: proto });
    }
    return {
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.image,
      ImageID: '',
      Command: c.cmd.join(' '),
      Created: Math.floor(Date.parse(c.created) / 1000),
      Ports: ports,
      Labels: c.labels,
      State: c.status,
      Status: statusText(c),
      HostConfig: { NetworkMode: c.networkMode },
      NetworkSettings: { Networks: networksJson(c) },
      Mounts: [],
    };
  };

  r.on('POST', '/containers/create', async ({ req, res, query }) => {
    const body = await readJson(req);
    const image = field.str(body, 'Image');
    if (!image) throw new InvalidArgument('config cannot be empty in order to create a container: Image is required');
    let cmd = field.strArray(body, 'Cmd') ?? [];
    const entry = field.strArray(body, 'Entrypoint') ?? [];
    // No terminals and no stdin for a container's main process (the runtime gives it
    // neither): refused up front rather than garbled output or silently dropped input.
    if (field.bool(body, 'Tty')) throw new InvalidArgument(NO_TTY);
    if (field.bool(body, 'OpenStdin') || field.bool(body, 'AttachStdin')) throw new InvalidArgument(NO_STDIN);
    // What the runtime cannot honour is refused, not silently dropped.
    if (field.str(body, 'User')) throw new InvalidArgument('weft does not support running a container as another user (--user)');
    const hc = field.obj(body, 'HostConfig') ?? {};
    if ((field.arr(hc, 'Binds', 'HostConfig.') ?? []).length || (field.arr(hc, 'Mounts', 'HostConfig.') ?? []).length ||
      Object.keys(field.obj(body, 'Volumes') ?? {}).length) {
      throw new InvalidArgument('weft does not support volumes or bind mounts (-v/--mount)');
    }
    const restart = field.str(field.obj(hc, 'RestartPolicy', 'HostConfig.') ?? {}, 'Name', 'HostConfig.RestartPolicy.');
    if (restart && restart !== 'no') throw new InvalidArgument(`weft does not restart containers: restart policy "${restart}" is not supported`);
    const rootfs = await images.resolve(image);
    if (!cmd.length && !entry.length) cmd = images.defaultCmd?.(image) ?? [];
    const nc = field.obj(body, 'NetworkingConfig') ?? {};
    const epc = field.obj(nc, 'EndpointsConfig', 'NetworkingConfig.') ?? {};
    let mode = field.str(hc, 'NetworkMode', 'HostConfig.') || 'default';
    if (mode === 'default') mode = 'bridge';
    if (mode.startsWith('container:')) throw new InvalidArgument('network mode container:<id> is not supported by weft');
    const networks: { name: string; config: EndpointConfig }[] = [];
    const decodeEp = (o: { [k: string]: unknown } | undefined): EndpointConfig => {
      const ipam = o ? field.obj(o, 'IPAMConfig', 'EndpointSettings.') ?? {} : {};
      const ep = {
        ipv4: field.str(ipam, 'IPv4Address', 'IPAMConfig.') || undefined,
        ipv6: field.str(ipam, 'IPv6Address', 'IPAMConfig.') || undefined,
        aliases: o ? field.strArray(o, 'Aliases', 'EndpointSettings.') ?? [] : [],
      };
      checkEndpointAddresses(ep.ipv4, ep.ipv6);
      return ep;
    };
    const entries = Object.entries(epc).map(([name, v]) => [name === 'default' ? 'bridge' : name, v] as const);
    if (mode !== 'host' && mode !== 'none') {
      const primary = entries.find(([name]) => name === mode);
      networks.push({ name: mode, config: decodeEp(primary?.[1] as { [k: string]: unknown } | undefined) });
    }
    for (const [name, v] of entries) {
      if (name === mode) continue;
      if (v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new InvalidArgument(`invalid EndpointsConfig[${name}]`);
      networks.push({ name, config: decodeEp(v as { [k: string]: unknown }) });
    }
    const exposed = Object.keys(field.obj(body, 'ExposedPorts') ?? {});
    for (const e of exposed) parsePortKey(e);
    const name = query.get('name') ?? undefined;
    const c = await svc.create({
      name: name || undefined,
      image,
      rootfs,
      cmd: [...entry, ...cmd],
      env: field.strArray(body, 'Env') ?? [],
      workdir: field.str(body, 'WorkingDir') ?? '',
      hostname: field.str(body, 'Hostname') ?? '',
      networkMode: mode,
      networks,
      portBindings: decodePortBindings(hc),
      exposedPorts: exposed,
      publishAll: !!field.bool(hc, 'PublishAllPorts', 'HostConfig.'),
      autoRemove: !!field.bool(hc, 'AutoRemove', 'HostConfig.'),
      labels: field.strMap(body, 'Labels') ?? {},
    });
    sendJson(res, 201, { Id: c.id, Warnings: [] });
  });

  r.on('GET', '/containers/json', ({ res, query }) => {
    const all = qbool(query.get('all'));
    const f = parseFilters(query.get('filters'), ['id', 'name', 'label', 'status', 'network', 'exited', 'ancestor']);
    const limit = Number(query.get('limit') ?? -1);
    // As dockerd: a limit (docker ps -n N / -l) lists stopped containers too.
    let list = svc.list().filter((c) => all || limit > 0 || c.status === 'running' || f.has('status') || f.has('exited'));
    const has = (k: string, pred: (v: string) => boolean) => !f.get(k) || f.get(k)!.some(pred);
    list = list.filter((c) =>
      has('id', (v) => c.id.startsWith(v)) &&
      has('name', (v) => matchName(v, c.name)) &&
      (!f.get('label') || f.get('label')!.every((l) => (l.includes('=') ? c.labels[l.split('=')[0]] === l.slice(l.indexOf('=') + 1) : l in c.labels))) &&
      has('status', (v) => v === c.status) &&
      has('exited', (v) => c.status === 'exited' && c.exitCode === Number(v)) &&
      has('ancestor', (v) => c.image === v) &&
      has('network', (v) => c.networks.some((n) => n.name === v || ctl.listNetworks().some((x) => x.id.startsWith(v) && x.name === n.name))));
    if (limit > 0) list = list.slice(0, limit);
    sendJson(res, 200, list.map(summaryJson));
  });

  r.on('GET', '/containers/:id/json', ({ res, params }) => sendJson(res, 200, inspectJson(svc.find(params.id))));

  r.on('POST', '/containers/:id/start', async ({ res, params }) => {
    const c = svc.find(params.id);
    if (c.status === 'running') return sendEmpty(res, 304);
    try {
      await svc.start(params.id);
    } catch (err) {
      // dockerd 28's wording for a port it cannot publish.
      if (err instanceof WeftError && /^Bind for /.test(err.message)) {
        throw new WeftError(`failed to set up container networking: driver failed programming external connectivity on endpoint ${c.name}: ${err.message}`, err.status);
      }
      throw err;
    }
    sendEmpty(res, 204);
  });

  r.on('POST', '/containers/:id/stop', async ({ res, params, query }) => {
    const c = svc.find(params.id);
    if (c.status !== 'running') return sendEmpty(res, 304);
    await svc.stop(params.id, query.get('t') ? Number(query.get('t')) : 10);
    sendEmpty(res, 204);
  });

  r.on('POST', '/containers/:id/restart', async ({ res, params, query }) => {
    await svc.stop(params.id, query.get('t') ? Number(query.get('t')) : 10);
    await svc.start(params.id);
    sendEmpty(res, 204);
  });

  r.on('POST', '/containers/:id/kill', async ({ res, params, query }) => {
    await svc.kill(params.id, normaliseSignal(query.get('signal') ?? 'SIGKILL'));
    sendEmpty(res, 204);
  });

  r.on('DELETE', '/containers/:id', async ({ res, params, query }) => {
    await svc.remove(params.id, qbool(query.get('force')));
    sendEmpty(res, 204);
  });

  r.on('POST', '/containers/:id/wait', async ({ req, res, params, query }) => {
    const c = svc.find(params.id);
    const cond = query.get('condition') || 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw new InvalidArgument(`invalid condition: "${cond}"`);
    // Headers go out at once: the docker CLI waits for them before it sends start.
    res.writeHead(200, { ...baseHeaders(), 'Content-Type': 'application/json' });
    res.flushHeaders();
    let closed = false;
    req.on('close', () => { closed = true; });
    const code = cond === 'removed' ? await svc.waitRemovedCode(c.id)
      : cond === 'next-exit' ? await svc.waitNextExit(c.id)
      : await svc.waitExit(c.id);
    if (!closed) res.end(JSON.stringify({ StatusCode: code, Error: null }) + '\n');
  });

  r.on('GET', '/containers/:id/logs', ({ req, res, params, query }) => {
    const c = svc.find(params.id);
    const stdout = qbool(query.get('stdout'));
    const stderr = qbool(query.get('stderr'));
    if (!stdout && !stderr) throw new InvalidArgument('Bad parameters: you must choose at least one stream');
    const tail = query.get('tail');
    const n = !tail || tail === 'all' ? -1 : Number(tail);
    if (Number.isNaN(n)) throw new InvalidArgument(`invalid tail value "${tail}"`);
    // The runtime writes the process's output to plain files, without per-line times.
    if (qbool(query.get('timestamps'))) throw new InvalidArgument('weft does not record log timestamps: --timestamps is not supported');
    for (const k of ['since', 'until']) {
      const v = query.get(k);
      if (v && Number(v) !== 0) throw new InvalidArgument(`weft does not record log timestamps: --${k} is not supported`);
    }
    res.writeHead(200, { ...baseHeaders(), 'Content-Type': MUX_CONTENT_TYPE });
    streamLogs(c, { stdout, stderr, tail: n, follow: qbool(query.get('follow')) }, (b) => res.write(b), () => res.end(), req);
  });

  r.on('POST', '/containers/prune', async ({ res, query }) => {
    const f = parseFilters(query.get('filters'), ['until', 'label', 'label!']);
    const labelMatch = (labels: { [k: string]: string }, l: string) =>
      (l.includes('=') ? labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1) : l in labels);
    if ((f.get('until')?.length ?? 0) > 1) throw new InvalidArgument('more than one until filter specified');
    const until = f.get('until')?.[0];
    const cutoff = until === undefined ? undefined : parseUntil(until);
    const deleted: string[] = [];
    for (const c of svc.list()) {
      if (c.status === 'running' || c.status === 'removing') continue;
      if (cutoff !== undefined && Date.parse(c.created) > cutoff) continue;
      if (f.get('label') && !f.get('label')!.every((l) => labelMatch(c.labels, l))) continue;
      if (f.get('label!') && f.get('label!')!.some((l) => labelMatch(c.labels, l))) continue;
      await svc.remove(c.id, false);
      deleted.push(c.id);
    }
    sendJson(res, 200, { ContainersDeleted: deleted, SpaceReclaimed: 0 });
  });

  r.on('GET', '/containers/:id/top', ({ res, params }) => {
    const c = svc.find(params.id);
    if (c.status !== 'running') throw new Conflict(`container ${c.id} is not running`);
    sendJson(res, 200, { Titles: ['PID', 'CMD'], Processes: [[String(c.pid), c.cmd.join(' ')]] });
  });

  r.on('POST', '/containers/:id/exec', async ({ req, res, params }) => {
    const c = svc.find(params.id);
    const body = await readJson(req);
    if (c.status !== 'running') throw new Conflict(`container ${c.id} is not running`);
    const cmd = field.strArray(body, 'Cmd');
    if (!cmd?.length) throw new InvalidArgument('No exec command specified');
    if (field.bool(body, 'Tty')) throw new InvalidArgument(NO_TTY);
    if (field.str(body, 'User')) throw new InvalidArgument('weft does not support running an exec as another user (--user)');
    const id = crypto.randomBytes(32).toString('hex');
    execs.set(id, {
      id,
      containerId: c.id,
      cmd,
      env: field.strArray(body, 'Env') ?? [],
      workdir: field.str(body, 'WorkingDir') ?? '',
      attachStdin: !!field.bool(body, 'AttachStdin'),
      running: false,
      exitCode: null,
      pid: 0,
    });
    sendJson(res, 201, { Id: id });
  });

  const findExec = (id: string) => {
    const e = execs.get(id);
    if (!e) throw new NotFound(`No such exec instance: ${id}`);
    return e;
  };

  const runExec = (e: ExecInstance): ChildProcess => {
    const c = svc.find(e.containerId);
    if (c.status !== 'running') throw new Conflict(`container ${c.id} is not running`);
    if (e.running || e.exitCode !== null) throw new Conflict(`exec ${e.id} has already been started`);
    const child = svc.exec(c, e.cmd, { env: e.env, workdir: e.workdir || undefined });
    e.running = true;
    e.pid = child.pid ?? 0;
    child.on('close', (code, signal) => {
      e.running = false;
      e.exitCode = code ?? (signal ? 128 + (signalNumber(signal) ?? 9) : 126);
    });
    child.on('error', () => {
      e.running = false;
      e.exitCode = 126;
    });
    return child;
  };

  // Non-upgrade start: detached, or a client that reads the stream from the body.
  r.on('POST', '/exec/:id/start', async ({ req, res, params }) => {
    const e = findExec(params.id);
    const body = await readJson(req);
    const child = runExec(e);
    if (field.bool(body, 'Detach')) {
      child.stdout?.resume();
      child.stderr?.resume();
      child.stdin?.end();
      return sendEmpty(res, 200);
    }
    child.stdin?.end();
    res.writeHead(200, { ...baseHeaders(), 'Content-Type': MUX_CONTENT_TYPE });
    pipeChild(child, (b) => res.write(b), () => res.end());
  });

  r.on('GET', '/exec/:id/json', ({ res, params }) => {
    const e = findExec(params.id);
    sendJson(res, 200, {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: false, entrypoint: e.cmd[0], arguments: e.cmd.slice(1), privileged: false, user: '' },
      OpenStdin: e.attachStdin,
      OpenStderr: true,
      OpenStdout: true,
      CanRemove: !e.running && e.exitCode !== null,
      ContainerID: e.containerId,
      DetachKeys: '',
      Pid: e.pid,
    });
  });

  r.on('POST', '/exec/:id/resize', ({ res }) => sendEmpty(res, 200));
  r.on('POST', '/containers/:id/resize', ({ res }) => sendEmpty(res, 200));

  /**
   * o.untilExit (attach): follow until the container's next exit whatever its state now,
   * so attaching to a stopped container before `start` (docker start -a) sees that run.
   */
  function streamLogs(c: ContainerRecord, o: { stdout: boolean; stderr: boolean; tail: number; follow: boolean; untilExit?: boolean },
    write: (b: Buffer) => void, end: () => void, closer: { on(ev: 'close', f: () => void): unknown }): void {
    const files = svc.logFiles(c);
    const outs = [o.stdout && ([1, new FileTail(files.stdout)] as const), o.stderr && ([2, new FileTail(files.stderr)] as const)]
      .filter((x): x is readonly [1 | 2, FileTail] => !!x);
    for (const [id, t] of outs) {
      const b = t.startAtTail(o.tail);
      if (b.length) write(frame(id, b));
    }
    const flush = () => {
      for (const [id, t] of outs) {
        const b = t.readNew();
        if (b.length) write(frame(id, b));
      }
    };
    if (!o.follow || (!o.untilExit && c.status !== 'running' && c.status !== 'created')) return end();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      svc.off('exit', onExit);
      flush();
      end();
    };
    // The exit event fires before an auto-removed container's files go away: read the
    // rest synchronously there.
    const onExit = (id: string) => { if (id === c.id) finish(); };
    svc.on('exit', onExit);
    const timer = setInterval(flush, 100);
    closer.on('close', () => { done = true; clearInterval(timer); svc.off('exit', onExit); });
  }

  /** Hijacked (101) endpoints: POST /containers/:id/attach and POST /exec/:id/start. */
  return (req, socket, head, apiPath) => {
      const url = new URL(apiPath, 'http://weft');
      const attach = /^\/containers\/([^/]+)\/attach$/.exec(url.pathname);
      const exec = /^\/exec\/([^/]+)\/start$/.exec(url.pathname);
      if (!attach && !exec) return false;
      const upgraded = () => socket.write(
        'HTTP/1.1 101 UPGRADED\r\n' +
        `Content-Type: ${MUX_CONTENT_TYPE}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${baseHeaders()['Api-Version']}\r\n\r\n`);
      const fail = (err: unknown) => {
        const msg = err instanceof Error ? err.message : String(err);
        const status = (err as { status?: number }).status ?? 500;
        const body = JSON.stringify({ message: msg }) + '\n';
        socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      };
      try {
        if (attach) {
          const c = svc.find(decodeURIComponent(attach[1]));
          const q = url.searchParams;
          upgraded();
          const wantOut = qbool(q.get('stdout')) || !q.has('stdout');
          const wantErr = qbool(q.get('stderr')) || !q.has('stderr');
          if (qbool(q.get('stream'))) {
            streamLogs(c, { stdout: wantOut, stderr: wantErr, tail: qbool(q.get('logs')) ? -1 : 0, follow: true, untilExit: true },
              (b) => socket.write(b), () => socket.end(), socket);
          } else {
            socket.end();
          }
        } else {
          const e = findExec(decodeURIComponent(exec![1]));
          const len = Number(req.headers['content-length'] ?? 0);
          parseJsonObject(head.subarray(0, len).toString('utf8'));
          const child = runExec(e);
          upgraded();
          const rest = head.subarray(len);
          if (e.attachStdin && child.stdin) {
            if (rest.length) child.stdin.write(rest);
            socket.pipe(child.stdin);
          } else {
            child.stdin?.end();
          }
          pipeChild(child, (b) => socket.write(b), () => socket.end());
        }
      } catch (err) {
        fail(err);
      }
      return true;
  };
}

function pipeChild(child: ChildProcess, write: (b: Buffer) => void, end: () => void): void {
  child.stdout?.on('data', (d: Buffer) => write(frame(1, d)));
  child.stderr?.on('data', (d: Buffer) => write(frame(2, d)));
  child.on('close', () => end());
  child.on('error', (err) => {
    write(frame(2, Buffer.from(`exec failed: ${err.message}\n`)));
    end();
  });
}

const NO_TTY = 'weft does not support terminals (-t/--tty): the process gets pipes, run it without -t';
const NO_STDIN = 'weft does not attach stdin to a container\'s main process (-i/--interactive): run it without -i, or use docker exec -i on a running container';

/** dockerd's name filter: a regular expression on the name (with its leading slash). */
function matchName(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern).test(`/${name}`);
  } catch {
    return `/${name}`.includes(pattern);
  }
}

function groupBindings(bs: PortBinding[]): { [key: string]: { HostIp: string; HostPort: string }[] } {
  const out: { [key: string]: { HostIp: string; HostPort: string }[] } = {};
  for (const b of bs) {
    const key = `${b.containerPort}${b.containerPortEnd ? `-${b.containerPortEnd}` : ''}/${b.proto}`;
    (out[key] ??= []).push({ HostIp: b.hostIp, HostPort: b.hostPort ? `${b.hostPort}${b.hostPortEnd ? `-${b.hostPortEnd}` : ''}` : '' });
  }
  return out;
}

const SIGNALS: { [k: string]: number } = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, CONT: 18, STOP: 19 };

function signalNumber(sig: string): number | undefined {
  return SIGNALS[sig.replace(/^SIG/, '')];
}

function normaliseSignal(s: string): NodeJS.Signals {
  if (/^\d+$/.test(s)) {
    const name = Object.entries(SIGNALS).find(([, n]) => n === Number(s))?.[0];
    if (!name) throw new InvalidArgument(`invalid signal: ${s}`);
    return `SIG${name}` as NodeJS.Signals;
  }
  const up = s.toUpperCase().replace(/^SIG/, '');
  if (!(up in SIGNALS) && !['ABRT', 'ALRM', 'WINCH', 'PIPE', 'TSTP'].includes(up)) throw new InvalidArgument(`invalid signal: ${s}`);
  return `SIG${up}` as NodeJS.Signals;
}

