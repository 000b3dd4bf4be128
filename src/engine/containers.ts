/**
 * Containers: the records behind /containers, and the glue between the network
 * controller (sandbox + endpoints) and the runtime (processes). Start = sandbox, then
 * endpoints, then /etc files, then the process; exit = release every endpoint and the
 * sandbox, so nothing stays allocated for a container that does not run.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type pino from 'pino';
import { Conflict, InvalidArgument, NotFound, PortInUse } from '../util/errors.js';
import type { PortBinding } from '../contracts/firewall.js';
import { splitCidr } from '../util/ip.js';
import { RESOLVER_IP, type ServiceDiscovery } from './discovery.js';
import type { ProcessSpec, Runtime } from '../contracts/runtime.js';
import type { Store } from '../contracts/store.js';
import type { Controller } from '../controller/controller.js';
import type { ConnectRequest } from '../controller/model.js';
import { isValidName, newId } from '../util/ids.js';
import { PortAllocator } from '../hostports/allocator.js';

const CT = 'container/';
/** How many random host ports a start tries when host processes hold the ones picked (dockerd: 10). */
const RANDOM_PORT_ATTEMPTS = 10;

export type ContainerStatus = 'created' | 'running' | 'exited' | 'removing';

export interface EndpointConfig {
  ipv4?: string;
  ipv6?: string;
  aliases?: string[];
}

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
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
}

export interface ContainerCreateRequest {
  name?: string;
  image: string;
  /** Resolved root filesystem directory for the image. */
  rootfs: string;
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
}

export interface ContainerServiceOptions {
  store: Store;
  controller: Controller;
  runtime: Runtime;
  /** Per-container state directories live here. */
  containersDir: string;
  logger: pino.Logger;
  /** Embedded DNS for containers on user-defined networks; absent: host resolvers only. */
  dns?: ServiceDiscovery;
}

export class ContainerService extends EventEmitter {
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly ports = new PortAllocator();

  constructor(private readonly o: ContainerServiceOptions) {
    super();
    // One 'exit'/'removed' listener per waiting client (docker run waits on every
    // container it starts): dozens at once are normal, and each goes when it fires.
    this.setMaxListeners(0);
    o.runtime.onExit((id, code) => {
      this.onExit(id, code).catch((err) => this.o.logger.error({ err, id }, 'exit handling failed'));
    });
  }

  list(): ContainerRecord[] {
    return [...this.containers.values()].sort((a, b) => (a.created < b.created ? 1 : -1));
  }

