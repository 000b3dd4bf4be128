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
import { Conflict, InvalidArgument, NotFound } from '../util/errors.js';
import type { ServiceDiscovery } from './discovery.js';
import type { HostPorts } from '../contracts/host-ports.js';
import type { ProcessSpec, Runtime } from '../contracts/runtime.js';
import type { Store } from '../contracts/store.js';
import type { Controller } from '../controller/controller.js';
import type { ConnectRequest } from '../controller/model.js';
import { newId } from '../util/ids.js';
import { KeyedSerial } from '../util/lock.js';
import { EtcFiles, etcFilePaths } from './etc-files.js';
import { claimName, findContainer } from './names.js';
import {
  CONTAINER_KEY_PREFIX, type ContainerCreateRequest, type ContainerRecord, type EndpointConfig, newContainerRecord,
} from './records.js';
import { alignNetworkLists, restoreContainers, restoreHostPorts } from './restore.js';
import { failpoint } from '../util/failpoint.js';

export type { ContainerCreateRequest, ContainerRecord, ContainerStatus, EndpointConfig } from './records.js';

export interface ContainerServiceOptions {
  store: Store;
  controller: Controller;
  runtime: Runtime;
  /** Decides, binds and releases the host ports of published ports. */
  hostPorts: HostPorts;
  /** Per-container state directories live here. */
  containersDir: string;
  logger: pino.Logger;
  /** Embedded DNS for containers on user-defined networks; absent: host resolvers only. */
  dns?: ServiceDiscovery;
}

export class ContainerService extends EventEmitter {
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly etc: EtcFiles;
  /** start, stop, rm, connect and disconnect of one container run one at a time, in arrival order. */
  private readonly ops = new KeyedSerial();

