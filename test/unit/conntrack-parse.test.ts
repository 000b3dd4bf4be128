/** Reading /proc/net/nf_conntrack lines: original source and destination, then the reply source. */
import { describe, expect, it } from 'vitest';
import { parseConntrack } from '../../src/kernel/conntrack.js';

describe('conntrack table', () => {
  it('takes the first three addresses of each entry', () => {
    const text = [
      'ipv4     2 tcp      6 117 TIME_WAIT src=10.254.0.2 dst=10.254.0.1 sport=40000 dport=8080 '
        + 'src=10.42.0.2 dst=10.254.0.2 sport=80 dport=40000 [ASSURED] mark=0 zone=0 use=2',
      'ipv6     10 udp      17 29 src=fd00::2 dst=fd00::1 sport=5000 dport=53 [UNREPLIED] src=fd00::1 dst=fd00::2 sport=53 dport=5000 mark=0 use=2',
      '',
    ].join('\n');
    expect(parseConntrack(text)).toEqual([
      { addresses: ['10.254.0.2', '10.254.0.1', '10.42.0.2'] },
      { addresses: ['fd00::2', 'fd00::1', 'fd00::1'] },
    ]);
    expect(parseConntrack('')).toEqual([]);
  });
});
