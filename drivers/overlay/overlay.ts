/**
 * The overlay driver: one L2 segment per network spanning every host of the cluster, over
 * VXLAN. Like Docker's, each host that has (had) endpoints on a network keeps a network
 * namespace of its own for it, `<run dir>/netns/ov-<vni>`, holding
 *   - br0: a Linux bridge (no address: overlays have no gateway; the way out is
 *     weft_gwbridge, which the controller attaches),
 *   - vx-<vni>: the VXLAN device (id = VNI, UDP 4789, local = this host's advertise
 *     address, learning off, ARP/ND proxy on). It is created in the daemon's namespace —
 *     so its UDP socket lives on the underlay — and then moved into the overlay namespace,
 *   - one veth per local endpoint: this end on br0, the peer born in the container as ethN.
 * Nothing floods: for every remote endpoint (from the cluster's peer source: the endpoints
 * other hosts' controllers publish under their lease) the driver programs a static FDB
 * entry (MAC -> remote VTEP) and a permanent neighbour (IP -> MAC) on the VXLAN device, so
 * the device answers ARP/ND itself and unicasts every frame to the right host. When a
 * record goes (endpoint removed, or its host's lease expired) the entries go too.
 * The namespace lives from the first local join until the network is deleted (on any host).
 * An encrypted network (`encrypted` option) runs its VXLAN between WireGuard tunnel
 * addresses instead (encryption.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ifla } from 'netlink';
import type pino from 'pino';
import { isEncrypted, type OverlayEncryption, type VniClaims } from '../../src/contracts/cluster.js';
import type { ClusterEndpoint, PeerChange, PeerSource } from '../../src/contracts/peers.js';
import { Conflict, InvalidArgument } from '../../src/util/errors.js';
import { ipToBuffer, splitCidr } from '../../src/util/ip.js';
import { createNetns, deleteNetns, isNetnsMount } from '../../src/kernel/netns.js';
import { Rtnl } from '../../src/kernel/rtnl.js';
import { plugVeth } from '../../src/kernel/veth.js';
import { KeyedSerial } from '../../src/util/lock.js';
import { tuneEndpointVeth, tuneOverlayNamespace } from './datapath.js';
import { encryptionOptions, tunnelMtu, vtepOf } from './encryption.js';
import type { DriverCapability, EndpointInfo, JoinResult, NetworkDriver, NetworkInfo, SandboxInfo } from '../../src/contracts/driver.js';

export const OPT_VNI = 'com.docker.network.driver.overlay.vxlanid_list';
export const OPT_MTU = 'com.docker.network.driver.mtu';
export const VXLAN_PORT = 4789;
export const FIRST_VNI = 4096;
const MAX_VNI = (1 << 24) - 1;
/** VXLAN over IPv4: outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;
const BRIDGE = 'br0';

export interface OverlayDeps {
  /** rtnetlink handle of the daemon's (host/underlay) namespace. */
  host: Rtnl;
  /** This host's underlay address (the local VXLAN tunnel endpoint). */
  advertiseAddr: string;
  /** Remote endpoints of the cluster's global networks. */
  peers: PeerSource;
  vnis: VniClaims;
  /** Where the overlay namespaces are pinned (the daemon's netns dir). */
  netnsDir: string;
  /** Default MTU of overlay interfaces (underlay MTU - 50 unless configured). */
  mtu: number;
  /** This host's WireGuard mesh; absent: encrypted networks are refused. */
  encryption?: OverlayEncryption;
  logger: pino.Logger;
  /** Told how long a remote endpoint's change took from the watch to the VXLAN device (metrics). */
  peerProgrammed?: (change: PeerChange['type'], seconds: number) => void;
}

interface Active {
  vni: number;
  nsPath: string;
  /** rtnetlink handle inside the overlay namespace. */
  h: Rtnl;
  vxIndex: number;
  brIndex: number;
  mtu: number;
  /** Holds one use of the WireGuard device. */
  encrypted: boolean;
}

export class OverlayDriver implements NetworkDriver {
  readonly name = 'overlay';
  readonly capability: DriverCapability = { scope: 'global', needsIpam: true, userCreatable: true };
  private readonly active = new Map<string, Active>();
  /** One kernel change at a time per network (activation vs. peer updates). */
  private readonly perNetwork = new KeyedSerial();
  private unsubscribe?: () => void;

  constructor(private readonly deps: OverlayDeps) {}

