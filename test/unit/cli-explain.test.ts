/** `weft network explain`: its DST argument and its printed explanation. */
import { describe, expect, it } from 'vitest';
import { formatExplanation, parseTarget } from '../../src/cli/commands/network-explain.js';

describe('weft network explain', () => {
  it('reads DST:PORT/PROTO with tcp as the default and brackets around IPv6', () => {
    expect(parseTarget('c2:80/tcp')).toEqual({ dst: 'c2', port: '80', proto: 'tcp' });
    expect(parseTarget('host:8080')).toEqual({ dst: 'host', port: '8080', proto: 'tcp' });
    expect(parseTarget('[fd00::2]:53/udp')).toEqual({ dst: 'fd00::2', port: '53', proto: 'udp' });
    expect(() => parseTarget('c2')).toThrow(/DST:PORT/);
    expect(() => parseTarget('c2:80/icmp')).toThrow(/DST:PORT/);
  });

  it('prints the verdict, the DNAT, every rule on the path and the one that decided', () => {
    const step = { table: 'inet weft', chain: 'to-abc', rule: 'drop', action: 'drop', meaning: 'internal network: nothing enters network n' };
    const text = formatExplanation({
      flow: { iif: 'eth1', saddr: '192.168.77.2', daddr: '10.1.0.2', proto: 'tcp', dport: 80 },
      verdict: 'drop', dnat: { addr: '10.1.0.2', port: 80 }, steps: [step], decidedBy: step,
    });
    expect(text).toBe([
      '192.168.77.2 (from eth1) -> 10.1.0.2:80/tcp: DROP',
      '  published port: DNAT to 10.1.0.2:80',
      '  inet weft to-abc: drop  => drop  (internal network: nothing enters network n)',
      'decided by: inet weft to-abc: drop — internal network: nothing enters network n',
      '',
    ].join('\n'));
  });
});
