/**
 * com.docker.network.host_ipv6 (the SNAT source of a network's outgoing IPv6) on both
 * backends beside host_ipv4, and both options' bad values refused in dockerd's words.
 */
import { describe, expect, it } from 'vitest';
import { networkRules } from '../../src/firewall/iptables-rules.js';
import { networkChains } from '../../src/firewall/nft-rules.js';
import { parseBridgeOptions } from '../../drivers/bridge/options.js';
import type { FirewallNetwork } from '../../src/contracts/firewall.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';

const net: FirewallNetwork = {
  id: 'a'.repeat(64), bridge: 'br-a', subnets4: ['10.1.0.0/24'], subnets6: ['fd00:1::/64'], internal: false, icc: true, masquerade: true,
};

describe('com.docker.network.host_ipv6', () => {
  it('iptables: SNAT to the address for IPv6, MASQUERADE for IPv4 without host_ipv4', () => {
    const snat = { ...net, hostIpv6: 'fd00:9::5' };
    expect(networkRules(snat, 6).nat?.[0]).toBe('! -o br-a -j SNAT --to-source fd00:9::5');
    expect(networkRules(snat, 4).nat?.[0]).toBe('! -o br-a -j MASQUERADE');
  });

  it('nftables: one snat per family given, then the masquerade for the other', () => {
    expect(networkChains({ ...net, hostIpv6: 'fd00:9::5' }).nat?.slice(0, 2)).toEqual([
      'oifname != "br-a" meta nfproto ipv6 snat ip6 to fd00:9::5', 'oifname != "br-a" masquerade',
    ]);
    expect(networkChains({ ...net, hostIpv4: '192.0.2.10', hostIpv6: 'fd00:9::5' }).nat?.slice(0, 3)).toEqual([
      'oifname != "br-a" meta nfproto ipv4 snat ip to 192.0.2.10', 'oifname != "br-a" meta nfproto ipv6 snat ip6 to fd00:9::5',
      'oifname != "br-a" masquerade',
    ]);
  });
});

describe('host_ipv4 / host_ipv6 values', () => {
  const info = (o: Record<string, string>) => ({ id: 'n'.repeat(64), options: o, enableIPv6: true, internal: false }) as unknown as NetworkInfo;
  const v4 = 'com.docker.network.host_ipv4';
  const v6 = 'com.docker.network.host_ipv6';

  it('are read by the bridge driver', () => {
    expect(parseBridgeOptions(info({ [v4]: '192.0.2.10', [v6]: 'fd00:9::5' }))).toMatchObject({ hostIpv4: '192.0.2.10', hostIpv6: 'fd00:9::5' });
  });

  it('no IP address: refused as dockerd\'s parseErr words it', () => {
    expect(() => parseBridgeOptions(info({ [v4]: 'bogus' }))).toThrow(`failed to parse ${v4} value: bogus (nil ip)`);
    expect(() => parseBridgeOptions(info({ [v6]: 'fd00::zz' }))).toThrow(`failed to parse ${v6} value: fd00::zz (nil ip)`);
  });

  it('an address of the other family: refused', () => {
    expect(() => parseBridgeOptions(info({ [v6]: '192.0.2.10' }))).toThrow(`failed to parse ${v6} value: 192.0.2.10 (must be a valid IPv6 address)`);
  });
});
