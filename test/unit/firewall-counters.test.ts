/** Reading per-port kernel counters: nft set elements and iptables counting rules. */
import { describe, expect, it } from 'vitest';
import { expandMappings } from '../../src/firewall/common.js';
import { acctName, countRule, parseCountSave, planSyncCounts, planCountPorts } from '../../src/firewall/iptables-count.js';
import { parseSave, RestoreBatch } from '../../src/firewall/iptables-rules.js';
import { decodeCountElement } from '../../src/firewall/nft-counters.js';

const rules = expandMappings([
  { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '10.1.0.2', bridge: 'br-a' },
  { proto: 'udp', hostIp: '192.0.2.1', hostPort: 5353, containerPort: 53, containerIp: '10.1.0.2', bridge: 'br-a' },
]);

describe('nftables port counters', () => {
  it('decodes a counting-set element: address, protocol and port registers, and its counter', () => {
    const key4 = Buffer.from([10, 1, 0, 2, 6, 0, 0, 0, 0, 80, 0, 0]);
    expect(decodeCountElement({ key: key4, counter: { packets: 12, bytes: 1634 } }, 4))
      .toEqual({ containerIp: '10.1.0.2', proto: 'tcp', containerPort: 80, packets: 12, bytes: 1634 });
    const key6 = Buffer.concat([Buffer.from('fd000001000000000000000000000002', 'hex'), Buffer.from([132, 0, 0, 0, 0x0f, 0x1c, 0, 0])]);
    expect(decodeCountElement({ key: key6, counter: { packets: 1, bytes: 60 } }, 6))
      .toEqual({ containerIp: 'fd00:1::2', proto: 'sctp', containerPort: 3868, packets: 1, bytes: 60 });
    expect(decodeCountElement({ key: key4, counter: undefined }, 4)).toBeUndefined();
    expect(decodeCountElement({ key: key4.subarray(0, 6), counter: { packets: 1, bytes: 1 } }, 4)).toBeUndefined();
  });
});

describe('iptables port counters', () => {
  it('writes one counting rule per host port, in iptables-save form', () => {
    expect(rules.map((r) => countRule(r))).toEqual([
      '-d 10.1.0.2/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT --ctorigdstport 8080',
      '-d 10.1.0.2/32 -p udp -m udp --dport 53 -m conntrack --ctstate DNAT --ctorigdst 192.0.2.1 --ctorigdstport 5353',
    ]);
  });

  it('reads the rule counters back from iptables-save -c', () => {
    const text = ['*mangle', ':WEFT-COUNT - [0:0]', '[5:300] -A POSTROUTING -j WEFT-COUNT',
      ...rules.map((r, i) => `[${i + 3}:${(i + 1) * 1000}] -A WEFT-COUNT ${countRule(r)}`), 'COMMIT'].join('\n');
    expect(parseCountSave(text)).toEqual([
      { packets: 3, bytes: 1000, containerIp: '10.1.0.2', proto: 'tcp', containerPort: 80, hostPort: 8080 },
      { packets: 4, bytes: 2000, containerIp: '10.1.0.2', proto: 'udp', containerPort: 53, hostIp: '192.0.2.1', hostPort: 5353 },
    ]);
  });

  it('names each rule\'s nfacct object by a digest of the rule (at most 31 characters) and reads the name back', () => {
    const names = rules.map(acctName);
    expect(new Set(names).size).toBe(2);
    for (const n of names) expect(n).toMatch(/^weft-[A-Za-z0-9_-]{26}$/);
    expect(acctName({ ...rules[0]!, family: 6 })).not.toBe(names[0]);
    expect(countRule(rules[0]!, true)).toBe(`${countRule(rules[0]!)} -m nfacct --nfacct-name  ${names[0]}`);
    const text = rules.map((r, i) => `[${i}:${i * 10}] -A WEFT-COUNT ${countRule(r, true)}`).join('\n');
    expect(parseCountSave(text)).toEqual([
      { packets: 0, bytes: 0, containerIp: '10.1.0.2', proto: 'tcp', containerPort: 80, hostPort: 8080, acct: names[0] },
      { packets: 1, bytes: 10, containerIp: '10.1.0.2', proto: 'udp', containerPort: 53, hostIp: '192.0.2.1', hostPort: 5353, acct: names[1] },
    ]);
  });

  it('plans the chain, its jump and the rules; removal and sync leave exactly the wanted ones', () => {
    const add = new RestoreBatch(new Map());
    planCountPorts(add, rules, 'add');
    expect(add.render().split('\n')).toEqual([
      '*mangle', ':WEFT-COUNT - [0:0]', '-I POSTROUTING 1 -j WEFT-COUNT',
      `-A WEFT-COUNT ${countRule(rules[0]!)}`, `-A WEFT-COUNT ${countRule(rules[1]!)}`, 'COMMIT', '',
    ]);
    const dump = parseSave(['*mangle', ':WEFT-COUNT - [0:0]', '-A POSTROUTING -j WEFT-COUNT',
      ...rules.map((r) => `-A WEFT-COUNT ${countRule(r)}`), 'COMMIT'].join('\n'));
    const rm = new RestoreBatch(dump);
    planCountPorts(rm, [rules[0]!], 'remove');
    expect(rm.render().split('\n')).toEqual(['*mangle', `-D WEFT-COUNT ${countRule(rules[0]!)}`, 'COMMIT', '']);
    const sync = new RestoreBatch(dump);
    planSyncCounts(sync, [rules[1]!]);
    expect(sync.render()).toBe(rm.render());
  });
});
