import { describe, expect, it } from 'vitest';
import { expandMappings } from '../../src/firewall/common.js';
import type { FirewallNetwork } from '../../src/contracts/firewall.js';
import {
  addNetworkScript, addPortsScript, initScript, networkChains, portElements, removeNetworkScript, removePortsScript, syncPortsScript,
  teardownScript,
} from '../../src/firewall/nft-rules.js';

const netA: FirewallNetwork = {
  id: 'aaaaaaaaaaaa0123456789', bridge: 'br-a', subnets4: ['10.1.0.0/24'], subnets6: ['fd00:1::/64'],
  internal: false, icc: true, masquerade: true,
};

const lines = (s: string) => s.trim().split('\n');

describe('nftables rule text', () => {
  it('init declares the table, maps and base chains, then rewrites the base chains', () => {
    const s = lines(initScript());
    expect(s[0]).toBe('add table inet weft');
    expect(s).toContain('add map inet weft net-from { type ifname : verdict; }');
    expect(s).toContain('add map inet weft net-masq4 { type ipv4_addr : verdict; flags interval; }');
    expect(s).toContain('add map inet weft port-dnat4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }');
    expect(s).toContain('add chain inet weft forward { type filter hook forward priority filter; policy accept; }');
    // Flushes come before the rules so re-running init never duplicates a rule.
    const flush = s.indexOf('flush chain inet weft forward');
    expect(flush).toBeGreaterThan(0);
    expect(s.slice(flush + 1).filter((l) => l.startsWith('add rule inet weft forward '))).toEqual([
      'add rule inet weft forward iifname vmap @net-from',
      'add rule inet weft forward oifname vmap @net-to',
    ]);
    expect(s).toContain('add rule inet weft output ip daddr != 127.0.0.0/8 fib daddr type local jump ports');
    // Loopback destinations count only from lo: dropped in raw, never DNATed from elsewhere.
    expect(s).toContain('add chain inet weft raw-prerouting { type filter hook prerouting priority raw; policy accept; }');
    expect(s).toContain('add rule inet weft raw-prerouting iifname != "lo" ip daddr 127.0.0.0/8 drop');
    expect(s).toContain('add rule inet weft raw-prerouting iifname != "lo" ip6 daddr ::1 drop');
    expect(s.filter((l) => l.startsWith('add rule inet weft prerouting '))).toEqual([
      'add rule inet weft prerouting iifname != "lo" ip daddr 127.0.0.0/8 return',
      'add rule inet weft prerouting iifname != "lo" ip6 daddr ::1 return',
      'add rule inet weft prerouting fib daddr type local jump ports',
    ]);
    expect(s).toContain('add rule inet weft ports dnat ip to meta l4proto . th dport map @port-dnat4-any');
    expect(lines(teardownScript())).toEqual(['add table inet weft', 'delete table inet weft']);
  });

  it('gives each network its own chains: icc, isolation, way out; established + published in', () => {
    expect(networkChains(netA)).toEqual({
      from: ['oifname "br-a" accept', 'ct status dnat accept', 'oifname @bridges drop', 'accept'],
      to: [
        'ct state established,related accept',
        'ct status dnat ip daddr . meta l4proto . th dport @port-accept4 accept',
        'ct status dnat ip6 daddr . meta l4proto . th dport @port-accept6 accept',
        'drop',
      ],
      nat: ['oifname != "br-a" masquerade', 'oifname "br-a" ct status dnat masquerade'],
    });
    expect(networkChains({ ...netA, icc: false, internal: true })).toEqual({ from: ['oifname "br-a" drop', 'drop'], to: ['drop'] });
    expect(networkChains({ ...netA, masquerade: false }).nat).toEqual(['oifname "br-a" ct status dnat masquerade']);
  });

  it('adds a network as chains plus map elements keyed by bridge and subnet', () => {
    expect(addNetworkScript(netA)).toBe(`add chain inet weft from-aaaaaaaaaaaa
flush chain inet weft from-aaaaaaaaaaaa
add rule inet weft from-aaaaaaaaaaaa oifname "br-a" counter accept
add rule inet weft from-aaaaaaaaaaaa ct status dnat counter accept
add rule inet weft from-aaaaaaaaaaaa oifname @bridges counter drop
add rule inet weft from-aaaaaaaaaaaa counter accept
add chain inet weft to-aaaaaaaaaaaa
flush chain inet weft to-aaaaaaaaaaaa
add rule inet weft to-aaaaaaaaaaaa ct state established,related counter accept
add rule inet weft to-aaaaaaaaaaaa ct status dnat ip daddr . meta l4proto . th dport @port-accept4 counter accept
add rule inet weft to-aaaaaaaaaaaa ct status dnat ip6 daddr . meta l4proto . th dport @port-accept6 counter accept
add rule inet weft to-aaaaaaaaaaaa counter drop
add element inet weft bridges { "br-a" }
add element inet weft net-from { "br-a" : jump from-aaaaaaaaaaaa }
add element inet weft net-to { "br-a" : jump to-aaaaaaaaaaaa }
add chain inet weft nat-aaaaaaaaaaaa
flush chain inet weft nat-aaaaaaaaaaaa
add rule inet weft nat-aaaaaaaaaaaa oifname != "br-a" masquerade
add rule inet weft nat-aaaaaaaaaaaa oifname "br-a" ct status dnat masquerade
add element inet weft net-masq4 { 10.1.0.0/24 : jump nat-aaaaaaaaaaaa }
add element inet weft net-masq6 { fd00:1::/64 : jump nat-aaaaaaaaaaaa }
`);
  });

  it('removes idempotently: every deleted element or chain is first added (nft 1.0.6 has no destroy)', () => {
    const s = lines(removeNetworkScript(netA));
    for (const [i, l] of s.entries()) {
      const m = /^delete (element|chain) inet weft (\S+)(?: \{ (.*) \})?$/.exec(l);
      if (!m) continue;
      const added = s.slice(0, i).filter((x) => x.startsWith(`add ${m[1]} inet weft ${m[2]}`));
      expect(added.length, l).toBeGreaterThan(0);
    }
    expect(s).toContain('delete element inet weft net-masq4 { 10.1.0.0/24 }');
    expect(s).toContain('delete chain inet weft nat-aaaaaaaaaaaa');
    expect(s.filter((l) => l.startsWith('delete chain'))).toHaveLength(3);
    // An internal network's add script removes any NAT left from a non-internal definition.
    const sealed = lines(addNetworkScript({ ...netA, internal: true }));
    expect(sealed).toContain('delete chain inet weft nat-aaaaaaaaaaaa');
    expect(sealed.some((l) => l.startsWith('add rule inet weft nat-'))).toBe(false);
  });

  it('turns published ports into element adds and deletes, one element per host port', () => {
    const rules = expandMappings([
      { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '10.1.0.2', bridge: 'br-a' },
      { proto: 'udp', hostIp: '192.0.2.10', hostPort: 5000, hostPortEnd: 5001, containerPort: 6000, containerPortEnd: 6001, containerIp: '10.1.0.2', bridge: 'br-a' },
      { proto: 'tcp', hostIp: '::', hostPort: 8080, containerPort: 80, containerIp: 'fd00:1::2', bridge: 'br-a' },
    ]);
    const els = portElements(rules);
    expect([...els.keys()]).toEqual([
      'port-dnat4-any', 'port-accept4', 'port-count4', 'port-dnat4', 'port-dnat6-any', 'port-accept6', 'port-count6',
    ]);
    expect(addPortsScript(rules)).toBe(`add element inet weft port-dnat4-any { tcp . 8080 : 10.1.0.2 . 80 }
add element inet weft port-accept4 { 10.1.0.2 . tcp . 80, 10.1.0.2 . udp . 6000, 10.1.0.2 . udp . 6001 }
add element inet weft port-count4 { 10.1.0.2 . tcp . 80, 10.1.0.2 . udp . 6000, 10.1.0.2 . udp . 6001 }
add element inet weft port-dnat4 { 192.0.2.10 . udp . 5000 : 10.1.0.2 . 6000, 192.0.2.10 . udp . 5001 : 10.1.0.2 . 6001 }
add element inet weft port-dnat6-any { tcp . 8080 : fd00:1::2 . 80 }
add element inet weft port-accept6 { fd00:1::2 . tcp . 80 }
add element inet weft port-count6 { fd00:1::2 . tcp . 80 }
`);
    const rm = lines(removePortsScript(rules));
    expect(rm.slice(0, 7)).toEqual(lines(addPortsScript(rules)));
    expect(rm.slice(7)).toEqual([
      'delete element inet weft port-dnat4-any { tcp . 8080 }',
      'delete element inet weft port-accept4 { 10.1.0.2 . tcp . 80, 10.1.0.2 . udp . 6000, 10.1.0.2 . udp . 6001 }',
      'delete element inet weft port-count4 { 10.1.0.2 . tcp . 80, 10.1.0.2 . udp . 6000, 10.1.0.2 . udp . 6001 }',
      'delete element inet weft port-dnat4 { 192.0.2.10 . udp . 5000, 192.0.2.10 . udp . 5001 }',
      'delete element inet weft port-dnat6-any { tcp . 8080 }',
      'delete element inet weft port-accept6 { fd00:1::2 . tcp . 80 }',
      'delete element inet weft port-count6 { fd00:1::2 . tcp . 80 }',
    ]);
  });

  it('syncs published ports by rewriting every port map and set in one script', () => {
    const rules = expandMappings([{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '10.1.0.2', bridge: 'br-a' }]);
    expect(lines(syncPortsScript(rules))).toEqual([
      'flush map inet weft port-dnat4',
      'flush map inet weft port-dnat4-any',
      'flush map inet weft port-dnat6',
      'flush map inet weft port-dnat6-any',
      'flush set inet weft port-accept4',
      'flush set inet weft port-accept6',
      'flush set inet weft port-count4',
      'flush set inet weft port-count6',
      'add element inet weft port-dnat4-any { tcp . 8080 : 10.1.0.2 . 80 }',
      'add element inet weft port-accept4 { 10.1.0.2 . tcp . 80 }',
      'add element inet weft port-count4 { 10.1.0.2 . tcp . 80 }',
    ]);
    expect(lines(syncPortsScript([]))).toHaveLength(8);
  });

  it('refuses interface names that could break the rule text', () => {
    expect(() => addNetworkScript({ ...netA, bridge: 'br" accept' })).toThrow(/bad interface name/);
  });
});
