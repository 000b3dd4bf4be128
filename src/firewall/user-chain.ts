/**
 * The user chain of published ports (like Docker's DOCKER-USER, but only for published
 * ports): a chain weft creates when it is missing and never flushes or rewrites, so the
 * rules a user puts there outlive `weft firewall reload`, the repair of a flushed ruleset
 * and daemon restarts. Only a full teardown (which deletes weft's table or chains) removes it.
 *
 * With `--published-ports-firewall=host` the first rule of weft's forward path jumps there
 * for every new connection that weft's DNAT sent to a published port (from another host or a
 * container, through a host address); the connection's original destination (host address
 * and host port) is what `ct original` / `--ctorig*` match. A drop or reject there ends the
 * connection; a return (or no match) hands it back to weft's rules. Connections from the
 * host itself (its address, or loopback through the userland proxy) and between containers
 * never cross that path. With `bypass` (the default) the chain exists and is not consulted.
 */
import type { PublishedPortsFirewall } from './common.js';
import type { RestoreBatch } from './iptables-rules.js';

export type { PublishedPortsFirewall } from './common.js';
export const PUBLISHED_PORTS_FIREWALL_MODES: readonly PublishedPortsFirewall[] = ['bypass', 'host', 'input'];

/** The chain's name in `table inet weft`, and in the iptables filter table. */
export const NFT_USER_CHAIN = 'user';
export const IPTABLES_USER_CHAIN = 'WEFT-USER';

/** The jump in the forward base chain of `table inet weft`. */
const NFT_JUMP = `ct state new ct status dnat jump ${NFT_USER_CHAIN}`;

/** The jump at the top of WEFT-FORWARD, as iptables-save prints it. */
export const IPTABLES_JUMP = `-m conntrack --ctstate NEW -m conntrack --ctstate DNAT -j ${IPTABLES_USER_CHAIN}`;

/**
 * nft commands that go after the base chains were rewritten (so `insert` puts the jump
 * first); `add chain` of an existing chain keeps its rules.
 */
export function nftUserChainScript(table: string, mode: PublishedPortsFirewall | undefined): string {
  const out = [`add chain ${table} ${NFT_USER_CHAIN}`];
  if (mode === 'host') out.push(`insert rule ${table} forward ${NFT_JUMP}`);
  return `${out.join('\n')}\n`;
}

/** The chain where missing (never declared over: that would flush it), and the jump exactly in host mode. */
export function planUserChain(b: RestoreBatch, forwardChain: string, mode: PublishedPortsFirewall | undefined): void {
  b.ensureChain('filter', IPTABLES_USER_CHAIN);
  if (mode === 'host') b.ensure('filter', forwardChain, IPTABLES_JUMP, true);
  else b.remove('filter', forwardChain, IPTABLES_JUMP);
}
