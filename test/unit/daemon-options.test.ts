/**
 * The daemon's default-bridge and address-pool flags (--bip, --fixed-cidr, --mtu, --ip,
 * --default-address-pool, --podman-address-pools), the kernel's reserved ports skipped by
 * random host ports, -P on a network with a default host address, and the SNAT rule of
 * com.docker.network.host_ipv4 on both backends.
 */
import { describe, expect, it } from 'vitest';
import {
  addressPools, defaultBridgeConfig, expandPools, MAX_SUBNETS_PER_POOL, parseAddressPool,
} from '../../src/daemon/bridge-flags.js';
import { defaultBridgeRequest } from '../../src/daemon/default-bridge.js';
import { PortAllocator } from '../../src/hostports/allocator.js';
import { parseReservedPorts } from '../../src/hostports/reserved.js';
import { publishRequest } from '../../src/engine/publishing-network.js';
import { networkRules } from '../../src/firewall/iptables-rules.js';
import { networkChains } from '../../src/firewall/nft-rules.js';
import { parseBridgeOptions } from '../../drivers/bridge/options.js';
import type { FirewallNetwork } from '../../src/contracts/firewall.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';
import type { ContainerRecord } from '../../src/engine/records.js';

const none = { defaultAddressPool: [] };

describe('--default-address-pool', () => {
  it('reads base and size as dockerd does, in any case and order', () => {
    expect(parseAddressPool('base=10.10.0.0/16,size=24')).toEqual({ base: '10.10.0.0/16', size: 24 });
    expect(parseAddressPool('SIZE=26,Base=10.20.0.0/16')).toEqual({ base: '10.20.0.0/16', size: 26 });
  });

  it('refuses what dockerd refuses, in its words', () => {
    expect(() => parseAddressPool('10.0.0.0/8')).toThrow("invalid field '10.0.0.0/8' must be a key=value pair");
    expect(() => parseAddressPool('base=10.0.0.0/8,mask=24')).toThrow("unexpected key 'mask' in 'mask=24'");
    expect(() => parseAddressPool('base=10.0.0.0/8,size=x')).toThrow('invalid size value');
    expect(() => expandPools([{ base: '10.0.0.0', size: 24 }])).toThrow('invalid base pool "10.0.0.0"');
    expect(() => expandPools([{ base: '10.0.0.0/16', size: 8 }])).toThrow('invalid pools size: 8');
    expect(() => expandPools([{ base: '10.0.0.0/16', size: 0 }])).toThrow('invalid pools size: 0');
    expect(() => expandPools([{ base: '10.0.0.0/16', size: 33 }])).toThrow('invalid pools size: 33');
  });

  it('splits pools into subnets of the size, in order, per family, capped per pool', () => {
    const p = expandPools([{ base: '10.10.0.0/22', size: 24 }, { base: 'fd00:1::/62', size: 64 }, { base: '10.20.0.0/24', size: 25 }]);
    expect(p.v4).toEqual(['10.10.0.0/24', '10.10.1.0/24', '10.10.2.0/24', '10.10.3.0/24', '10.20.0.0/25', '10.20.0.128/25']);
    expect(p.v6).toEqual(['fd00:1::/64', 'fd00:1:0:1::/64', 'fd00:1:0:2::/64', 'fd00:1:0:3::/64']);
    expect(expandPools([{ base: '10.0.0.0/8', size: 30 }]).v4).toHaveLength(MAX_SUBNETS_PER_POOL);
  });

  it('repeatable; --podman-address-pools gives /24s from 10.89.0.0 on; both at once is refused', () => {
    expect(addressPools(none)).toBeUndefined();
    expect(addressPools({ defaultAddressPool: ['base=10.1.0.0/23,size=24', 'base=10.3.0.0/24,size=24'] })?.v4)
      .toEqual(['10.1.0.0/24', '10.1.1.0/24', '10.3.0.0/24']);
    const podman = addressPools({ ...none, podmanAddressPools: true })!.v4;
    expect(podman.slice(0, 2)).toEqual(['10.89.0.0/24', '10.89.1.0/24']);
    expect(podman[256]).toBe('10.90.0.0/24');
    expect(() => addressPools({ defaultAddressPool: ['base=10.1.0.0/16,size=24'], podmanAddressPools: true })).toThrow(/together/);
  });
});