  /** Follow the remote endpoints' changes (before the controller's reconcile). */
  start(): void {
    this.unsubscribe = this.deps.peers.subscribe((change) => this.onPeer(change));
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const a of this.active.values()) a.h.close();
    this.active.clear();
  }

  /**
   * Remove overlay namespaces of networks that no longer exist (deleted while this daemon
   * was down), with whatever was left in them.
   */
  async sweep(known: NetworkInfo[]): Promise<void> {
    const keep = new Set(known.filter((n) => n.driver === this.name).map((n) => this.nsPathOf(vniOf(n))));
    if (!fs.existsSync(this.deps.netnsDir)) return;
    for (const f of fs.readdirSync(this.deps.netnsDir)) {
      const p = path.join(this.deps.netnsDir, f);
      if (!/^ov-\d+$/.test(f) || keep.has(p)) continue;
      this.deps.logger.info({ ns: f }, 'removing the namespace of an overlay network that is gone');
      await this.deps.host.deleteLink(`vx-${f.slice(3)}`).catch(() => undefined);
      deleteNetns(p);
    }
  }

  // ------------------------------------------------------------------ networks

  validateNetwork(net: NetworkInfo): void {
    this.mtuOf(net);
    encryptionOptions(net, this.deps.encryption);
    const v = net.options[OPT_VNI];
    if (v !== undefined && v !== '') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > MAX_VNI) {
        throw new InvalidArgument(`invalid ${OPT_VNI} "${v}": one VNI between 1 and ${MAX_VNI}`);
      }
    }
  }

  /** Claim a VNI cluster-wide: the given one, or the lowest free from 4096 up. */
  async allocateNetwork(net: NetworkInfo): Promise<void> {
    const { vnis } = this.deps;
    Object.assign(net.options, encryptionOptions(net, this.deps.encryption));
    const wanted = net.options[OPT_VNI] ? Number(net.options[OPT_VNI]) : undefined;
    if (wanted !== undefined) {
      if (!(await vnis.claim(wanted, net.id))) throw new Conflict(`VNI ${wanted} is already in use`);
      return;
    }
    for (;;) {
      const used = new Set(await vnis.claimed());
      let vni = FIRST_VNI;
      while (used.has(vni)) vni++;
      if (vni > MAX_VNI) throw new Conflict('no free VNI');
      if (await vnis.claim(vni, net.id)) {
        net.options[OPT_VNI] = String(vni);
        return;
      }
      // another host took it meanwhile: look again
    }
  }

  async freeNetwork(net: NetworkInfo): Promise<void> {
    const vni = net.options[OPT_VNI];
    if (!vni) return;
    await this.deps.vnis.release(Number(vni), net.id);
  }

  /** Nothing yet: a host builds a network's namespace when its first endpoint joins. */
  async createNetwork(_net: NetworkInfo): Promise<void> {}

  async deleteNetwork(net: NetworkInfo): Promise<void> {
    await this.perNetwork.run(net.id, () => this.deactivate(net));
  }

  // ------------------------------------------------------------------ endpoints

  async createEndpoint(_net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    ep.driverState.hostIf = `veth${ep.id.slice(0, 7)}`;
  }

  async deleteEndpoint(net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    if (ep.driverState.leftWithNamespace === 'true') return;
    const a = this.active.get(net.id);
    if (a && ep.driverState.hostIf) await a.h.deleteLink(ep.driverState.hostIf);
  }

  async join(net: NetworkInfo, ep: EndpointInfo, sb: SandboxInfo): Promise<JoinResult> {
    const a = await this.perNetwork.run(net.id, () => this.activate(net));
    const hostIf = ep.driverState.hostIf;
    await plugVeth(a.h, {
      hostIf, bridgeIndex: a.brIndex, ifName: ep.ifName, nsPath: sb.nsPath, mtu: a.mtu, mac: ep.mac,
      ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}),
    });
    const untuned = tuneEndpointVeth(a.nsPath, hostIf, sb.nsPath, ep.ifName);
    if (untuned) this.deps.logger.warn({ err: untuned, endpoint: ep.id }, 'GRO on the endpoint\'s veth pair refused; it works without');
    return {}; // no gateway on an overlay
  }

  async leave(net: NetworkInfo, ep: EndpointInfo, sb: SandboxInfo): Promise<void> {
    if (sb.closing) {
      // The pair dies with the container's namespace.
      ep.driverState.leftWithNamespace = 'true';
      return;
    }
    const a = this.active.get(net.id);
    if (a) await a.h.deleteLink(ep.driverState.hostIf);
  }

  /** Published ports are not offered on overlays (they would go through weft_gwbridge). */
  async programExternalConnectivity(): Promise<void> {}
  async revokeExternalConnectivity(): Promise<void> {}

  /**
   * After a restart: rebuild the VXLAN device (so its FDB/neighbour tables hold exactly the
   * peers the store has now) and any lost veth of a still-running container.
   */
  async restoreNetwork(net: NetworkInfo, endpoints: { ep: EndpointInfo; sb: SandboxInfo }[]): Promise<void> {
    if (!endpoints.length && !this.active.has(net.id) && !isNetnsMount(this.nsPathOf(vniOf(net)))) return;
    // Rebuilt once per daemon life (after a restart); later calls (firewall reloads) find
    // it active and only check the endpoints.
    const a = this.active.get(net.id) ?? await this.perNetwork.run(net.id, () => this.activate(net, { rebuild: true }));
    for (const { ep, sb } of endpoints) {
      const veth = await a.h.link(ep.driverState.hostIf);
      if (!veth) await this.join(net, ep, sb);
      else if (veth.master !== a.brIndex || !veth.up) await a.h.setLink(veth.index, { master: a.brIndex, up: true });
    }
  }

  // ------------------------------------------------------------------ kernel

  private nsPathOf(vni: number): string {
    return path.join(this.deps.netnsDir, `ov-${vni}`);
  }

  private mtuOf(net: NetworkInfo): number {
    const v = net.options[OPT_MTU];
    if (v === undefined || v === '') return isEncrypted(net.options) ? tunnelMtu(this.deps.mtu) : this.deps.mtu;
    const mtu = Number(v);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new InvalidArgument(`invalid MTU "${v}": must be an integer between 68 and 65535`);
    }
    return mtu;
  }

  /** Build (or, after a restart, re-open) the network's namespace, bridge and VXLAN device. */
  private async activate(net: NetworkInfo, o: { rebuild?: boolean } = {}): Promise<Active> {
    const have = this.active.get(net.id);
    if (have && !o.rebuild) return have;
    // Never plaintext for an encrypted network: a host without WireGuard refuses the join.
    encryptionOptions(net, this.deps.encryption);
    const vni = vniOf(net);
    const mtu = this.mtuOf(net);
    const nsPath = this.nsPathOf(vni);
    const fresh = !isNetnsMount(nsPath);
    if (fresh) createNetns(nsPath);
    const h = have?.h ?? Rtnl.open(nsPath);
    const vxName = `vx-${vni}`;
    const encrypted = isEncrypted(net.options);
    let acquired = false;
    try {
      if (encrypted && !have) {
        await this.deps.encryption!.acquire(tunnelMtu(this.deps.mtu) + VXLAN_OVERHEAD);
        acquired = true;
      }
      if (fresh) await h.setLink((await h.requireLink('lo')).index, { up: true });
      tuneOverlayNamespace(nsPath);
      let br = await h.link(BRIDGE);
      if (!br) {
        await h.createBridge(BRIDGE, { mtu });
        br = await h.requireLink(BRIDGE);
      }
      await h.setLink(br.index, { up: true });
      // The VXLAN device, created in the daemon's namespace (UDP socket on the underlay)
      // and moved. Rebuilt from scratch after a restart: its tables start empty.
      await h.deleteLink(vxName);
      await this.deps.host.deleteLink(vxName);
      await this.deps.host.createLink(vxName, 'vxlan', ifla.formatVxlan({
        id: vni,
        local: ipToBuffer(vtepOf(encrypted, this.deps.advertiseAddr, this.deps.encryption)),
        port: u16be(VXLAN_PORT),
        learning: 0,
        proxy: 1,
        ttl: 64,
      }), { mtu });
      const moved = await this.deps.host.requireLink(vxName);
      await this.deps.host.setLink(moved.index, { nsPath });
      const vx = await h.requireLink(vxName);
      await h.setLink(vx.index, { master: br.index, up: true });
      const a: Active = { vni, nsPath, h, vxIndex: vx.index, brIndex: br.index, mtu, encrypted };
      this.active.set(net.id, a);
      const peers = this.deps.peers.remoteEndpoints(net.id);
      for (const p of peers) await this.program(a, p);
      const what = fresh ? 'overlay namespace created' : 'overlay namespace re-opened';
      this.deps.logger.info({ network: net.name, vni, peers: peers.length, mtu }, what);
      return a;
    } catch (err) {
      this.active.delete(net.id);
      if (!have) h.close();
      if (acquired || have?.encrypted) await this.deps.encryption!.release().catch(() => undefined);
      await this.deps.host.deleteLink(vxName).catch(() => undefined);
      if (fresh) deleteNetns(nsPath);
      throw err;
    }
  }

  private async deactivate(net: NetworkInfo): Promise<void> {
    const vni = net.options[OPT_VNI] ? vniOf(net) : undefined;
    if (vni === undefined) return;
    const a = this.active.get(net.id);
    const nsPath = this.nsPathOf(vni);
    // Delete the VXLAN device now (its socket, on the underlay, with it) rather than leave
    // it to the namespace's asynchronous cleanup: the VNI may be reused at once.
    const h = a?.h ?? (isNetnsMount(nsPath) ? Rtnl.open(nsPath) : undefined);
    try {
      await h?.deleteLink(`vx-${vni}`);
    } finally {
      h?.close();
    }
    this.active.delete(net.id);
    if (a?.encrypted) await this.deps.encryption!.release();
    deleteNetns(nsPath);
    this.deps.logger.info({ network: net.name, vni }, 'overlay namespace removed');
  }

  private async program(a: Active, p: ClusterEndpoint): Promise<void> {
    await a.h.setFdb(a.vxIndex, p.mac, p.vtep);
    if (p.ipv4) await a.h.setNeighbor(a.vxIndex, splitCidr(p.ipv4).ip, p.mac);
    if (p.ipv6) await a.h.setNeighbor(a.vxIndex, splitCidr(p.ipv6).ip, p.mac);
  }

  private async unprogram(a: Active, p: ClusterEndpoint): Promise<void> {
    if (p.ipv4) await a.h.deleteNeighbor(a.vxIndex, splitCidr(p.ipv4).ip);
    if (p.ipv6) await a.h.deleteNeighbor(a.vxIndex, splitCidr(p.ipv6).ip);
    await a.h.deleteFdb(a.vxIndex, p.mac, p.vtep);
  }

  private onPeer(change: PeerChange): void {
    const { endpoint: p } = change;
    const old = change.type === 'add' ? change.previous : p;
    this.perNetwork.run(p.networkId, async () => {
      const a = this.active.get(p.networkId);
      if (!a) return;
      if (old && (change.type === 'remove' || !samePeer(old, p))) await this.unprogram(a, old);
      if (change.type === 'add') await this.program(a, p);
      if (change.receivedAt !== undefined) this.deps.peerProgrammed?.(change.type, (performance.now() - change.receivedAt) / 1000);
    }).catch((err) => this.deps.logger.error({ err, endpoint: p.id }, 'programming an overlay peer failed'));
  }
}

