import { describe, expect, it } from 'vitest';
import { canonicalCidr, canonicalIp, expandMapping, isAnyHost, shortId, subnetsOf } from '../../src/firewall/common.js';

describe('firewall common helpers', () => {
  it('canonicalises addresses and CIDRs the way iptables-save and nft print them', () => {
    expect(canonicalIp('fd00:0:0::0002')).toBe('fd00::2');
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(canonicalCidr('10.1.2.3/24')).toBe('10.1.2.0/24');
    expect(canonicalCidr('172.17.0.0/16')).toBe('172.17.0.0/16');
    expect(canonicalCidr('fd00:60:0:0:1::5/64')).toBe('fd00:60::/64');
    expect(canonicalCidr('fd00::1')).toBe('fd00::1/128');
    expect(canonicalCidr('::ffff:10.0.0.1/120')).toBe('::ffff:10.0.0.0/120');
    expect(() => canonicalCidr('10.0.0.0/33')).toThrow(/bad CIDR/);
    expect(() => canonicalCidr('nonsense/8')).toThrow(/not an IP/);
    expect(subnetsOf(['10.0.0.1/24', '10.0.0.0/24', '10.1.0.0/16'])).toEqual(['10.0.0.0/24', '10.1.0.0/16']);
  });

  it('treats empty, 0.0.0.0 and :: as every host address', () => {
    expect(['', '0.0.0.0', '::'].every(isAnyHost)).toBe(true);
    expect(isAnyHost('127.0.0.1')).toBe(false);
  });

  it('derives short ids usable in chain names', () => {
    expect(shortId('0123456789abcdef0123')).toBe('0123456789ab');
    expect(() => shortId('---')).toThrow();
  });

  it('expands a port range 1:1 and keeps a single port as is', () => {
    const one = expandMapping({ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '10.0.0.2', bridge: 'br0' });
    expect(one).toEqual([{ family: 4, proto: 'tcp', hostIp: undefined, hostPort: 8080, containerIp: '10.0.0.2', containerPort: 80, bridge: 'br0' }]);
    const range = expandMapping({
      proto: 'udp', hostIp: '192.0.2.1', hostPort: 9000, hostPortEnd: 9002, containerPort: 100, containerPortEnd: 102,
      containerIp: '10.0.0.2', bridge: 'br0',
    });
    expect(range.map((r) => `${r.hostIp}:${r.hostPort}->${r.containerPort}`)).toEqual([
      '192.0.2.1:9000->100', '192.0.2.1:9001->101', '192.0.2.1:9002->102',
    ]);
    const v6 = expandMapping({ proto: 'tcp', hostIp: '::', hostPort: 80, containerPort: 80, containerIp: 'fd00:0::2', bridge: 'br0' });
    expect(v6[0]).toMatchObject({ family: 6, hostIp: undefined, containerIp: 'fd00::2' });
  });

  it('refuses mappings whose families or range sizes disagree', () => {
    expect(() => expandMapping({ proto: 'tcp', hostIp: '::1', hostPort: 80, containerPort: 80, containerIp: '10.0.0.2', bridge: 'b' })).toThrow(/families/);
    expect(() => expandMapping({
      proto: 'tcp', hostIp: '', hostPort: 80, hostPortEnd: 81, containerPort: 80, containerPortEnd: 90, containerIp: '10.0.0.2', bridge: 'b',
    })).toThrow(/bad port mapping/);
    expect(() => expandMapping({ proto: 'tcp', hostIp: '', hostPort: 0, containerPort: 80, containerIp: '10.0.0.2', bridge: 'b' })).toThrow();
  });
});