  constructor(private readonly o: ContainerServiceOptions) {
    super();
    this.etc = new EtcFiles(o.controller, o.dns);
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
    return findContainer(this.containers.values(), ref);
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
      etcFiles: etcFilePaths(dir),
      dir,
    };
  }

  async create(req: ContainerCreateRequest): Promise<ContainerRecord> {
    const name = claimName(req.name, this.containers.values());
    if (!req.cmd.length) throw new InvalidArgument('no command specified');
    const mode = req.networkMode || 'bridge';
    const networks = req.networks?.length ? req.networks : (mode === 'none' || mode === 'host' ? [] : [{ name: mode, config: {} }]);
    if ((mode === 'host' || mode === 'none') && req.networks?.some((n) => n.name !== mode)) {
      throw new InvalidArgument(`conflicting options: cannot attach both user-defined and non-user-defined network-modes`);
    }
    for (const n of networks) this.o.controller.findNetwork(n.name); // 404 before anything is made
    if (mode === 'host' && req.portBindings?.length) this.o.logger.warn('published ports are discarded when using host network mode');
    const c = newContainerRecord(newId(), name, mode, networks, req);
    fs.mkdirSync(this.dirOf(c), { recursive: true, mode: 0o700 });
    this.containers.set(c.id, c);
    await this.save(c);
    return c;
  }

  /** job on the container ref names, after the operations already queued on it; gone by then: 404. */
  private serial<T>(ref: string, job: (c: ContainerRecord) => Promise<T>): Promise<T> {
    const { id } = this.find(ref);
    return this.ops.run(id, () => job(this.find(id)));
  }

  start(ref: string): Promise<ContainerRecord> {
    return this.serial(ref, (c) => this.startNow(c));
  }

  private async startNow(c: ContainerRecord): Promise<ContainerRecord> {
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
      await this.etc.write(c, this.dirOf(c), (script) => (netSetup = script));
      const st = await this.o.runtime.start({ ...this.spec(c), ...(netSetup ? { netSetup } : {}) });
      failpoint('container.start.process');
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
      this.o.hostPorts.release(c.id);
      throw err;
    }
  }

  /** Connect the first network with the container's published ports, decided by the HostPorts service. */
  private async connectPublishing(
    c: ContainerRecord, sandboxId: string, network: string, opts: Omit<ConnectRequest, 'portBindings'>,
  ): Promise<void> {
    const req = { owner: c.id, name: c.name, bindings: c.portBindings, publishAll: c.publishAll ? c.exposedPorts : [] };
    await this.o.hostPorts.publish(req, (bindings) => this.o.controller.connect(sandboxId, network, { ...opts, portBindings: bindings }));
  }

  stop(ref: string, timeoutSec = 10): Promise<ContainerRecord> {
    return this.serial(ref, async (c) => {
      if (c.status !== 'running') return c;
      const exited = this.waitExit(c.id);
      await this.o.runtime.stop(this.spec(c), timeoutSec);
      await exited;
      return c;
    });
  }

  async kill(ref: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.find(ref);
    if (c.status !== 'running') throw new Conflict(`cannot kill container: ${ref}: container ${c.id} is not running`);
    await this.o.runtime.kill(this.spec(c), signal);
  }

  remove(ref: string, force = false): Promise<void> {
    return this.serial(ref, (c) => this.removeNow(c, force));
  }

  private async removeNow(c: ContainerRecord, force: boolean): Promise<void> {
    if (c.status === 'running') {
      if (!force) {
        throw new Conflict(`cannot remove container "/${c.name}": container is running: `
          + 'stop the container before removing or force remove');
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
    return this.waitNextExit(id);
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
  connect(ref: string, netRef: string, config: EndpointConfig): Promise<void> {
    return this.serial(ref, (c) => this.connectNow(c, netRef, config));
  }

  private async connectNow(c: ContainerRecord, netRef: string, config: EndpointConfig): Promise<void> {
    const n = this.o.controller.findNetwork(netRef);
    if (c.networkMode === 'host' || c.networkMode === 'none') {
      throw new InvalidArgument(`container cannot be disconnected from host network or connected to host network`);
    }
    if (c.networks.some((x) => this.o.controller.findNetwork(x.name).id === n.id) && c.status !== 'running') {
      throw new Conflict(`endpoint with name ${c.name} already exists in network ${n.name}`);
    }
    if (c.status === 'running') {
      await this.o.controller.connect(c.id, n.id, { name: c.name, ...config });
      failpoint('container.connect.endpoint');
      await this.etc.write(c, this.dirOf(c));
    }
    if (!c.networks.some((x) => x.name === n.name || x.name === n.id)) c.networks.push({ name: n.name, config });
    await this.save(c);
  }

  disconnect(ref: string, netRef: string, force = false): Promise<void> {
    return this.serial(ref, (c) => this.disconnectNow(c, netRef, force));
  }

  private async disconnectNow(c: ContainerRecord, netRef: string, force: boolean): Promise<void> {
    const n = this.o.controller.findNetwork(netRef);
    const idx = c.networks.findIndex((x) => x.name === n.name || x.name === n.id);
    if (c.status === 'running') {
      await this.o.controller.disconnect(c.id, n.id, { force });
      failpoint('container.disconnect.endpoint');
      await this.etc.write(c, this.dirOf(c));
    } else if (idx < 0) {
      throw new NotFound(`container ${c.id.slice(0, 12)} is not connected to network ${n.name}`);
    }
    if (idx >= 0) c.networks.splice(idx, 1);
    await this.save(c);
  }

  /** After a daemon restart: re-adopt running containers, record exits that happened. */
  async restore(): Promise<Map<string, number>> {
    return restoreContainers({
      store: this.o.store,
      runtime: this.o.runtime,
      add: (c) => this.containers.set(c.id, c),
      spec: (c) => this.spec(c),
      save: (c) => this.save(c),
      containersDir: this.o.containersDir,
      logger: this.o.logger,
    });
  }

  /**
   * After the controller's reconcile: running containers list the networks they have endpoints
   * on, and hold the host ports those endpoints were given.
   */
  async restoreNetworking(): Promise<void> {
    await alignNetworkLists(this.containers.values(), this.o.controller, (c) => this.save(c));
    restoreHostPorts(this.containers.values(), this.o.controller, this.o.hostPorts);
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
    this.o.hostPorts.release(id);
    await this.save(c);
    this.o.logger.info({ container: c.name, exitCode: code }, 'container exited');
    this.emit('exit', id, code);
    if (c.autoRemove) await this.ops.run(id, () => this.destroy(c));
  }

  private async destroy(c: ContainerRecord): Promise<void> {
    if (!this.containers.has(c.id)) return; // an rm -f and --rm's own removal both came
    c.status = 'removing';
    await this.o.dns?.detach(c.id);
    await this.o.controller.deleteSandbox(c.id);
    this.o.hostPorts.release(c.id);
    await this.o.runtime.remove(this.spec(c));
    failpoint('container.rm.runtime');
    await this.o.store.delete(CONTAINER_KEY_PREFIX + c.id);
    this.containers.delete(c.id);
    this.emit('removed', c.id);
  }

  private async save(c: ContainerRecord): Promise<void> {
    await this.o.store.put(CONTAINER_KEY_PREFIX + c.id, c);
  }

  /**
   * After a daemon restart the embedded resolver's sockets are gone with the old process:
   * serve every running container again (its resolv.conf still points at 127.0.0.11).
   */
  async resumeDiscovery(): Promise<void> {
    for (const c of this.containers.values()) {
      if (c.status !== 'running') continue;
      await this.etc.write(c, this.dirOf(c)).catch((err) => this.o.logger.error({ err, container: c.name }, 'resuming DNS failed'));
    }
  }
}