function samePeer(a: ClusterEndpoint, b: ClusterEndpoint): boolean {
  return a.mac === b.mac && a.vtep === b.vtep && a.ipv4 === b.ipv4 && a.ipv6 === b.ipv6;
}

export function vniOf(net: NetworkInfo): number {
  const v = Number(net.options[OPT_VNI]);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgument(`network ${net.name} has no VNI`);
  return v;
}

function u16be(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** Overlay MTU for an underlay interface MTU. */
export function overlayMtu(underlayMtu: number): number {
  return underlayMtu - VXLAN_OVERHEAD;
}

/**
 * The driver of a daemon in a cluster, its peers loaded and followed. The default MTU is
 * `mtu` when given (--overlay-mtu), else the MTU of the interface holding the advertise
 * address minus the VXLAN overhead.
 */
export async function createOverlayDriver(o: Omit<OverlayDeps, 'mtu'> & { mtu?: number }): Promise<OverlayDriver> {
  let mtu = o.mtu;
  if (mtu === undefined) {
    const addr = o.advertiseAddr;
    const hit = (await o.host.addresses()).find((a) => splitCidr(a.cidr).ip === addr);
    if (!hit) throw new InvalidArgument(`advertise address ${addr} is not an address of this host`);
    const link = (await o.host.links()).find((l) => l.index === hit.index);
    mtu = overlayMtu(link?.mtu || 1500);
  }
  const d = new OverlayDriver({ ...o, mtu });
  d.start();
  return d;
}
