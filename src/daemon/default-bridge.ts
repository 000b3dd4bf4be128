/**
 * The predefined `bridge` network, made from the daemon's flags (--bip, --fixed-cidr, --ipv6,
 * --fixed-cidr-v6, --mtu, --ip) and the address pools. dockerd deletes and re-creates it at
 * every start, so a changed flag takes effect on a restart; weft does the same when the stored
 * network differs from the flags and has no endpoint, and keeps it (with a warning) while
 * containers still use it.
 */
import type { Logger } from 'pino';
import {
  OPT_BRIDGE_NAME, OPT_DEFAULT_BRIDGE, OPT_HOST_BINDING_IPV4, OPT_ICC, OPT_MASQUERADE, OPT_MTU,
} from '../contracts/network-options.js';
import type { Controller } from '../controller/controller.js';
import type { NetworkCreateRequest, NetworkRecord } from '../controller/model.js';
import type { DefaultBridgeConfig } from './bridge-flags.js';

type Pools = { v4: string[]; v6: string[] };

export function defaultBridgeRequest(bridgeName: string, c: DefaultBridgeConfig): NetworkCreateRequest {
  return {
    name: 'bridge',
    driver: 'bridge',
    options: {
      [OPT_BRIDGE_NAME]: bridgeName, [OPT_DEFAULT_BRIDGE]: 'true', [OPT_ICC]: 'true', [OPT_MASQUERADE]: 'true',
      ...(c.mtu ? { [OPT_MTU]: String(c.mtu) } : {}),
      ...(c.hostIp ? { [OPT_HOST_BINDING_IPV4]: c.hostIp } : {}),
    },
    ...(c.ipv6 ? { enableIPv6: true } : {}),
    ...(c.ipv4 || c.ipv6?.subnet ? { ipam: { config: ipamConfig(c) } } : {}),
  };
}

function ipamConfig(c: DefaultBridgeConfig): NonNullable<NetworkCreateRequest['ipam']>['config'] {
  return [...(c.ipv4 ? [{ ...c.ipv4, gateway: c.ipv4.gateway.split('/')[0] }] : []), ...(c.ipv6?.subnet ? [c.ipv6] : [])];
}

/**
 * Whether the stored network is what `req` would make: options, and the subnet the flags name,
 * or else an auto-picked one from the pools (as dockerd, which with --default-address-pool drops
 * the old bridge so that it picks again).
 */
function matches(n: NetworkRecord, req: NetworkCreateRequest, c: DefaultBridgeConfig, pools?: Pools): boolean {
  const want = req.options ?? {};
  const keys = new Set([...Object.keys(want), ...Object.keys(n.options)]);
  if ([...keys].some((k) => (want[k] ?? '') !== (n.options[k] ?? ''))) return false;
  if (n.enableIPv6 !== !!c.ipv6 || (c.ipv6 && !sameIpv6(n, c.ipv6, pools))) return false;
  const pool = n.ipv4[0];
  if (!c.ipv4) return n.userSubnets === !!c.ipv6?.subnet && (!pools?.v4.length || (!!pool && pools.v4.includes(pool.subnet)));
  return pool?.subnet === c.ipv4.subnet && pool.gateway === c.ipv4.gateway && (pool.ipRange ?? '') === (c.ipv4.ipRange ?? '');
}

/** The IPv6 pool is the one --fixed-cidr-v6 names, or, without it, one picked from the address pools given (if any). */
function sameIpv6(n: NetworkRecord, want: NonNullable<DefaultBridgeConfig['ipv6']>, pools?: Pools): boolean {
  const v6 = n.ipv6[0];
  if (!want.subnet) return !!v6 && (!pools?.v6.length || pools.v6.includes(v6.subnet));
  return v6?.subnet === want.subnet && v6.gateway?.split('/')[0] === want.gateway;
}

/** Create the default bridge, or re-create it when the flags changed and nothing is attached. */
export async function ensureDefaultBridge(
  ctl: Controller, o: { defaultBridge?: string; defaultBridgeConfig?: DefaultBridgeConfig; addressPools?: Pools },
  logger: Logger,
): Promise<void> {
  const c = o.defaultBridgeConfig ?? {};
  const req = defaultBridgeRequest(o.defaultBridge ?? 'weft0', c);
  const existing = ctl.listNetworks().find((n) => n.name === 'bridge');
  if (existing && matches(existing, req, c, o.addressPools)) return;
  if (existing) {
    if (ctl.endpointsOf(existing.id).length) {
      logger.warn({ network: 'bridge' }, 'the default bridge differs from --bip/--fixed-cidr/--mtu/--ip but has endpoints: kept as it is');
      return;
    }
    logger.info({ network: 'bridge' }, 'default bridge options changed: re-creating it');
    await ctl.deleteNetwork(existing.id, { predefined: true });
  }
  await ctl.createNetwork(req, { predefined: true });
}