describe('--bip, --fixed-cidr, --mtu, --ip', () => {
  it('--bip is the gateway and its subnet; --fixed-cidr the dynamic range inside it', () => {
    expect(defaultBridgeConfig({ ...none, bip: '192.168.5.1/24', fixedCidr: '192.168.5.128/25' })).toEqual({
      ipv4: { subnet: '192.168.5.0/24', gateway: '192.168.5.1/24', ipRange: '192.168.5.128/25' },
    });
  });

  it('--fixed-cidr alone is the subnet too, with its first address as the gateway (as dockerd)', () => {
    expect(defaultBridgeConfig({ ...none, fixedCidr: '10.66.0.0/24' })).toEqual({
      ipv4: { subnet: '10.66.0.0/24', gateway: '10.66.0.1/24', ipRange: '10.66.0.0/24' },
    });
  });

  it('refuses bad values with the flag named', () => {
    expect(() => defaultBridgeConfig({ ...none, bip: '192.168.5.1' })).toThrow('invalid argument "192.168.5.1" for "--bip" flag');
    expect(() => defaultBridgeConfig({ ...none, bip: 'nope/24' })).toThrow(/--bip/);
    expect(() => defaultBridgeConfig({ ...none, bip: '192.168.5.0/24' })).toThrow(/host address of 192.168.5.0\/24, e.g. 192.168.5.1\/24/);
    expect(() => defaultBridgeConfig({ ...none, bip: '192.168.5.255/24' })).toThrow(/host address/);
    expect(() => defaultBridgeConfig({ ...none, bip: 'fd00::1/64' })).toThrow(/not an IPv4 address/);
    expect(() => defaultBridgeConfig({ ...none, bip: '192.168.5.1/24', fixedCidr: '192.168.6.0/25' })).toThrow(/not inside/);
    expect(() => defaultBridgeConfig({ ...none, fixedCidr: '10.1.0.0/33' })).toThrow(/--fixed-cidr/);
    expect(() => defaultBridgeConfig({ ...none, mtu: '67' })).toThrow(/--mtu/);
    expect(() => defaultBridgeConfig({ ...none, mtu: '1500x' })).toThrow(/--mtu/);
    expect(() => defaultBridgeConfig({ ...none, ip: '10.0.0.300' })).toThrow('invalid argument "10.0.0.300" for "--ip" flag');
  });

  it('become the default bridge\'s pool and options', () => {
    const req = defaultBridgeRequest('weft0', defaultBridgeConfig({ ...none, bip: '10.9.0.1/16', mtu: '1400', ip: '127.0.0.1' }));
    expect(req.ipam).toEqual({ config: [{ subnet: '10.9.0.0/16', gateway: '10.9.0.1' }] });
    expect(req.options).toMatchObject({
      'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1',
      'com.docker.network.bridge.name': 'weft0',
    });
    expect(defaultBridgeRequest('weft0', {}).ipam).toBeUndefined();
  });
});

describe('random host ports and the kernel\'s reserved ports', () => {
  it('reads ip_local_reserved_ports lists and ranges', () => {
    expect([...parseReservedPorts('8080,9148\n')]).toEqual([8080, 9148]);
    expect([...parseReservedPorts('49153-49155,50000')]).toEqual([49153, 49154, 49155, 50000]);
    expect(parseReservedPorts('\n').size).toBe(0);
  });

  it('random picks skip reserved ports; explicit ports may use them', () => {
    const p = new PortAllocator(() => parseReservedPorts('49153-49160'));
    expect(p.assign('a', [{ proto: 'tcp', hostIp: '', hostPort: 0, containerPort: 80 }])[0].hostPort).toBe(49161);
    expect(p.assign('b', [{ proto: 'tcp', hostIp: '', hostPort: 49153, containerPort: 80 }])[0].hostPort).toBe(49153);
    // A random range never straddles a reserved port.
    const q = new PortAllocator(() => parseReservedPorts('49155'));
    expect(q.assign('c', [{ proto: 'udp', hostIp: '', hostPort: 0, containerPort: 1, containerPortEnd: 3 }])[0].hostPort).toBe(49156);
  });
});

describe('-P on a network with com.docker.network.bridge.host_binding_ipv4', () => {
  const ctl = (options: Record<string, string>) => ({ findNetwork: () => ({ options }) }) as never;
  const c = {
    id: 'c1', name: 'c1', publishAll: true, exposedPorts: ['80/tcp', '53/udp'],
    portBindings: [{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 }],
  } as unknown as ContainerRecord;

  it('publishes every exposed port on the network\'s default host address', () => {
    const req = publishRequest(c, 'n', ctl({ 'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1' }));
    expect(req.publishAll).toEqual([]);
    expect(req.bindings).toEqual([
      { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80 },
      { proto: 'udp', hostIp: '127.0.0.1', hostPort: 0, containerPort: 53 },
    ]);
  });

  it('without the option, -P stays on every address', () => {
    expect(publishRequest(c, 'n', ctl({})).publishAll).toEqual(['80/tcp', '53/udp']);
  });
});

describe('com.docker.network.host_ipv4', () => {
  const net: FirewallNetwork = {
    id: 'a'.repeat(64), bridge: 'br-a', subnets4: ['10.1.0.0/24'], subnets6: ['fd00:1::/64'], internal: false, icc: true, masquerade: true,
  };
  const snat = { ...net, hostIpv4: '192.0.2.10' };

  it('iptables: SNAT to the address for IPv4, MASQUERADE for IPv6', () => {
    expect(networkRules(snat, 4).nat).toEqual(['! -o br-a -j SNAT --to-source 192.0.2.10', '-o br-a -m conntrack --ctstate DNAT -j MASQUERADE']);
    expect(networkRules(snat, 6).nat?.[0]).toBe('! -o br-a -j MASQUERADE');
    expect(networkRules(net, 4).nat?.[0]).toBe('! -o br-a -j MASQUERADE');
  });

  it('nftables: snat for IPv4 before the masquerade that IPv6 still gets', () => {
    expect(networkChains(snat).nat).toEqual([
      'oifname != "br-a" meta nfproto ipv4 snat ip to 192.0.2.10', 'oifname != "br-a" masquerade', 'oifname "br-a" ct status dnat masquerade',
    ]);
  });

  it('the bridge driver reads it; a value that is not IPv4 is refused in dockerd\'s words', () => {
    const info = (v: string) => ({ id: 'n'.repeat(64), options: { 'com.docker.network.host_ipv4': v }, enableIPv6: false, internal: false }) as unknown as NetworkInfo;
    expect(parseBridgeOptions(info('192.0.2.10')).hostIpv4).toBe('192.0.2.10');
    expect(() => parseBridgeOptions(info('fd00::1'))).toThrow('failed to parse com.docker.network.host_ipv4 value: fd00::1 (must be a valid IPv4 address)');
  });
});
