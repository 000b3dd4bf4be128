/** The CNI configuration and result shapes: reference plugins' keys, versions, errors. */
import { describe, expect, it } from 'vitest';
import { decodeConfig, parseNetConf } from '../../src/cni/config.js';
import { CniError, errorResult } from '../../src/cni/errors.js';
import { appendResult, formatResult, parseResult } from '../../src/cni/result.js';
import { checkVerb } from '../../src/cni/versions.js';

const base = { cniVersion: '1.0.0', name: 'n', type: 'weft-cni' };
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as CniError).code;
  }
  return 0;
};

describe('CNI network configuration', () => {
  it('reads the reference bridge and host-local keys with their defaults', () => {
    const c = parseNetConf({ ...base, ipam: { type: 'weft-ipam', subnet: '10.1.0.0/16', gateway: '10.1.0.254',
      routes: [{ dst: '0.0.0.0/0' }] } });
    expect(c).toMatchObject({ bridge: 'cni0', isGateway: false, isDefaultGateway: false, ipMasq: false, hairpinMode: false, portMappings: [], ips: [] });
    expect(c.ipam).toEqual({ type: 'weft-ipam', ranges: [[{ subnet: '10.1.0.0/16', gateway: '10.1.0.254' }]], routes: [{ dst: '0.0.0.0/0' }] });
    expect(parseNetConf({ ...base, isDefaultGateway: true }).isGateway).toBe(true);
  });

  it('takes ranges, and runtimeConfig ipRanges over them', () => {
    const ipam = { type: 'x', ranges: [[{ subnet: '10.2.0.0/24' }], [{ subnet: 'fd00::/64' }]] };
    expect(parseNetConf({ ...base, ipam }).ipam?.ranges).toEqual([[{ subnet: '10.2.0.0/24' }], [{ subnet: 'fd00::/64' }]]);
    const rc = { ipRanges: [[{ subnet: '10.3.0.0/24' }]] };
    expect(parseNetConf({ ...base, ipam, runtimeConfig: rc }).ipam?.ranges).toEqual([[{ subnet: '10.3.0.0/24' }]]);
  });

  it('reads port mappings, ips, mac and dns from runtimeConfig, args and CNI_ARGS', () => {
    const c = parseNetConf({ ...base, runtimeConfig: {
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'TCP' }, { hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '10.0.0.1' }],
      mac: '02:00:00:00:00:AA', dns: { servers: ['1.1.1.1'], searches: ['x'] },
    } });
    expect(c.portMappings).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }, { hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '10.0.0.1' },
    ]);
    expect(c.mac).toBe('02:00:00:00:00:aa');
    expect(c.dns).toEqual({ nameservers: ['1.1.1.1'], search: ['x'] });
    expect(parseNetConf({ ...base, args: { cni: { ips: ['10.0.0.5'] } } }).ips).toEqual(['10.0.0.5']);
    expect(parseNetConf(base, 'IgnoreUnknown=1;IP=10.0.0.6/24').ips).toEqual(['10.0.0.6']);
  });

  it('refuses what it cannot honour with the spec codes', () => {
    expect(codeOf(() => decodeConfig('nope'))).toBe(6);
    expect(codeOf(() => decodeConfig('[1]'))).toBe(6);
    expect(codeOf(() => parseNetConf({ ...base, cniVersion: '0.3.1' }))).toBe(1);
    expect(codeOf(() => parseNetConf({ ...base, cniVersion: undefined }))).toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, type: '' }))).toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, ipMasq: 'yes' }))).toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, ipam: { subnet: '10.0.0.0/8' } }))).toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, ipam: { type: 'x', subnet: '10.0.0.0/33' } }))).toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, ipam: { type: 'x', subnet: '10.0.0.0/24', gateway: '10.9.0.1' } }))).toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, ipam: { type: 'x', subnet: '10.0.0.0/24', rangeEnd: '10.1.0.9' } }))).toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, ipam: { type: 'x', subnet: '10.0.0.0/24', rangeStart: '10.0.0.9', rangeEnd: '10.0.0.3' } })))
      .toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, runtimeConfig: { portMappings: [{ hostPort: 0, containerPort: 80 }] } }))).toBe(7);
    expect(codeOf(() => parseNetConf({ ...base, runtimeConfig: { mac: 'zz' } }))).toBe(7);
    expect(codeOf(() => checkVerb('GC', '1.0.0'))).toBe(1);
    expect(codeOf(() => checkVerb('STATUS', '1.1.0'))).toBe(0);
  });

  it('writes errors as the spec object', () => {
    expect(errorResult(new CniError(7, 'bad', 'why'), '1.0.0')).toEqual({ cniVersion: '1.0.0', code: 7, msg: 'bad', details: 'why' });
    expect(errorResult(new Error('boom'), '1.1.0')).toMatchObject({ code: 101, msg: 'boom' });
  });
});

describe('CNI results', () => {
  const r = { interfaces: [{ name: 'eth0' }], ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }], routes: [], dns: {} };

  it('tags IPs with their version at 0.4.0 only', () => {
    expect((formatResult(r, '0.4.0').ips as unknown[])[0]).toEqual({ version: '4', ...r.ips[0] });
    expect((formatResult(r, '1.1.0').ips as unknown[])[0]).toEqual(r.ips[0]);
  });

  it('reads a result of any version and appends after it', () => {
    const prev = parseResult({ cniVersion: '0.4.0', interfaces: [{ name: 'a' }], ips: [{ version: '4', address: '1.1.1.1/32' }] });
    expect(prev.ips).toEqual([{ address: '1.1.1.1/32' }]);
    const all = appendResult(prev, r);
    expect(all.interfaces.map((i) => i.name)).toEqual(['a', 'eth0']);
    expect(all.ips[1].interface).toBe(1);
    expect(codeOf(() => parseResult({ ips: [{}] }))).toBe(6);
  });
});
