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
import type { Writable } from 'node:stream';
import { Conflict, InvalidArgument } from '../util/errors.js';
import { ServiceDiscovery } from './discovery.js';
import type { ProcessSpec } from '../contracts/runtime.js';
import type { ConnectRequest } from '../controller/model.js';
import { newId } from '../util/ids.js';
import { KeyedSerial } from '../util/lock.js';
import { type AttachDeps, connectContainer, disconnectContainer } from './attach-network.js';
import { EtcFiles, etcFilePaths } from './etc-files.js';
import { type LegacyLink, checkLinksAtCreate, dropLink, endpointLinks, legacyLinks, linkEnv } from './links.js';
import { HealthChecks } from './health.js';
import { claimName, findContainer } from './names.js';
import { publishingNetworkIndex, publishRequest } from './publishing-network.js';
import { followAll, followPublishing } from './port-follow.js';
import { joinableOwner, sharedNetnsRef } from './shared-netns.js';
import {
  CONTAINER_KEY_PREFIX, type ContainerCreateRequest, type ContainerRecord, type EndpointConfig, newContainerRecord } from './records.js';
import { processOptions } from './process-options.js';
import { renameContainer } from './rename.js';
import { codeAtRemoval, nextEventOf } from './waits.js';
import type { ContainerServiceOptions } from './service-options.js';
import { alignNetworkLists, restoreContainers, restoreHostPorts } from './restore.js';
import { failpoint } from '../util/failpoint.js';

export type { ContainerCreateRequest, ContainerRecord, ContainerStatus, EndpointConfig } from './records.js';
export type { ContainerServiceOptions } from './service-options.js';

export class ContainerService extends EventEmitter {
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly etc: EtcFiles;
  /** start, stop, rm, connect and disconnect of one container run one at a time, in arrival order. */
  private readonly ops = new KeyedSerial();
  /** The default bridge's links of each running container, as resolved at its start. */
  private readonly linked = new Map<string, LegacyLink[]>();
  private readonly health: HealthChecks;
  private readonly attachDeps: AttachDeps;

