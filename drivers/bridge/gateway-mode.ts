/**
 * The bridge options `gateway_mode_ipv4` / `gateway_mode_ipv6` (Docker 28), validated with
 * dockerd's words: an unknown mode is a parse error, and `isolated` (no gateway address
 * on the host) only makes sense for an internal network.
 */
import { InvalidArgument } from '../../src/util/errors.js';
import type { GatewayMode } from '../../src/contracts/firewall.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';
import { OPT_GATEWAY_MODE_IPV4, OPT_GATEWAY_MODE_IPV6 } from '../../src/contracts/network-options.js';

export const GATEWAY_MODE_KEYS = [OPT_GATEWAY_MODE_IPV4, OPT_GATEWAY_MODE_IPV6];

const MODES: readonly GatewayMode[] = ['nat', 'nat-unprotected', 'routed', 'isolated'];

function parseMode(net: NetworkInfo, key: string): GatewayMode {
  const v = net.options[key];
  if (v === undefined || v === '') return 'nat';
  if (!(MODES as readonly string[]).includes(v)) {
    throw new InvalidArgument(`failed to parse ${key} value: ${v} (unknown gateway mode ${v})`);
  }
  return v as GatewayMode;
}

export function parseGatewayModes(net: NetworkInfo): { 4: GatewayMode; 6: GatewayMode } {
  const modes = { 4: parseMode(net, OPT_GATEWAY_MODE_IPV4), 6: parseMode(net, OPT_GATEWAY_MODE_IPV6) };
  if ((modes[4] === 'isolated' || modes[6] === 'isolated') && !net.internal) {
    throw new InvalidArgument("gateway mode 'isolated' can only be used for an internal network");
  }
  return modes;
}
