import { describe, expect, it } from 'vitest';
import {
  AF_INET, AF_INET6, bigIntToIp, bufferToIp, bufferToMac, canonicalCidr, canonicalIp, cidrContains, cidrOverlaps, familyOf,
  ipToBigInt, ipToBuffer, ipVersion, lastAddress, macToBuffer, nthAddress, splitCidr, subnetContains, subnetOf, subnetsOverlap,
} from '../../src/util/ip.js';

describe('util/ip', () => {
  it('tells the family of an address or a CIDR', () => {
    expect(familyOf('10.0.0.1')).toBe(AF_INET);
    expect(familyOf('fd00::1')).toBe(AF_INET6);
    expect(ipVersion('10.0.0.0/8')).toBe(4);
    expect(ipVersion('fd00::/64')).toBe(6);
    expect(() => ipVersion('nonsense')).toThrow('not an IP address: nonsense');
  });

  it('converts addresses to and from rtnetlink byte buffers', () => {
    expect([...ipToBuffer('192.0.2.7')]).toEqual([192, 0, 2, 7]);
    expect(ipToBuffer('::1')).toHaveLength(16);
    expect(bufferToIp(ipToBuffer('fd00:0:0::0002'))).toBe('fd00::2');
    expect(bufferToIp(ipToBuffer('10.1.2.3'))).toBe('10.1.2.3');
    expect(() => ipToBuffer('10.0.0')).toThrow('not an IP address');
    expect(() => bufferToIp(Buffer.alloc(5))).toThrow('bad address length 5');
    expect(bufferToMac(macToBuffer('02:42:ac:11:00:02'))).toBe('02:42:ac:11:00:02');
  });

  it('does address arithmetic on bigints for both families', () => {
    expect(ipToBigInt('0.0.1.0')).toBe(256n);
    expect(bigIntToIp(ipToBigInt('10.0.0.255') + 1n, false)).toBe('10.0.1.0');
    expect(bigIntToIp(ipToBigInt('fd00::ffff') + 1n, true)).toBe('fd00::1:0');
    expect(bigIntToIp((1n << 128n) - 1n, true)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });

  it('splits and canonicalises CIDRs', () => {
    expect(splitCidr('10.0.0.5/24')).toEqual({ ip: '10.0.0.5', prefix: 24 });
    expect(splitCidr('fd00::5')).toEqual({ ip: 'fd00::5', prefix: 128 });
    expect(() => splitCidr('10.0.0.5/x')).toThrow('bad CIDR 10.0.0.5/x');
    expect(canonicalIp('fd00:0:0::0002')).toBe('fd00::2');
    expect(canonicalCidr('10.1.2.3/24')).toBe('10.1.2.0/24');
    expect(canonicalCidr('::ffff:10.0.0.1/120')).toBe('::ffff:10.0.0.0/120');
    expect(() => canonicalCidr('10.0.0.0/33')).toThrow('bad CIDR');
  });

  it('reads a subnet: network, last address, prefix', () => {
    expect(subnetOf('10.1.2.3/24')).toEqual({
      cidr: '10.1.2.0/24', v6: false, prefix: 24, first: ipToBigInt('10.1.2.0'), last: ipToBigInt('10.1.2.255'),
    });
    expect(subnetOf('fd00::7').cidr).toBe('fd00::7/128');
    expect(subnetOf('fd00:1:2:3:4::/64').cidr).toBe('fd00:1:2:3::/64');
    expect(() => subnetOf('fd00::/129')).toThrow('bad CIDR fd00::/129');
    expect(nthAddress('172.18.0.0/16', 1)).toBe('172.18.0.1');
    expect(nthAddress('fd00::/64', 2n)).toBe('fd00::2');
    expect(() => nthAddress('10.0.0.0/30', 4)).toThrow('outside 10.0.0.0/30');
    expect(lastAddress('172.18.0.0/16')).toBe('172.18.255.255');
    expect(lastAddress('10.0.0.9/32')).toBe('10.0.0.9');
  });

  it('answers containment and overlap, never across families', () => {
    expect(cidrContains('10.0.0.0/24', '10.0.0.9')).toBe(true);
    expect(cidrContains('10.0.0.0/24', '10.0.1.9/24')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '192.0.2.1')).toBe(true);
    expect(cidrContains('::/0', '192.0.2.1')).toBe(false);
    expect(cidrContains('fd00::/64', 'fd00::1:2')).toBe(true);
    expect(cidrOverlaps('10.0.0.0/16', '10.0.5.0/24')).toBe(true);
    expect(cidrOverlaps('10.0.5.0/24', '10.0.0.0/16')).toBe(true);
    expect(cidrOverlaps('10.0.0.0/24', '10.0.1.0/24')).toBe(false);
    const a = subnetOf('10.0.0.0/16');
    expect(subnetsOverlap(a, subnetOf('10.0.255.0/24'))).toBe(true);
    expect(subnetsOverlap(a, subnetOf('10.1.0.0/24'))).toBe(false);
    expect(subnetsOverlap(subnetOf('::/0'), a)).toBe(false);
    expect(subnetContains(a, ipToBigInt('10.0.3.4'))).toBe(true);
    expect(subnetContains(a, ipToBigInt('10.1.0.0'))).toBe(false);
  });
});