  constructor(private readonly o: ContainerServiceOptions) {
    super();
    this.etc = new EtcFiles(o.controller, o.dns, o.hostGatewayIp);
    this.attachDeps = {
      store: o.store, controller: o.controller, logger: o.logger,
      writeEtc: (c) => this.etc.write(c, this.dirOf(c), undefined, this.linked.get(c.id)),
      followPorts: (c) => followPublishing(o, c),
    };
    const exec = (c: ContainerRecord, cmd: string[]) => this.exec(c, cmd, {});
    this.health = new HealthChecks({ exec, save: (c) => this.save(c), logger: o.logger, ...(o.events ? { events: o.events } : {}) });
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

  /** The container whose network namespace and /etc files c uses: itself, or its NetworkMode container (undefined: gone). */
  private netnsOwner(c: ContainerRecord): ContainerRecord | undefined {
    const ref = sharedNetnsRef(c.networkMode);
    if (!ref) return c;
    try { return this.find(ref); } catch { return undefined; }
  }

  /** Where c's hosts, resolv.conf and hostname files are: another container's when c shares its namespace. */
  etcDirOf(c: ContainerRecord): string {
    return this.dirOf(this.netnsOwner(c) ?? c);
  }

  spec(c: ContainerRecord): ProcessSpec {
    const dir = this.dirOf(c);
    const owner = this.netnsOwner(c);
    const sb = owner && this.o.controller.getSandbox(owner.id);
    return {
      id: c.id,
      name: c.name,
      rootfs: c.rootfs,
      cmd: c.cmd,
      env: [...linkEnv(c, this.linked.get(c.id) ?? []), ...c.env],
      workdir: c.workdir || '/',
      hostname: c.hostname,
      // No namespace to join (another container's, not running): none rather than the host's.
      netns: sb ? (sb.nsPath ?? 'host') : owner === c ? 'host' : '',
      etcFiles: etcFilePaths(this.etcDirOf(c)),
      dir,
      tty: !!c.tty,
      stdin: c.openStdin ? (c.stdinOnce ? 'once' : 'open') : 'none', ...processOptions(c),
    };
  }

  async create(req: ContainerCreateRequest): Promise<ContainerRecord> {
    const name = claimName(req.name, this.containers.values());
    if (!req.cmd.length) throw new InvalidArgument('no command specified');
    const mode = req.networkMode || 'bridge';
    const shared = sharedNetnsRef(mode);
    if (shared) this.find(shared); // 404 for a container that is not there
    const own = !shared && mode !== 'none' && mode !== 'host';
    const networks = req.networks?.length ? req.networks : own ? [{ name: mode, config: {} }] : [];
    if ((mode === 'host' || mode === 'none') && req.networks?.some((n) => n.name !== mode)) {
      throw new InvalidArgument(`conflicting options: cannot attach both user-defined and non-user-defined network-modes`);
    }
    for (const n of networks) this.o.controller.findNetwork(n.name); // 404 before anything is made
    checkLinksAtCreate(mode, req.resolution?.links ?? [], (ref) => this.find(ref));
    if (mode === 'host' && req.portBindings?.length) this.o.logger.warn('published ports are discarded when using host network mode');
    const c = newContainerRecord(newId(), name, mode, networks, req);
    fs.mkdirSync(this.dirOf(c), { recursive: true, mode: 0o700 });
    this.containers.set(c.id, c);
    await this.save(c);
    this.o.events?.log(c, 'create');
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
    const shared = sharedNetnsRef(c.networkMode);
    if (shared) return this.launch(joinableOwner(c, shared, this.find(shared)));
    const ctl = this.o.controller;
    const links = legacyLinks(c, ctl, (ref) => this.find(ref));
    const sb = await ctl.createSandbox(c.id, c.networkMode === 'host' ? 'host' : 'netns');
    failpoint('container.start.sandbox');
    try {
      for (const [i, n] of c.networks.entries()) {
        const opts = { ...n.config, name: c.name, links: endpointLinks(c, i, ServiceDiscovery.provides(ctl.findNetwork(n.name))) };
        if (i === publishingNetworkIndex(c, ctl)) await this.connectPublishing(c, sb.id, n.name, opts);
        else await ctl.connect(sb.id, n.name, { ...opts, portBindings: [] });
      }
      failpoint('container.start.connected');
      let netSetup: string | undefined;
      this.linked.set(c.id, links);
      await this.etc.write(c, this.dirOf(c), (script) => (netSetup = script), links);
      return await this.launch(c, netSetup);
    } catch (err) {
      this.linked.delete(c.id);
      await this.o.dns?.detach(c.id);
      await ctl.deleteSandbox(c.id).catch((e) => this.o.logger.error({ err: e }, 'sandbox cleanup failed'));
      this.o.hostPorts.release(c.id);
      throw err;
    }
  }

  /** Run c's process, its networking in place; netSetup: the resolver's in-namespace setup. */
  private async launch(c: ContainerRecord, netSetup?: string): Promise<ContainerRecord> {
    const st = await this.o.runtime.start({ ...this.spec(c), ...(netSetup ? { netSetup } : {}) });
    failpoint('container.start.process');
    c.status = 'running';
    c.pid = st.pid;
    c.startedAt = st.startedAt;
    c.exitCode = 0;
    this.health.start(c);
    await this.save(c);
    this.o.logger.info({ container: c.name, pid: c.pid }, 'container started');
    this.emit('start', c.id);
    this.o.events?.log(c, 'start');
    return c;
  }

  /** Connect the first network with the container's published ports, decided by the HostPorts service. */
  private async connectPublishing(
    c: ContainerRecord, sandboxId: string, network: string, opts: Omit<ConnectRequest, 'portBindings'>,
  ): Promise<void> {
    const req = publishRequest(c, network, this.o.controller);
    await this.o.hostPorts.publish(req, (bindings) => this.o.controller.connect(sandboxId, network, { ...opts, portBindings: bindings }));
  }

  stop(ref: string, timeoutSec = 10): Promise<ContainerRecord> {
    return this.serial(ref, async (c) => {
      if (c.status !== 'running') return c;
      const exited = this.waitExit(c.id);
      await this.o.runtime.stop(this.spec(c), timeoutSec, (signal) => this.o.events?.killed(c, signal));
      failpoint('container.stop.signalled');
      await exited;
      this.o.events?.log(c, 'stop');
      return c;
    });
  }

  rename(ref: string, name: string): Promise<void> {
    const { controller, events } = this.o;
    const deps = { controller, events, all: this.containers.values(), save: (x: ContainerRecord) => this.save(x) };
    return this.serial(ref, (c) => renameContainer(c, name, deps));
  }

  /** The linker forgets a link; a running one's /etc/hosts follows (its env stays, as in dockerd). */
  removeLink(ref: string, alias: string): Promise<void> {
    return this.serial(ref, async (c) => {
      dropLink(c, alias);
      await this.save(c);
      if (c.status === 'running') await this.resume(c);
    });
  }

  async kill(ref: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.find(ref);
    if (c.status !== 'running') throw new Conflict(`cannot kill container: ${ref}: container ${c.id} is not running`);
    // As dockerd: a SIGKILL returns once the container is recorded dead, other signals once delivered.
    const exited = signal === 'SIGKILL' ? this.waitExit(c.id) : undefined;
    await this.o.runtime.kill(this.spec(c), signal);
    this.o.events?.killed(c, signal);
    await exited;
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
      this.o.events?.killed(c, 'SIGKILL');
      await exited;
    }
    await this.destroy(c);
  }

