/**
 * Encrypted overlays (Docker's `encrypted` option): the network's VXLAN runs between the
 * hosts' WireGuard tunnel addresses, so every frame leaves the host inside WireGuard; the
 * network's default MTU leaves room for WireGuard's header too. Unencrypted networks keep
 * the underlay addresses and never touch the WireGuard device.
 */
import { isEncrypted, type OverlayEncryption } from '../../src/contracts/cluster.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';
import { InvalidArgument } from '../../src/util/errors.js';
import { WG_OVERHEAD } from '../../src/kernel/wireguard.js';

/** Shown in `network inspect`: which WireGuard implementation the creating host used. */
export const OPT_ENCRYPTION = 'com.weft.overlay.encryption';

/** The options an encrypted network gains (none for a plain one); refused without WireGuard. */
export function encryptionOptions(net: NetworkInfo, enc: OverlayEncryption | undefined): { [k: string]: string } {
  if (!isEncrypted(net.options)) return {};
  if (!enc) {
    throw new InvalidArgument(
      'encrypted overlay networks need WireGuard: this host has neither kernel WireGuard nor wireguard-go with /dev/net/tun');
  }
  return { [OPT_ENCRYPTION]: `wireguard (${enc.implementation})` };
}

/** Default MTU of an encrypted network, from the plain overlay default. */
export function tunnelMtu(overlayMtu: number): number {
  return overlayMtu - WG_OVERHEAD;
}

/** The local VXLAN endpoint of a network. */
export function vtepOf(encrypted: boolean, advertiseAddr: string, enc: OverlayEncryption | undefined): string {
  return encrypted && enc ? enc.tunnelAddr : advertiseAddr;
}
