import { describe, expect, it } from 'vitest';
import { qint } from '../../src/api/http.js';
import { Router } from '../../src/api/router.js';
import { parseContainerCreate } from '../../src/api/schemas/container-create.js';
import { decodeExecCreate } from '../../src/api/schemas/exec.js';
import { decodeConnect } from '../../src/api/schemas/network-connect.js';
import { decodeNetworkCreate } from '../../src/api/schemas/network-create.js';
import { InvalidArgument } from '../../src/util/errors.js';
import { specialSubnetUse } from '../../src/util/ip.js';
import { parseBridgeOptions } from '../../drivers/bridge/options.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';

describe('hostile input is a 400 in the API layer', () => {
  it('a malformed percent-encoding in a path segment is the client\'s error', () => {
    const r = new Router([{ method: 'POST', path: '/networks/:id/connect', handler: () => {} }]);
    expect(() => r.match('POST', '/networks/%ZZ/connect')).toThrow(InvalidArgument);
    expect(() => r.match('POST', '/networks/%E0%A4%A/connect')).toThrow(/malformed percent-encoding/);
    expect(r.match('POST', '/networks/a%20b/connect')).toMatchObject({ params: { id: 'a b' } });
  });

  it('query integers are read as strconv.Atoi reads them', () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(qint(q(''), 't', 10)).toBe(10);
    expect(qint(q('t='), 't', 10)).toBe(10);
    expect(qint(q('t=-1'), 't', 10)).toBe(-1);
    expect(qint(q('t=%2B3'), 't', 10)).toBe(3);
    expect(() => qint(q('t=abc'), 't', 10)).toThrow('strconv.Atoi: parsing "abc": invalid syntax');
    expect(() => qint(q('t=1.5'), 't', 10)).toThrow('strconv.Atoi: parsing "1.5": invalid syntax');
    expect(() => qint(q('t=1e3'), 't', 10)).toThrow(/invalid syntax/);
    expect(() => qint(q('t=99999999999999999999'), 't', 10)).toThrow(/value out of range/);
  });

  it.each([
    ['224.0.0.0/4', /multicast/], ['255.255.255.255/32', /broadcast/], ['127.0.0.0/8', /loopback/], ['169.254.1.0/24', /link-local/],
    ['0.0.0.0/0', /whole address space/], ['ff00::/64', /multicast/], ['::/0', /whole address space/], ['fe80::/64', /link-local/],
    ['::1/128', /loopback/], ['192.0.0.0/2', /multicast/],
  ])('subnet %s cannot carry a network', (cidr, why) => {
    expect(specialSubnetUse(cidr)).toMatch(why);
    expect(() => decodeNetworkCreate({ Name: 'x', EnableIPv6: true, IPAM: { Config: [{ Subnet: cidr }] } }))
      .toThrow(`invalid network config:\ninvalid subnet ${cidr}: `);
  });

  it('ordinary subnets pass', () => {
    for (const cidr of ['10.0.0.0/8', '172.17.0.0/16', '192.168.0.0/24', 'fd00::/64', '2001:db8::/64', '223.255.255.0/24']) {
      expect(specialSubnetUse(cidr)).toBeUndefined();
    }
  });

  it('connect refuses malformed addresses, whatever happens next', () => {
    for (const ip of ['garbage', '999.1.1.1', '0.0.0.0', '10.0.0.1/24']) {
      expect(() => decodeConnect({ Container: 'c', EndpointConfig: { IPAMConfig: { IPv4Address: ip } } }))
        .toThrow(`invalid IPv4 address: ${ip}`);
    }
    expect(() => decodeConnect({ Container: 'c', EndpointConfig: { IPAMConfig: { IPv6Address: 'zz::' } } })).toThrow('invalid IPv6 address: zz::');
  });

  it('NUL bytes in what the kernel gets as C strings are refused at create', () => {
    expect(() => parseContainerCreate({ Image: '/\u0000' })).toThrow('invalid Image: must be a string without NUL bytes');
    expect(() => parseContainerCreate({ Image: 'b', Env: ['A=\u0000'] })).toThrow('invalid Env: must be an array of strings without NUL bytes');
    expect(() => parseContainerCreate({ Image: 'b', Cmd: ['a\u0000'] })).toThrow(/invalid Cmd/);
    expect(() => decodeExecCreate({ Cmd: ['echo', '\u0000'] })).toThrow(/invalid Cmd/);
  });

  it('an IPv6 bridge network needs an MTU of at least 1280', () => {
    const net = (enableIPv6: boolean, mtu: string) =>
      ({ id: 'a'.repeat(64), enableIPv6, options: { 'com.docker.network.driver.mtu': mtu } }) as unknown as NetworkInfo;
    expect(() => parseBridgeOptions(net(true, '1000'))).toThrow('invalid MTU 1000: an IPv6 network needs an MTU of at least 1280');
    expect(parseBridgeOptions(net(true, '1280')).mtu).toBe(1280);
    expect(parseBridgeOptions(net(false, '1000')).mtu).toBe(1000);
  });
});