  /** Resolves with the exit code at the container's next exit (or now, if not running). */
  waitExit(id: string): Promise<number> {
    const c = this.containers.get(id);
    return c?.status === 'running' ? this.waitNextExit(id) : Promise.resolve(c?.exitCode ?? 0);
  }

  /** The exit after the next start (or the current run's exit). */
  waitNextExit(id: string): Promise<number> {
    return nextEventOf<number>(this, 'exit', id);
  }

  /** Resolves with the last exit code once the container is removed (docker run --rm). */
  waitRemovedCode(id: string): Promise<number> {
    return codeAtRemoval(this, id, this.containers.get(id)?.exitCode ?? 0, this.waitRemoved(id));
  }

  exec(c: ContainerRecord, cmd: string[], opts: { env?: string[]; workdir?: string; tty?: boolean }): ChildProcess {
    return this.o.runtime.exec(this.spec(c), cmd, opts);
  }

  /** The main process's stdin while it runs (OpenStdin), and its EOF. */
  stdin(c: ContainerRecord): Writable | undefined {
    return c.status === 'running' ? this.o.runtime.stdin(this.spec(c)) : undefined;
  }

  closeStdin(c: ContainerRecord): void {
    this.o.runtime.closeStdin(this.spec(c));
  }

  async resize(ref: string, rows: number, cols: number): Promise<void> {
    const c = this.find(ref);
    if (c.status !== 'running') throw new Conflict(`Container ${c.id} is not running`);
    await this.o.runtime.resize(this.spec(c), rows, cols);
  }

  logFiles(c: ContainerRecord): { stdout: string; stderr: string } {
    return this.o.runtime.logFiles(this.spec(c));
  }

  /** Resolves once the container record is gone. */
  waitRemoved(id: string): Promise<void> {
    if (!this.containers.has(id)) return Promise.resolve();
    return nextEventOf<void>(this, 'removed', id);
  }

