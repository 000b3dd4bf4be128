/**
 * weft_gwbridge, like docker_gwbridge: the local bridge network that gives containers on
 * overlay networks and remote networks without a gateway of their own a way out, and
 * carries their published ports. Created on first use; a sandbox leaves it when none of
 * its endpoints needs it.
 */
import type { ConnectRequest, EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import type { Networks } from './networks.js';
import type { ControllerState } from './state.js';

/** What the gateway needs of the endpoint service, which in turn calls the gateway. */
export interface GatewayEndpoints {
  connectLocked(sb: SandboxRecord, n: NetworkRecord, req: ConnectRequest): Promise<EndpointRecord>;
  remove(ep: EndpointRecord, opts: { force: boolean }): Promise<void>;
}

export const GW_BRIDGE_NET = 'weft_gwbridge';

export class DefaultGateway {
  private pending?: Promise<NetworkRecord>;

  constructor(private readonly s: ControllerState, private readonly networks: Networks, private readonly endpoints: GatewayEndpoints) {}

  /** Connect the sandbox (its lock held) to weft_gwbridge unless it already is. */
  async attach(sb: SandboxRecord, portBindings: EndpointRecord['portBindings']): Promise<EndpointRecord | undefined> {
    const gwNet = await this.network();
    if (this.s.sandboxEndpoints(sb.id).some((e) => e.networkId === gwNet.id)) return undefined;
    return this.endpoints.connectLocked(sb, gwNet, { name: `gateway_${sb.id.slice(0, 12)}`, portBindings });
  }

  /** After an overlay endpoint left: drop the weft_gwbridge endpoint if no overlay needs it. */
  async detachIfUnneeded(sb: SandboxRecord): Promise<void> {
    const eps = this.s.sandboxEndpoints(sb.id);
    const gw = eps.find((e) => this.s.networks.get(e.networkId)?.name === GW_BRIDGE_NET);
    if (!gw) return;
    const needed = eps.some((e) => {
      const n = this.s.networks.get(e.networkId);
      return !!n && !n.internal && (n.scope !== 'local' || !!e.gatewayService);
    });
    if (!needed) await this.endpoints.remove(gw, { force: true });
  }

  private network(): Promise<NetworkRecord> {
    const have = this.s.listNetworks().find((x) => x.name === GW_BRIDGE_NET);
    if (have) return Promise.resolve(have);
    this.pending ??= this.networks.create({
      name: GW_BRIDGE_NET,
      driver: 'bridge',
      options: {
        'com.docker.network.bridge.name': GW_BRIDGE_NET,
        'com.docker.network.bridge.enable_icc': 'false',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
      },
    }).finally(() => { this.pending = undefined; });
    return this.pending;
  }
}
