/** The loopback DNAT of --userland-proxy=false: added when on, removed again when a daemon runs with the proxy. */
import { describe, expect, it } from 'vitest';
import { parseSave, RestoreBatch, WEFT_DNAT, WEFT_POSTROUTING } from '../../src/firewall/iptables-rules.js';
import { nftLoopbackDnatScript, planLoopbackDnat } from '../../src/firewall/loopback-dnat.js';

const chains = { dnat: WEFT_DNAT, postrouting: WEFT_POSTROUTING };
const JUMP = '-d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j WEFT-DNAT';
const MASQ = '-s 127.0.0.0/8 -m conntrack --ctstate DNAT -j MASQUERADE';

describe('loopback DNAT', () => {
  it('iptables: the OUTPUT jump and the loopback-source masquerade, once', () => {
    const b = new RestoreBatch(parseSave(''));
    planLoopbackDnat(b, chains, true);
    planLoopbackDnat(b, chains, true);
    expect(b.render()).toBe(`*nat\n-A OUTPUT ${JUMP}\n-I ${WEFT_POSTROUTING} 1 ${MASQ}\nCOMMIT\n`);
  });

  it('iptables: removed when off, nothing to do when absent', () => {
    const saved = `*nat\n:OUTPUT ACCEPT [0:0]\n:${WEFT_POSTROUTING} - [0:0]\n-A OUTPUT ${JUMP}\n-A ${WEFT_POSTROUTING} ${MASQ}\nCOMMIT\n`;
    const b = new RestoreBatch(parseSave(saved));
    planLoopbackDnat(b, chains, false);
    expect(b.render()).toBe(`*nat\n-D OUTPUT ${JUMP}\n-D ${WEFT_POSTROUTING} ${MASQ}\nCOMMIT\n`);
    const none = new RestoreBatch(parseSave(''));
    planLoopbackDnat(none, chains, false);
    expect(none.empty).toBe(true);
  });

  it('nftables: IPv4 loopback destinations jump to the port maps in output, loopback sources are masqueraded', () => {
    expect(nftLoopbackDnatScript().trim().split('\n')).toEqual([
      'add rule inet weft output ip daddr 127.0.0.0/8 fib daddr type local jump ports',
      'add rule inet weft postrouting ip saddr 127.0.0.0/8 ct status dnat masquerade',
    ]);
  });
});