  /** Live connect (running container) or a config change applied at next start. */
  connect(ref: string, netRef: string, config: EndpointConfig): Promise<void> {
    return this.serial(ref, (c) => connectContainer(this.attachDeps, c, netRef, config));
  }

  disconnect(ref: string, netRef: string, force = false): Promise<void> {
    return this.serial(ref, (c) => disconnectContainer(this.attachDeps, c, netRef, force));
  }

  /** After a daemon restart: re-adopt running containers, record exits that happened. */
  async restore(): Promise<Map<string, number>> {
    const { store, runtime, containersDir, logger } = this.o;
    const exits = await restoreContainers({
      store, runtime, containersDir, logger,
      add: (c) => this.containers.set(c.id, c), spec: (c) => this.spec(c), save: (c) => this.save(c),
    });
    for (const c of this.containers.values()) if (c.status === 'running') this.health.start(c, true);
    return exits;
  }

  /**
   * After the controller's reconcile: running containers list the networks they have endpoints
   * on, and hold the host ports those endpoints were given.
   */
  async restoreNetworking(): Promise<void> {
    await alignNetworkLists(this.containers.values(), this.o.controller, (c) => this.save(c));
    restoreHostPorts(this.containers.values(), this.o.controller, this.o.hostPorts);
    await followAll(this.o, this.containers.values(), this.o.logger);
  }

  /** Removes records of auto-remove containers that exited while the daemon was down. */
  async sweepAutoRemove(): Promise<void> {
    for (const c of [...this.containers.values()]) if (c.autoRemove && c.status === 'exited') await this.destroy(c);
  }

  private async onExit(id: string, code: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.health.stop(id);
    c.status = 'exited';
    c.exitCode = code;
    c.pid = 0;
    c.finishedAt = new Date().toISOString();
    this.linked.delete(id);
    await this.o.dns?.detach(id);
    const tx = this.o.store.begin(); // the container's exit and its endpoints' release: one commit
    await this.o.controller.deleteSandbox(id, tx).catch((err) => this.o.logger.error({ err, id }, 'releasing networking failed'));
    failpoint('container.exit.released');
    this.o.hostPorts.release(id);
    tx.put(CONTAINER_KEY_PREFIX + c.id, c);
    await tx.commit();
    this.o.logger.info({ container: c.name, exitCode: code }, 'container exited');
    this.o.events?.died(c, code);
    this.emit('exit', id, code);
    if (c.autoRemove) await this.ops.run(id, () => this.destroy(c));
  }

  private async destroy(c: ContainerRecord): Promise<void> {
    if (!this.containers.has(c.id)) return; // an rm -f and --rm's own removal both came
    c.status = 'removing';
    await this.o.dns?.detach(c.id);
    const tx = this.o.store.begin(); // the record, its endpoints and their addresses go in one commit
    await this.o.controller.deleteSandbox(c.id, tx);
    failpoint('container.rm.sandbox');
    this.o.hostPorts.release(c.id);
    try {
      await this.o.runtime.remove(this.spec(c));
      failpoint('container.rm.runtime');
      tx.delete(CONTAINER_KEY_PREFIX + c.id);
    } finally {
      await tx.commit(); // the networking is gone either way; the record only with its files
    }
    this.containers.delete(c.id);
    this.o.events?.log(c, 'destroy');
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
      if (c.status !== 'running' || sharedNetnsRef(c.networkMode)) continue;
      await this.resume(c).catch((err) => this.o.logger.error({ err, container: c.name }, 'resuming DNS failed'));
    }
  }

  /** A running container's files again, its default-bridge links resolved anew (those whose target has gone, dropped). */
  private async resume(c: ContainerRecord): Promise<void> {
    const links = legacyLinks(c, this.o.controller, (ref) => this.find(ref), { skipBroken: true });
    this.linked.set(c.id, links);
    await this.etc.write(c, this.dirOf(c), undefined, links);
  }
}
