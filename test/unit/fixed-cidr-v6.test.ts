/** dockerd's --ipv6 and --fixed-cidr-v6: IPv6 on the default bridge, checked as dockerd checks them. */
import { describe, expect, it } from 'vitest';
import { defaultBridgeConfig } from '../../src/daemon/bridge-flags.js';
import { defaultBridgeRequest } from '../../src/daemon/default-bridge.js';

const flags = (o: { ipv6?: boolean; fixedCidrV6?: string; bip?: string }) => ({ defaultAddressPool: [], ...o });

describe('--ipv6 / --fixed-cidr-v6', () => {
  it('give the default bridge an IPv6 pool whose first address is the gateway', () => {
    const c = defaultBridgeConfig(flags({ ipv6: true, fixedCidrV6: 'fd00:77::/64' }));
    expect(c.ipv6).toEqual({ subnet: 'fd00:77::/64', gateway: 'fd00:77::1' });
    const req = defaultBridgeRequest('weft0', c);
    expect(req.enableIPv6).toBe(true);
    expect(req.ipam?.config).toEqual([{ subnet: 'fd00:77::/64', gateway: 'fd00:77::1' }]);
  });

  it('--fixed-cidr-v6 without --ipv6 is checked but leaves IPv6 off, as dockerd', () => {
    expect(defaultBridgeConfig(flags({ fixedCidrV6: 'fd00:77::/64' })).ipv6).toBeUndefined();
    expect(() => defaultBridgeConfig(flags({ fixedCidrV6: '10.0.0.0/24' }))).toThrow("invalid fixed-cidr-v6: '10.0.0.0/24' is not a valid IPv6 subnet");
  });

  it('--ipv6 alone enables IPv6 and leaves its subnet to the address pools, as dockerd 27+', () => {
    const c = defaultBridgeConfig(flags({ ipv6: true }));
    expect(c.ipv6).toEqual({});
    const req = defaultBridgeRequest('weft0', c);
    expect(req.enableIPv6).toBe(true);
    expect(req.ipam).toBeUndefined();
    expect(defaultBridgeRequest('weft0', defaultBridgeConfig(flags({ ipv6: true, bip: '10.1.0.1/24' }))).ipam?.config)
      .toEqual([{ subnet: '10.1.0.0/24', gateway: '10.1.0.1' }]);
  });

  it('refuses what dockerd refuses, in its words', () => {
    expect(() => defaultBridgeConfig(flags({ ipv6: true, fixedCidrV6: 'nonsense' }))).toThrow("invalid fixed-cidr-v6: 'nonsense' is not a valid IPv6 subnet");
    expect(() => defaultBridgeConfig(flags({ ipv6: true, fixedCidrV6: 'ff00::/64' }))).toThrow("invalid fixed-cidr-v6: multicast subnet 'ff00::/64' is not allowed");
    expect(() => defaultBridgeConfig(flags({ ipv6: true, fixedCidrV6: 'fe80::/60' }))).toThrow(
      "invalid fixed-cidr-v6: 'fe80::/60' clashes with the Link-Local prefix 'fe80::/64'");
  });
});
