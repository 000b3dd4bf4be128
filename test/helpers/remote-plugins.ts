/**
 * Two remote plugins for tests, in Docker's protocol, on PluginServer:
 *   - a network driver that makes its own Linux bridge per network and, at Join, a veth
 *     pair in the daemon's namespace (one end on its bridge, the other handed back as
 *     SrcName for weft to move into the container), and gives no gateway — unless the
 *     network has the option wr.gateway=true: then its bridge holds the pool's gateway,
 *     and Join gives that gateway, two static routes and the interface prefix "wrif";
 *   - an IPAM driver with its own default pool, handing out addresses in order.
 * Both keep what they hold in plain maps, so a test can compare it with weft's records.
 * Their kernel names start with `wr` (this suite's prefix).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PluginServer } from './plugin-server.js';

export class NetworkPlugin {
  readonly server: PluginServer;
  /** NetworkID -> bridge name. */
  readonly networks = new Map<string, string>();
  /** EndpointID -> { network, address }. */
  readonly endpoints = new Map<string, { network: string; address: string }>();
  /** EndpointID -> host-side veth name, while joined. */
  readonly joined = new Map<string, string>();
  /** NetworkID -> the gateway address (ip/prefix) its bridge holds, for wr.gateway=true networks. */
  readonly gateways = new Map<string, string>();

  constructor(dir: string, readonly name: string, private readonly daemonNs: string) {
    this.server = new PluginServer(path.join(dir, `${name}.sock`), ['NetworkDriver'], {
      'NetworkDriver.GetCapabilities': () => ({ Scope: 'local', ConnectivityScope: 'local' }),
      'NetworkDriver.CreateNetwork': (b) => this.createNetwork(b),
      'NetworkDriver.DeleteNetwork': (b) => {
        this.ip(['link', 'del', this.networks.get(b.NetworkID) ?? 'none'], true);
        this.networks.delete(b.NetworkID);
        this.gateways.delete(b.NetworkID);
      },
      'NetworkDriver.CreateEndpoint': (b) => {
        this.endpoints.set(b.EndpointID, { network: b.NetworkID, address: b.Interface.Address });
        return { Interface: {} };
      },
      'NetworkDriver.DeleteEndpoint': (b) => { this.endpoints.delete(b.EndpointID); },
      'NetworkDriver.Join': (b) => this.join(b),
      'NetworkDriver.Leave': (b) => {
        this.ip(['link', 'del', this.joined.get(b.EndpointID) ?? 'none'], true);
        this.joined.delete(b.EndpointID);
      },
    });
  }

  /** Links this plugin made in the daemon's namespace (for the invariants' ignore list). */
  links(): string[] {
    return [...this.networks.values(), ...this.joined.values()];
  }

  private createNetwork(b: any): void {
    if (!b.IPv4Data?.[0]?.Pool) throw new Error('no IPv4 pool');
    const bridge = `wrb${b.NetworkID.slice(0, 8)}`;
    this.ip(['link', 'add', bridge, 'type', 'bridge']);
    this.ip(['link', 'set', bridge, 'up']);
    this.networks.set(b.NetworkID, bridge);
    if (b.Options['com.docker.network.generic']?.['wr.gateway'] === 'true') {
      this.ip(['addr', 'add', b.IPv4Data[0].Gateway, 'dev', bridge]);
      this.gateways.set(b.NetworkID, b.IPv4Data[0].Gateway);
    }
  }

  private join(b: any): unknown {
    const bridge = this.networks.get(b.NetworkID);
    if (!bridge) throw new Error(`no network ${b.NetworkID}`);
    const host = `wrh${b.EndpointID.slice(0, 8)}`;
    const peer = `wrc${b.EndpointID.slice(0, 8)}`;
    this.ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    this.ip(['link', 'set', host, 'master', bridge, 'up']);
    this.joined.set(b.EndpointID, host);
    const gw = this.gateways.get(b.NetworkID)?.split('/')[0];
    if (!gw) return { InterfaceName: { SrcName: peer, DstPrefix: 'eth' }, StaticRoutes: [] };
    return {
      InterfaceName: { SrcName: peer, DstPrefix: 'wrif' },
      Gateway: gw,
      StaticRoutes: [{ Destination: '10.250.0.0/16', RouteType: 0, NextHop: gw }, { Destination: '10.251.0.0/24', RouteType: 1 }],
    };
  }

  private ip(args: string[], tolerant = false): void {
    try {
      execFileSync('nsenter', [`--net=${this.daemonNs}`, 'ip', ...args], { stdio: 'pipe' });
    } catch (err) {
      if (!tolerant) throw err;
    }
  }
}

export class IpamPlugin {
  readonly server: PluginServer;
  /** PoolID -> { subnet prefix "a.b.c", length, taken host numbers }. */
  readonly pools = new Map<string, { base: string; len: number; taken: Set<number> }>();

  constructor(dir: string, readonly name: string, readonly defaultPool: string) {
    this.server = new PluginServer(path.join(dir, `${name}.sock`), ['IpamDriver'], {
      'IpamDriver.GetCapabilities': () => ({ RequiresMACAddress: false }),
      'IpamDriver.GetDefaultAddressSpaces': () => ({ LocalDefaultAddressSpace: 'wrlocal', GlobalDefaultAddressSpace: 'wrglobal' }),
      'IpamDriver.RequestPool': (b) => this.requestPool(b),
      'IpamDriver.ReleasePool': (b) => { this.pools.delete(b.PoolID); },
      'IpamDriver.RequestAddress': (b) => this.requestAddress(b),
      'IpamDriver.ReleaseAddress': (b) => { this.pools.get(b.PoolID)?.taken.delete(Number(b.Address.split('.')[3])); },
    });
  }

  /** Every address held, "ip", sorted. */
  held(): string[] {
    return [...this.pools.values()].flatMap((p) => [...p.taken].map((n) => `${p.base}.${n}`)).sort();
  }

  private requestPool(b: any): unknown {
    if (b.V6) throw new Error('this plugin has no IPv6 pools');
    const pool = b.Pool || this.defaultPool;
    const id = `wr-${pool}`;
    if (this.pools.has(id)) throw new Error(`pool ${pool} is in use`);
    const [net, len] = pool.split('/');
    this.pools.set(id, { base: net.split('.').slice(0, 3).join('.'), len: Number(len), taken: new Set() });
    return { PoolID: id, Pool: pool, Data: {} };
  }

  private requestAddress(b: any): unknown {
    const p = this.pools.get(b.PoolID);
    if (!p) throw new Error(`no pool ${b.PoolID}`);
    let n = b.Address ? Number(b.Address.split('.')[3]) : 1;
    if (b.Address && p.taken.has(n)) throw new Error(`address ${b.Address} is in use`);
    while (!b.Address && p.taken.has(n)) n++;
    p.taken.add(n);
    return { Address: `${p.base}.${n}/${p.len}`, Data: {} };
  }
}
