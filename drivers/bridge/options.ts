/**
 * The bridge driver's `-o` options, with Docker's names, parsed and validated once so
 * bad input is refused before anything is allocated.
 */
import { InvalidArgument } from '../../src/util/errors.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';

import {
  OPT_BRIDGE_NAME, OPT_DEFAULT_BRIDGE, OPT_HOST_BINDING_IPV4, OPT_ICC, OPT_MASQUERADE, OPT_MTU,
} from '../../src/contracts/network-options.js';
import type { GatewayMode } from '../../src/contracts/firewall.js';
import { GATEWAY_MODE_KEYS, parseGatewayModes } from './gateway-mode.js';
import { parseHostSnat } from './host-snat.js';
import { OPT_TRUSTED_HOST_INTERFACES, parseTrustedInterfaces } from './trusted-interfaces.js';

const KNOWN = new Set([OPT_BRIDGE_NAME, OPT_ICC, OPT_MASQUERADE, OPT_MTU, OPT_HOST_BINDING_IPV4, OPT_DEFAULT_BRIDGE, ...GATEWAY_MODE_KEYS,
  'com.docker.network.bridge.inhibit_ipv4', 'com.docker.network.container_iface_prefix', OPT_TRUSTED_HOST_INTERFACES]);

export interface BridgeOptions {
  bridgeName: string;
  icc: boolean;
  masquerade: boolean;
  mtu?: number;
  hostBindingIpv4?: string;
  /** SNAT source of outgoing IPv4 and IPv6 (com.docker.network.host_ipv4, host_ipv6). */
  hostIpv4?: string;
  hostIpv6?: string;
  gatewayModes: { 4: GatewayMode; 6: GatewayMode };
  trustedInterfaces: string[];
}

const IPV6_MIN_MTU = 1280;
const IFNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

function bool(net: NetworkInfo, key: string, dflt: boolean): boolean {
  const v = net.options[key];
  if (v === undefined || v === '') return dflt;
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw new InvalidArgument(`invalid value for ${key}: "${v}" is not a boolean`);
}

export function parseBridgeOptions(net: NetworkInfo): BridgeOptions {
  for (const key of Object.keys(net.options)) {
    // Docker ignores unknown driver options silently; we do too, except misspelt bridge ones.
    if (key.startsWith('com.docker.network.bridge.') && !KNOWN.has(key)) {
      throw new InvalidArgument(`unknown bridge driver option "${key}"`);
    }
  }
  const bridgeName = net.options[OPT_BRIDGE_NAME] || `br-${net.id.slice(0, 12)}`;
  if (!IFNAME.test(bridgeName)) {
    throw new InvalidArgument(`invalid bridge name "${bridgeName}": at most 15 characters of [a-zA-Z0-9_.-]`);
  }
  let mtu: number | undefined;
  if (net.options[OPT_MTU]) {
    mtu = Number(net.options[OPT_MTU]);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new InvalidArgument(`invalid MTU "${net.options[OPT_MTU]}": must be an integer between 68 and 65535`);
    }
    // The kernel drops a link's IPv6 addresses below the IPv6 minimum MTU (RFC 8200).
    if (net.enableIPv6 && mtu < IPV6_MIN_MTU) {
      throw new InvalidArgument(`invalid MTU ${mtu}: an IPv6 network needs an MTU of at least ${IPV6_MIN_MTU}`);
    }
  }
  return {
    bridgeName,
    icc: bool(net, OPT_ICC, true),
    masquerade: bool(net, OPT_MASQUERADE, true),
    mtu,
    hostBindingIpv4: net.options[OPT_HOST_BINDING_IPV4] || undefined,
    gatewayModes: parseGatewayModes(net),
    ...parseHostSnat(net),
    trustedInterfaces: parseTrustedInterfaces(net),
  };
}
