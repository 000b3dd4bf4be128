/**
 * `network connect` / `network disconnect` of one container: a running container gets or
 * loses the endpoint now, a stopped one only changes the list it will join at its next
 * start. The endpoint change and the container's network list are one commit, so a crash
 * never leaves one without the other.
 */
import type { Logger } from 'pino';
import type { Store } from '../contracts/store.js';
import type { Controller } from '../controller/controller.js';
import { Conflict, InvalidArgument, NotFound } from '../util/errors.js';
import { failpoint } from '../util/failpoint.js';
import { CONTAINER_KEY_PREFIX, type ContainerRecord, type EndpointConfig } from './records.js';
import { sharedNetnsRef } from './shared-netns.js';

export interface AttachDeps {
  store: Store;
  logger: Logger;
  controller: Controller;
  /** Rewrites the running container's /etc/hosts and resolv.conf for its networks. */
  writeEtc(c: ContainerRecord): Promise<void>;
  /** Moves the running container's published ports to the network that carries them now (port-follow.ts). */
  followPorts(c: ContainerRecord): Promise<void>;
}

export async function connectContainer(d: AttachDeps, c: ContainerRecord, netRef: string, config: EndpointConfig): Promise<void> {
  const n = d.controller.findNetwork(netRef);
  if (sharedNetnsRef(c.networkMode)) {
    throw new InvalidArgument('container sharing network namespace with another container or host '
      + 'cannot be connected to any other network');
  }
  if (c.networkMode === 'host' || c.networkMode === 'none') {
    throw new InvalidArgument(`container cannot be disconnected from host network or connected to host network`);
  }
  if (c.networks.some((x) => d.controller.findNetwork(x.name).id === n.id) && c.status !== 'running') {
    throw new Conflict(`endpoint with name ${c.name} already exists in network ${n.name}`);
  }
  const tx = d.store.begin();
  try {
    if (c.status === 'running') await d.controller.connect(c.id, n.id, { ...config, name: c.name }, tx);
    failpoint('container.connect.endpoint');
    if (!c.networks.some((x) => x.name === n.name || x.name === n.id)) c.networks.push({ name: n.name, config });
    tx.put(CONTAINER_KEY_PREFIX + c.id, c);
    await tx.commit();
  } finally {
    tx.abort();
  }
  if (c.status !== 'running') return;
  try {
    await d.followPorts(c);
  } catch (err) {
    // Its ports cannot be served there (a host port is taken): as with dockerd, the connect fails whole.
    await disconnectContainer(d, c, n.id, true);
    throw err;
  }
  await d.writeEtc(c);
}

export async function disconnectContainer(d: AttachDeps, c: ContainerRecord, netRef: string, force: boolean): Promise<void> {
  const stale = force ? c.networks.findIndex((x) => x.name === netRef) : -1;
  if (stale >= 0 && isGone(d.controller, netRef)) return forgetNetwork(d, c, stale);
  const n = d.controller.findNetwork(netRef);
  const idx = c.networks.findIndex((x) => x.name === n.name || x.name === n.id);
  if (c.status !== 'running' && idx < 0) throw new NotFound(`container ${c.id.slice(0, 12)} is not connected to network ${n.name}`);
  const tx = d.store.begin();
  try {
    if (c.status === 'running') await d.controller.disconnect(c.id, n.id, { force }, tx);
    failpoint('container.disconnect.endpoint');
    if (idx >= 0) c.networks.splice(idx, 1);
    tx.put(CONTAINER_KEY_PREFIX + c.id, c);
    await tx.commit();
  } finally {
    tx.abort();
  }
  if (c.status === 'running') {
    // The disconnect stands either way, as dockerd's (which logs a gateway it cannot set).
    await d.followPorts(c).catch((err) => d.logger.error({ err, container: c.name }, 'moving published ports failed'));
    await d.writeEtc(c);
  }
}

/** dockerd's `disconnect -f` from a network removed under a stopped container: the entry goes. */
async function forgetNetwork(d: AttachDeps, c: ContainerRecord, idx: number): Promise<void> {
  c.networks.splice(idx, 1);
  const tx = d.store.begin();
  try {
    tx.put(CONTAINER_KEY_PREFIX + c.id, c);
    await tx.commit();
  } finally {
    tx.abort();
  }
}

function isGone(ctl: Controller, ref: string): boolean {
  try {
    ctl.findNetwork(ref);
    return false;
  } catch (err) {
    if (err instanceof NotFound) return true;
    throw err;
  }
}