  /** By full id, exact name, or unique id prefix. */
  find(ref: string): ContainerRecord {
    const all = [...this.containers.values()];
    const name = ref.replace(/^\//, '');
    const hit = all.find((c) => c.id === ref) ?? all.find((c) => c.name === name);
    if (hit) return hit;
    const byPrefix = ref ? all.filter((c) => c.id.startsWith(ref)) : [];
    if (byPrefix.length === 1) return byPrefix[0];
    throw new NotFound(`No such container: ${ref}`);
  }

  dirOf(c: ContainerRecord): string {
    return path.join(this.o.containersDir, c.id);
  }

  spec(c: ContainerRecord): ProcessSpec {
    const dir = this.dirOf(c);
    const sb = this.o.controller.getSandbox(c.id);
    return {
      id: c.id,
      name: c.name,
      rootfs: c.rootfs,
      cmd: c.cmd,
      env: c.env,
      workdir: c.workdir || '/',
      hostname: c.hostname,
      netns: sb?.nsPath ?? 'host',
      etcFiles: { hosts: path.join(dir, 'hosts'), resolvConf: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname') },
      dir,
    };
  }

  async create(req: ContainerCreateRequest): Promise<ContainerRecord> {
    const name = req.name || generateName(new Set([...this.containers.values()].map((c) => c.name)));
    if (!isValidName(name)) throw new InvalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const clash = [...this.containers.values()].find((c) => c.name === name);
    if (clash) {
      throw new Conflict(`Conflict. The container name "/${name}" is already in use by container "${clash.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    if (!req.cmd.length) throw new InvalidArgument('no command specified');
    const mode = req.networkMode || 'bridge';
    const networks = req.networks?.length ? req.networks : (mode === 'none' || mode === 'host' ? [] : [{ name: mode, config: {} }]);
    if ((mode === 'host' || mode === 'none') && req.networks?.some((n) => n.name !== mode)) {
      throw new InvalidArgument(`conflicting options: cannot attach both user-defined and non-user-defined network-modes`);
    }
    for (const n of networks) this.o.controller.findNetwork(n.name); // 404 before anything is made
    if (mode === 'host' && req.portBindings?.length) this.o.logger.warn('published ports are discarded when using host network mode');
    const id = newId();
    const c: ContainerRecord = {
      id,
      name,
      image: req.image,
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
      startedAt: '0001-01-01T00:00:00Z',
      finishedAt: '0001-01-01T00:00:00Z',
      restartCount: 0,
    };
    fs.mkdirSync(this.dirOf(c), { recursive: true, mode: 0o700 });
    this.containers.set(id, c);
    await this.save(c);
    return c;
  }

  async start(ref: string): Promise<ContainerRecord> {
    const c = this.find(ref);
    if (c.status === 'running') return c; // Docker answers 304; the API layer maps it
    const ctl = this.o.controller;
    const sb = await ctl.createSandbox(c.id, c.networkMode === 'host' ? 'host' : 'netns');
    try {
      let first = true;
      for (const n of c.networks) {
        const opts = { name: c.name, ipv4: n.config.ipv4, ipv6: n.config.ipv6, aliases: n.config.aliases };
        if (first) await this.connectPublishing(c, sb.id, n.name, opts);
        else await ctl.connect(sb.id, n.name, { ...opts, portBindings: [] });
        first = false;
      }
      let netSetup: string | undefined;
      await this.writeEtcFiles(c, (script) => (netSetup = script));
      const st = await this.o.runtime.start({ ...this.spec(c), ...(netSetup ? { netSetup } : {}) });
      c.status = 'running';
      c.pid = st.pid;
      c.startedAt = st.startedAt;
      c.exitCode = 0;
      await this.save(c);
      this.o.logger.info({ container: c.name, pid: c.pid }, 'container started');
      return c;
    } catch (err) {
      await this.o.dns?.detach(c.id);
      await ctl.deleteSandbox(c.id).catch((e) => this.o.logger.error({ err: e }, 'sandbox cleanup failed'));
      this.ports.release(c.id);
      throw err;
    }
  }

  /**
   * Connect the first network with the container's published ports. A random host port is
   * picked from weft's own bookkeeping, so a host process may already hold it; like dockerd,
   * pick again (a few times) instead of failing the start. Explicit ports are never retried.
   */
  private async connectPublishing(c: ContainerRecord, sandboxId: string, network: string, opts: Omit<ConnectRequest, 'portBindings'>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const bindings = this.ports.assign(c.id, c.portBindings, c.publishAll ? c.exposedPorts : []);
      try {
        await this.o.controller.connect(sandboxId, network, { ...opts, portBindings: bindings });
        return;
      } catch (err) {
        const retry = err instanceof PortInUse && attempt < RANDOM_PORT_ATTEMPTS && this.ports.pickedRandomly(c.id, err.proto, err.hostPort);
        this.ports.release(c.id);
        if (!retry) throw err;
        this.o.logger.info({ container: c.name, port: `${err.hostPort}/${err.proto}` }, 'random host port held by another process; picking another');
      }
    }
  }

  async stop(ref: string, timeoutSec = 10): Promise<ContainerRecord> {
    const c = this.find(ref);
    if (c.status !== 'running') return c;
    const exited = this.waitExit(c.id);
    await this.o.runtime.stop(this.spec(c), timeoutSec);
    await exited;
    return c;
  }

  async kill(ref: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.find(ref);
    if (c.status !== 'running') throw new Conflict(`cannot kill container: ${ref}: container ${c.id} is not running`);
    await this.o.runtime.kill(this.spec(c), signal);
  }

  async remove(ref: string, force = false): Promise<void> {
    const c = this.find(ref);
    if (c.status === 'running') {
      if (!force) {
        throw new Conflict(`cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
      }
      const exited = this.waitExit(c.id);
      await this.o.runtime.kill(this.spec(c), 'SIGKILL');
      await exited;
    }
    await this.destroy(c);
  }

  /** Resolves with the exit code at the container's next exit (or now, if not running). */
  waitExit(id: string): Promise<number> {
    const c = this.containers.get(id);
    if (!c || c.status !== 'running') return Promise.resolve(c?.exitCode ?? 0);
    return new Promise((resolve) => {
      const on = (cid: string, code: number) => {
        if (cid !== id) return;
        this.off('exit', on);
        resolve(code);
      };
      this.on('exit', on);
    });
  }

  /** The exit after the next start (or the current run's exit). */
  waitNextExit(id: string): Promise<number> {
    return new Promise((resolve) => {
      const on = (cid: string, code: number) => {
        if (cid !== id) return;
        this.off('exit', on);
        resolve(code);
      };
      this.on('exit', on);
    });
  }

  /** Resolves with the last exit code once the container is removed (docker run --rm). */
  waitRemovedCode(id: string): Promise<number> {
    let code = this.containers.get(id)?.exitCode ?? 0;
    const onExit = (cid: string, c: number) => { if (cid === id) code = c; };
    this.on('exit', onExit);
    return this.waitRemoved(id).then(() => {
      this.off('exit', onExit);
      return code;
    });
  }

  exec(c: ContainerRecord, cmd: string[], opts: { env?: string[]; workdir?: string }): ChildProcess {
    return this.o.runtime.exec(this.spec(c), cmd, opts);
  }

  logFiles(c: ContainerRecord): { stdout: string; stderr: string } {
    return this.o.runtime.logFiles(this.spec(c));
  }

  /** Resolves once the container record is gone. */
  waitRemoved(id: string): Promise<void> {
    if (!this.containers.has(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const on = (cid: string) => {
        if (cid !== id) return;
        this.off('removed', on);
        resolve();
      };
      this.on('removed', on);
    });
  }

  /** Live connect (running container) or a config change applied at next start. */
  async connect(ref: string, netRef: string, config: EndpointConfig): Promise<void> {
    const c = this.find(ref);
    const n = this.o.controller.findNetwork(netRef);
    if (c.networkMode === 'host' || c.networkMode === 'none') {
      throw new InvalidArgument(`container cannot be disconnected from host network or connected to host network`);
    }
    if (c.networks.some((x) => this.o.controller.findNetwork(x.name).id === n.id) && c.status !== 'running') {
      throw new Conflict(`endpoint with name ${c.name} already exists in network ${n.name}`);
    }
    if (c.status === 'running') {
      await this.o.controller.connect(c.id, n.id, { name: c.name, ...config });
      await this.writeEtcFiles(c);
    }
    if (!c.networks.some((x) => x.name === n.name || x.name === n.id)) c.networks.push({ name: n.name, config });
    await this.save(c);
  }

  async disconnect(ref: string, netRef: string, force = false): Promise<void> {
    const c = this.find(ref);
    const n = this.o.controller.findNetwork(netRef);
    const idx = c.networks.findIndex((x) => x.name === n.name || x.name === n.id);
    if (c.status === 'running') {
      await this.o.controller.disconnect(c.id, n.id, { force });
      await this.writeEtcFiles(c);
    } else if (idx < 0) {
      throw new NotFound(`container ${c.id.slice(0, 12)} is not connected to network ${n.name}`);
    }
    if (idx >= 0) c.networks.splice(idx, 1);
    await this.save(c);
  }

  /** After a daemon restart: re-adopt running containers, record exits that happened. */
  async restore(): Promise<Map<string, number>> {
    const alive = new Map<string, number>();
    for (const r of await this.o.store.list<ContainerRecord>(CT)) {
      const c = r.value;
      this.containers.set(c.id, c);
      if (c.status !== 'running') continue;
      const st = await this.o.runtime.adopt(this.spec(c));
      if (st) {
        alive.set(c.id, st.pid);
        this.ports.restore(c.id, c.portBindings);
      } else {
        c.status = 'exited';
        c.exitCode = this.o.runtime.exitCode(this.spec(c)) ?? 255;
        c.finishedAt = new Date().toISOString();
        await this.save(c);
      }
    }
    return alive;
  }

  /** Removes records of auto-remove containers that exited while the daemon was down. */
  async sweepAutoRemove(): Promise<void> {
    for (const c of [...this.containers.values()]) if (c.autoRemove && c.status === 'exited') await this.destroy(c);
  }

  private async onExit(id: string, code: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    c.status = 'exited';
    c.exitCode = code;
    c.pid = 0;
    c.finishedAt = new Date().toISOString();
    await this.o.dns?.detach(id);
    await this.o.controller.deleteSandbox(id).catch((err) => this.o.logger.error({ err, id }, 'releasing networking failed'));
    this.ports.release(id);
    await this.save(c);
    this.o.logger.info({ container: c.name, exitCode: code }, 'container exited');
    this.emit('exit', id, code);
    if (c.autoRemove) await this.destroy(c);
  }

  private async destroy(c: ContainerRecord): Promise<void> {
    c.status = 'removing';
    await this.o.dns?.detach(c.id);
    await this.o.controller.deleteSandbox(c.id);
    this.ports.release(c.id);
    await this.o.runtime.remove(this.spec(c));
    await this.o.store.delete(CT + c.id);
    this.containers.delete(c.id);
    this.emit('removed', c.id);
  }

  private async save(c: ContainerRecord): Promise<void> {
    await this.o.store.put(CT + c.id, c);
  }

  /**
   * After a daemon restart the embedded resolver's sockets are gone with the old process:
   * serve every running container again (its resolv.conf still points at 127.0.0.11).
   */
  async resumeDiscovery(): Promise<void> {
    for (const c of this.containers.values()) {
      if (c.status !== 'running') continue;
      await this.writeEtcFiles(c).catch((err) => this.o.logger.error({ err, container: c.name }, 'resuming DNS failed'));
    }
  }

  /**
   * /etc/hosts, /etc/resolv.conf and /etc/hostname, bind-mounted by the runtime. On a
   * user-defined network resolv.conf names the embedded resolver (Docker's 127.0.0.11);
   * on the default bridge it is the host's.
   */
  private async writeEtcFiles(c: ContainerRecord, deferNetSetup?: (script: string) => void): Promise<void> {
    const dir = this.dirOf(c);
    const eps = this.o.controller.sandboxEndpoints(c.id);
    const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet',
      'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];
    for (const ep of eps) {
      if (ep.ipv4) lines.push(`${splitCidr(ep.ipv4).ip}\t${c.hostname}`);
      if (ep.ipv6) lines.push(`${splitCidr(ep.ipv6).ip}\t${c.hostname}`);
    }
    writeInPlace(path.join(dir, 'hosts'), lines.join('\n') + '\n');
    writeInPlace(path.join(dir, 'hostname'), c.hostname + '\n');
    const dns = this.o.dns;
    const sb = this.o.controller.getSandbox(c.id);
    if (dns && dns.wants(c.id) && (await dns.attach(c.id, sb?.nsPath, deferNetSetup ? { defer: deferNetSetup } : {}))) {
      writeInPlace(path.join(dir, 'resolv.conf'), embeddedResolvConf());
    } else {
      await dns?.detach(c.id);
      writeInPlace(path.join(dir, 'resolv.conf'), hostResolvConf());
    }
  }
}

/**
 * Rewrites keep the inode: the file is bind-mounted into a running container, and a
 * rename would leave the container looking at the old one.
 */
function writeInPlace(file: string, content: string): void {
  fs.writeFileSync(file, content);
}

/** The embedded resolver, plus the host's search domains and options, like Docker. */
function embeddedResolvConf(): string {
  let extra: string[] = [];
  try {
    extra = fs.readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^(search|domain|options)\s/.test(l) && !/ndots/.test(l));
  } catch {
    // no host resolv.conf: nothing to copy
  }
  return ['# Generated by weft: the embedded DNS server answers container names and forwards the rest.', `nameserver ${RESOLVER_IP}`, ...extra, 'options ndots:0', ''].join('\n');
}

function hostResolvConf(): string {
  try {
    // Loopback resolvers (systemd-resolved) are unreachable from a container namespace.
    const text = fs.readFileSync('/etc/resolv.conf', 'utf8');
    return text.split('\n').filter((l) => !/^nameserver\s+(127\.|::1)/.test(l)).join('\n');
  } catch {
    return '';
  }
}

const ADJ = ['brave', 'calm', 'eager', 'fond', 'keen', 'lucid', 'merry', 'quiet', 'swift', 'witty'];
const NOUN = ['bell', 'curie', 'hopper', 'knuth', 'lovelace', 'noether', 'ritchie', 'shannon', 'turing', 'wozniak'];
function generateName(taken: Set<string>): string {
  for (;;) {
    const n = `${ADJ[Math.floor(Math.random() * ADJ.length)]}_${NOUN[Math.floor(Math.random() * NOUN.length)]}`;
    const name = taken.has(n) ? `${n}${Math.floor(Math.random() * 1000)}` : n;
    if (!taken.has(name)) return name;
  }
}
