/**
 * Both firewall backends against the real kernel, each in throwaway namespaces: the
 * ruleset is read back with the backend's own tools (inside the namespace) and compared
 * before/after, and one test sends real traffic between namespace "containers".
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IptablesBackend } from '../../src/firewall/iptables.js';
import type { FirewallBackend, FirewallNetwork, PortMapping } from '../../src/contracts/firewall.js';
import { NftablesBackend } from '../../src/firewall/nftables.js';
import { Nfnl } from '../../src/kernel/nfnetlink.js';
import { destroyAll, dump, echoServer, eventually, makeNs, stop, tcpProbe, type FwNs } from './firewall-lab.js';

type Kind = 'iptables' | 'nftables';

const backends: [string, Kind, (netnsPath: string) => FirewallBackend][] = [
  ['iptables', 'iptables', (netnsPath) => new IptablesBackend({ netnsPath })],
  ['nftables (libnftables in-process)', 'nftables', (netnsPath) => new NftablesBackend({ netnsPath })],
  ['nftables (nft -f - fallback)', 'nftables', (netnsPath) => new NftablesBackend({ netnsPath, forceExec: true })],
];

const netA: FirewallNetwork = {
  id: 'aaaaaaaaaaaa11112222', bridge: 'br-a', subnets4: ['10.91.1.0/24'], subnets6: ['fd00:91:1::/64'],
  internal: false, icc: true, masquerade: true,
};
const netB: FirewallNetwork = {
  id: 'bbbbbbbbbbbb11112222', bridge: 'br-b', subnets4: ['10.91.2.0/24'], subnets6: [],
  internal: false, icc: true, masquerade: true,
};
const netC: FirewallNetwork = {
  id: 'cccccccccccc11112222', bridge: 'br-c', subnets4: ['10.91.3.0/24'], subnets6: [],
  internal: true, icc: false, masquerade: false,
};

const ports: PortMapping[] = [
  { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '10.91.1.2', bridge: 'br-a' },
  { proto: 'udp', hostIp: '192.0.2.10', hostPort: 5000, hostPortEnd: 5001, containerPort: 6000, containerPortEnd: 6001, containerIp: '10.91.1.2', bridge: 'br-a' },
  { proto: 'tcp', hostIp: '::', hostPort: 8080, containerPort: 80, containerIp: 'fd00:91:1::2', bridge: 'br-a' },
];

afterAll(() => destroyAll());

describe.each(backends)('firewall backend: %s', (_label, kind, make) => {
  let ns: FwNs;
  let fw: FirewallBackend;
  const rules = () => dump(ns, kind);
  /** The nfacct objects weft made in the namespace (the iptables backend's per-port counters). */
  const acctObjects = async () => {
    const nl = Nfnl.open(ns.path);
    try {
      return (await nl.acctObjects()).filter((o) => o.name.startsWith('weft-')).length;
    } finally {
      nl.close();
    }
  };

  beforeEach(() => {
    ns = makeNs(kind === 'iptables' ? 'ipt' : 'nft');
    fw = make(ns.path);
  });

  // Every namespace a test made (host, "containers", outside) goes, also after a failure.
  afterEach(() => {
    fw?.close?.();
    destroyAll();
  });

  it('init creates the base once: running it twice gives the same ruleset', async () => {
    const empty = rules();
    expect(empty).not.toMatch(/weft/i);
    await fw.init();
    const once = rules();
    await fw.init();
    expect(rules()).toBe(once);
    if (kind === 'iptables') {
      const [v4, v6] = once.split('--- ip6tables ---');
      for (const part of [v4, v6]) {
        expect(part).toContain('-A FORWARD -j WEFT-FORWARD\n');
        expect(part).toContain('-A PREROUTING -m addrtype --dst-type LOCAL -j WEFT-DNAT\n');
        expect(part).toContain('-A POSTROUTING -j WEFT-POSTROUTING\n');
      }
      expect(v4).toContain('-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j WEFT-DNAT\n');
      expect(v6).toContain('-A OUTPUT ! -d ::1/128 -m addrtype --dst-type LOCAL -j WEFT-DNAT\n');
    } else {
      expect(once).toContain('table inet weft {');
      expect(once).toMatch(/chain forward \{\n\s+type filter hook forward priority filter; policy accept;\n\s+iifname vmap @net-from\n\s+oifname vmap @net-to\n/);
      expect(once).toContain('fib daddr type local jump ports');
      expect((fw as NftablesBackend).inProcess).toBe(_label.includes('in-process'));
    }
  });

  it('works only inside its namespace, and follows the namespace file to a new namespace', async () => {
    const self = fs.readlinkSync('/proc/thread-self/ns/net');
    await fw.init();
    await fw.addNetwork(netA);
    expect(fs.readlinkSync('/proc/thread-self/ns/net')).toBe(self);
    const other = makeNs('other');
    expect(dump(other, kind)).not.toMatch(/weft/i);
    // Same path, new namespace (e.g. a lab host re-created): the next call acts on the new one.
    execFileSync('ip', ['netns', 'del', ns.name]);
    execFileSync('ip', ['netns', 'add', ns.name]);
    expect(rules()).not.toMatch(/weft/i);
    await fw.init();
    expect(rules()).toMatch(/weft/i);
  });

  it('init repairs a partly or fully flushed ruleset; an operation after a flush repairs it too', async () => {
    await fw.init();
    await fw.addNetwork(netA);
    const full = rules();
    if (kind === 'iptables') {
      ns.sh('iptables -F FORWARD && iptables -t nat -F POSTROUTING && ip6tables -t nat -F PREROUTING');
      expect(rules()).not.toBe(full);
      await fw.init();
      expect(rules()).toBe(full);
      ns.sh('for t in iptables ip6tables; do for tb in raw mangle filter nat; do $t -t $tb -F && $t -t $tb -X; done; done');
    } else {
      ns.sh('nft flush chain inet weft forward && nft flush chain inet weft postrouting');
      expect(rules()).not.toBe(full);
      await fw.init();
      expect(rules()).toBe(full);
      ns.sh('nft flush ruleset');
    }
    expect(rules()).not.toMatch(/weft/i);
    // The daemon's restart path: reconcile re-adds networks; the base comes back with them.
    await fw.addNetwork(netA);
    expect(rules()).toBe(full);
  });

  it('addNetwork then removeNetwork returns to the exact previous ruleset; both are idempotent', async () => {
    await fw.init();
    const base = rules();
    await fw.addNetwork(netA);
    const withA = rules();
    expect(withA).not.toBe(base);
    expect(withA).toContain('10.91.1.0/24');
    expect(withA).toContain('fd00:91:1::/64');
    await fw.addNetwork(netA);
    expect(rules()).toBe(withA);
    await fw.removeNetwork(netA);
    expect(rules()).toBe(base);
    await fw.removeNetwork(netA);
    expect(rules()).toBe(base);
  });

  it('removing one of two networks leaves the other exactly as it was', async () => {
    await fw.init();
    await fw.addNetwork(netB);
    const onlyB = rules();
    await fw.addNetwork(netA);
    const both = rules();
    expect(both).toContain('br-a');
    expect(both).toContain('br-b');
    await fw.removeNetwork(netA);
    expect(rules()).toBe(onlyB);
    // And the other way round: A stays complete when B goes.
    await fw.addNetwork(netA);
    await fw.removeNetwork(netB);
    const onlyA = rules();
    expect(onlyA).not.toContain('br-b');
    expect(onlyA).not.toContain('10.91.2.0/24');
    await fw.removeNetwork(netA);
    await fw.addNetwork(netA);
    expect(rules()).toBe(onlyA);
  });

  it('writes the internal and no-icc variants, and replacing a definition is exact', async () => {
    await fw.init();
    await fw.addNetwork(netC);
    const sealed = rules();
    if (kind === 'iptables') {
      const v4 = sealed.split('--- ip6tables ---')[0];
      expect(v4).toContain('-A WEFT-FROM-cccccccccccc -o br-c -j DROP\n-A WEFT-FROM-cccccccccccc -j WEFT-ISOLATION\n-A WEFT-FROM-cccccccccccc -j DROP\n');
      expect(v4).toContain('-A WEFT-TO-cccccccccccc -j DROP\n');
      expect(v4).toContain('-A WEFT-ISOLATION -o br-c -j DROP\n');
      expect(sealed).not.toContain('WEFT-NAT-cccccccccccc');
      expect(sealed).not.toContain('10.91.3.0/24');
    } else {
      expect(sealed).toMatch(/chain from-cccccccccccc \{\n\s+oifname "br-c" counter drop\n\s+counter drop\n\s+\}/);
      expect(sealed).toMatch(/chain to-cccccccccccc \{\n\s+counter drop\n\s+\}/);
      expect(sealed).toMatch(/"br-c" : jump from-cccccccccccc/);
      expect(sealed).not.toContain('nat-cccccccccccc');
      expect(sealed).not.toContain('10.91.3.0/24');
    }
    // Same network, now not internal and with ICC: NAT appears, the ICC rule flips.
    await fw.addNetwork({ ...netC, internal: false, icc: true, masquerade: true });
    const open = rules();
    if (kind === 'iptables') {
      expect(open).toContain('-A WEFT-FROM-cccccccccccc -o br-c -j ACCEPT\n');
      expect(open).toContain('-A WEFT-NAT-cccccccccccc ! -o br-c -j MASQUERADE\n');
      expect(open).toContain('-A WEFT-POSTROUTING -s 10.91.3.0/24 -j WEFT-NAT-cccccccccccc\n');
    } else {
      expect(open).toMatch(/chain nat-cccccccccccc \{\n\s+oifname != "br-c" masquerade\n\s+oifname "br-c" ct status dnat masquerade\n/);
      expect(open).toContain('10.91.3.0/24 : jump nat-cccccccccccc');
    }
    await fw.addNetwork(netC);
    expect(rules()).toBe(sealed);
  });

  it('publishes ports (v4 any/specific address, a range, v6) and removes exactly them', async () => {
    await fw.init();
    await fw.addNetwork(netA);
    const before = rules();
    await fw.addPortMappings('ep1', ports);
    const published = rules();
    if (kind === 'iptables') {
      const [v4, v6] = published.split('--- ip6tables ---');
      expect(v4).toContain('-A WEFT-DNAT -p tcp -m tcp --dport 8064:8127 -j WEFT-DNAT-TCP126\n');
      expect(v4).toContain('-A WEFT-DNAT-TCP126 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.91.1.2:80\n');
      expect(v4).toContain('-A WEFT-DNAT-UDP78 -d 192.0.2.10/32 -p udp -m udp --dport 5000 -j DNAT --to-destination 10.91.1.2:6000\n');
      expect(v4).toContain('-A WEFT-DNAT-UDP78 -d 192.0.2.10/32 -p udp -m udp --dport 5001 -j DNAT --to-destination 10.91.1.2:6001\n');
      expect(v4).toContain('-A WEFT-PORTS -m conntrack --ctstate DNAT -j ACCEPT\n');
      expect(v6).toContain('-A WEFT-DNAT-TCP126 -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:91:1::2]:80\n');
    } else {
      expect(published).toContain('tcp . 8080 : 10.91.1.2 . 80');
      expect(published).toMatch(/192\.0\.2\.10 \. udp \. 5000 : 10\.91\.1\.2 \. 6000/);
      expect(published).toMatch(/192\.0\.2\.10 \. udp \. 5001 : 10\.91\.1\.2 \. 6001/);
      expect(published).toContain('tcp . 8080 : fd00:91:1::2 . 80');
      expect(published).toContain('10.91.1.2 . tcp . 80');
    }
    await fw.addPortMappings('ep1', ports);
    expect(rules()).toBe(published);
    // iptables: one accounting object per host port, gone with its port.
    const perPort = kind === 'iptables' ? 1 : 0;
    expect(await acctObjects()).toBe(4 * perPort);
    // A second endpoint's ports come and go without touching the first one's.
    const other: PortMapping[] = [{ proto: 'tcp', hostIp: '', hostPort: 9090, containerPort: 90, containerIp: '10.91.1.3', bridge: 'br-a' }];
    await fw.addPortMappings('ep2', other);
    expect(rules()).toContain('10.91.1.3');
    expect(await acctObjects()).toBe(5 * perPort);
    await fw.removePortMappings('ep2', other);
    expect(rules()).toBe(published);
    await fw.removePortMappings('ep1', ports);
    expect(rules()).toBe(before);
    expect(await acctObjects()).toBe(0);
    await fw.removePortMappings('ep1', ports);
    expect(rules()).toBe(before);
  });

  it('teardown removes everything weft made and leaves foreign rules alone', async () => {
    if (kind === 'iptables') {
      ns.sh('for t in iptables ip6tables; do $t -A FORWARD -p tcp --dport 7 -j DROP && $t -t nat -A POSTROUTING -p udp --dport 7 -j ACCEPT'
        + ' && $t -t raw -A PREROUTING -p udp --dport 7 -j ACCEPT && $t -t mangle -A POSTROUTING -p udp --dport 7 -j ACCEPT'
        + ' && $t -N KEEP-ME; done');
    } else {
      ns.sh("nft 'add table ip other; add chain ip other c { type filter hook forward priority 10; }; add rule ip other c tcp dport 7 drop'");
    }
    const foreign = rules();
    await fw.init();
    await fw.addNetwork(netA);
    await fw.addNetwork(netC);
    await fw.addPortMappings('ep1', ports);
    expect(rules()).toMatch(/weft/i);
    await fw.teardown();
    expect(rules()).toBe(foreign);
    expect(await acctObjects()).toBe(0);
    await fw.teardown();
    expect(rules()).toBe(foreign);
    // Removals after a teardown find nothing and change nothing.
    await fw.removePortMappings('ep1', ports);
    await fw.removeNetwork(netA);
    expect(rules()).toBe(foreign);
  });

  it('enforces isolation, ICC, internal, masquerade and published ports on real traffic', async () => {
    const host = ns;
    expect(host.sh('cat /proc/sys/net/bridge/bridge-nf-call-iptables').trim()).toBe('1');
    host.sh('sysctl -qw net.ipv4.ip_forward=1');
    const out = makeNs('out');
    host.sh(`ip link add wout type veth peer name eth0 netns ${out.name} && ip addr add 10.254.9.1/24 dev wout && ip link set wout up`);
    out.sh('ip addr add 10.254.9.2/24 dev eth0 && ip link set eth0 up');
    const nets: [FirewallNetwork, string][] = [
      [netA, '10.91.1'],
      [{ ...netB, icc: true }, '10.91.2'],
      [{ ...netC, internal: false, icc: false, masquerade: true }, '10.91.3'],
      [{ id: 'dddddddddddd', bridge: 'br-d', subnets4: ['10.91.4.0/24'], subnets6: [], internal: true, icc: true, masquerade: false }, '10.91.4'],
    ];
    for (const [n, p] of nets) host.sh(`ip link add ${n.bridge} type bridge && ip addr add ${p}.1/24 dev ${n.bridge} && ip link set ${n.bridge} up`);
    const ctr = (bridge: string, ip: string, gw: string): FwNs => {
      const c = makeNs('ctr');
      const veth = `v${c.name.slice(-6)}`;
      host.sh(`ip link add ${veth} type veth peer name eth0 netns ${c.name} && ip link set ${veth} master ${bridge} up`);
      c.sh(`ip addr add ${ip}/24 dev eth0 && ip link set eth0 up && ip route add default via ${gw}`);
      return c;
    };
    const a1 = ctr('br-a', '10.91.1.2', '10.91.1.1');
    const a2 = ctr('br-a', '10.91.1.3', '10.91.1.1');
    const b1 = ctr('br-b', '10.91.2.2', '10.91.2.1');
    const c1 = ctr('br-c', '10.91.3.2', '10.91.3.1');
    ctr('br-c', '10.91.3.3', '10.91.3.1'); // a second port on br-c: the isolation rules must hold with several
    const d1 = ctr('br-d', '10.91.4.2', '10.91.4.1');
    const ping = (from: FwNs, to: string) => from.try(`ping -c1 -W1 ${to}`).code === 0;

    // Without weft's rules everything is routed: the checks below really test the rules.
    expect(ping(a1, '10.91.2.2')).toBe(true);
    expect(ping(c1, '10.91.3.3')).toBe(true);

    await fw.init();
    for (const [n] of nets) await fw.addNetwork(n);

    expect(ping(a1, '10.91.1.3')).toBe(true); // icc on
    expect(ping(c1, '10.91.3.3')).toBe(false); // icc off drops same-bridge forwarding
    expect(ping(c1, '10.91.3.1')).toBe(true); // ...but the gateway (INPUT) still answers
    expect(ping(a1, '10.91.2.2')).toBe(false); // isolation, both ways
    expect(ping(b1, '10.91.1.2')).toBe(false);
    expect(ping(a1, '10.254.9.2')).toBe(true); // out via masquerade: `out` has no route back to 10.91/16
    expect(ping(d1, '10.254.9.2')).toBe(false); // internal: no way out, even with a default route
    expect(ping(d1, '10.91.4.1')).toBe(true);
    expect(ping(a1, '10.91.4.2')).toBe(false);

    // A server in a1; `out` gets a route into the bridges so it could try them directly.
    out.sh('ip route add 10.91.0.0/16 via 10.254.9.1');
    const server = echoServer(a1, 80);
    try {
      expect(await eventually(() => tcpProbe(a2, '10.91.1.2', 80))).toBe('10.91.1.3');
      expect(tcpProbe(out, '10.91.1.2', 80)).toBeUndefined(); // not published: dropped
      expect(tcpProbe(out, '10.254.9.1', 8080)).toBeUndefined();
      await fw.addPortMappings('ep-a1', [{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '10.91.1.2', bridge: 'br-a' }]);
      // The container sees the real client address (no masquerade on the way in).
      expect(tcpProbe(out, '10.254.9.1', 8080)).toBe('10.254.9.2');
      // Hairpin: a neighbour on the same bridge through the host address, masqueraded to the gateway.
      expect(tcpProbe(a2, '10.254.9.1', 8080)).toBe('10.91.1.1');
      // From the host itself (nat OUTPUT): the container sees the host address it was reached on.
      expect(tcpProbe(host, '10.254.9.1', 8080)).toBe('10.254.9.1');
      // Another network reaches the published port through the host address (as through
      // docker-proxy), masqueraded to the gateway of the published container's bridge...
      expect(tcpProbe(b1, '10.254.9.1', 8080)).toBe('10.91.1.1');
      // ...but still not the container directly (isolation).
      expect(tcpProbe(b1, '10.91.1.2', 80)).toBeUndefined();
      await fw.removePortMappings('ep-a1', [{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '10.91.1.2', bridge: 'br-a' }]);
      expect(tcpProbe(out, '10.254.9.1', 8080)).toBeUndefined();
    } finally {
      stop(server);
    }

    await fw.removeNetwork(netB);
    expect(ping(a1, '10.91.1.3')).toBe(true); // A unaffected by B's removal
    expect(ping(a1, '10.91.2.2')).toBe(true); // br-b is no longer a weft bridge: just another way out
    expect(ping(c1, '10.91.3.3')).toBe(false); // C's rules untouched
    await fw.teardown();
    expect(ping(c1, '10.91.3.3')).toBe(true);
  });
});
