/** The user chain of published ports: created where missing, never flushed, jumped to exactly in host mode. */
import { describe, expect, it } from 'vitest';
import { parseSave, RestoreBatch, WEFT_FORWARD } from '../../src/firewall/iptables-rules.js';
import { IPTABLES_JUMP, nftUserChainScript, planUserChain } from '../../src/firewall/user-chain.js';

const USER_RULE = '-p tcp -m conntrack --ctorigdstport 8080 -j DROP';

describe('user chain', () => {
  it('iptables host mode: declares a missing chain and puts the jump first in WEFT-FORWARD, once', () => {
    const b = new RestoreBatch(parseSave(''));
    planUserChain(b, WEFT_FORWARD, 'host');
    planUserChain(b, WEFT_FORWARD, 'host');
    expect(b.render()).toBe(`*filter\n:WEFT-USER - [0:0]\n-I ${WEFT_FORWARD} 1 ${IPTABLES_JUMP}\nCOMMIT\n`);
  });

  it('iptables: an existing chain keeps its rules; bypass mode removes the jump', () => {
    const saved = `*filter\n:${WEFT_FORWARD} - [0:0]\n:WEFT-USER - [0:0]\n-A ${WEFT_FORWARD} ${IPTABLES_JUMP}\n-A WEFT-USER ${USER_RULE}\nCOMMIT\n`;
    const host = new RestoreBatch(parseSave(saved));
    planUserChain(host, WEFT_FORWARD, 'host');
    expect(host.empty).toBe(true);
    const bypass = new RestoreBatch(parseSave(saved));
    planUserChain(bypass, WEFT_FORWARD, 'bypass');
    expect(bypass.render()).toBe(`*filter\n-D ${WEFT_FORWARD} ${IPTABLES_JUMP}\nCOMMIT\n`);
  });

  it('nftables: the chain is added (never flushed) in both modes, the jump inserted only in host mode', () => {
    expect(nftUserChainScript('inet weft', 'host').trim().split('\n')).toEqual([
      'add chain inet weft user',
      'insert rule inet weft forward ct state new ct status dnat jump user',
    ]);
    expect(nftUserChainScript('inet weft', 'bypass').trim().split('\n')).toEqual(['add chain inet weft user']);
  });
});
