/**
 * `weft network explain` against the live ruleset, checked with real traffic: flows that
 * are allowed (same network, a published port from a neighbour) and dropped (another
 * network, ICC off, an internal network, an unpublished container address), then a rule
 * deleted by hand changes both the explanation and the traffic.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, createNet, runContainer } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { addNeighbour, type Neighbour } from '../helpers/neighbour.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const quick = { timeoutMs: 1000 };

interface Reply {
  verdict: string;
  dnat?: { addr: string; port: number };
  decidedBy?: { chain: string; rule: string; meaning?: string };
  steps: { chain: string; rule: string; action: string }[];
}

/** The rule text each backend lists for the same job. */
const RULES = {
  nftables: {
    iccOn: /^oifname "br-\w+" accept$/, iccOff: /^oifname "br-\w+" drop$/, isolation: /^oifname @bridges drop$/,
    published: /^ct status dnat .*@port-accept4 accept$/, drop: /^drop$/,
  },
  iptables: {
    iccOn: /^-o br-\w+ -j ACCEPT$/, iccOff: /^-o br-\w+ -j DROP$/, isolation: /^-o br-\w+ -j DROP$/,
    published: /^-m conntrack --ctstate DNAT -j ACCEPT$/, drop: /^-j DROP$/,
  },
};

describe.each(['nftables', 'iptables'] as const)('network explain (%s backend)', (backend) => {
  const rules = RULES[backend];
  let d: TestDaemon;
  let nbr: Neighbour;
  const servers: ChildProcess[] = [];
  const ip: Record<string, string> = {};
  const ns: Record<string, string> = {};

  const explain = async (src: string, dst: string, port: number): Promise<Reply> => {
    const r = await d.api('GET', `/weft/network/explain?src=${src}&dst=${dst}&port=${port}&proto=tcp`);
    expect(r.status, r.text).toBe(200);
    return r.body as Reply;
  };

  async function serve(name: string, network: string, ports?: Record<string, { HostPort: string }[]>): Promise<void> {
    await runContainer(d, { name, network, cmd: ['sleep', '100000'], ports });
    const info = (await d.api('GET', `/v1.50/containers/${name}/json`)).body;
    ns[name] = info.NetworkSettings.SandboxKey;
    servers.push(await startServer(ns[name], name, ['tcp:80', 'tcp:81']));
    ip[name] = await containerIp(d, name, network);
  }

  beforeAll(async () => {
    d = new TestDaemon(backend);
    nbr = addNeighbour(d, { hostIf: 'exnb', link: '10.253.0.0/24', routes: ['10.91.0.0/24', '10.92.0.0/24'] });
    await d.start();
    await createNet(d, { Name: 'ex-a', IPAM: { Config: [{ Subnet: '10.91.0.0/24' }] } });
    await createNet(d, { Name: 'ex-b', IPAM: { Config: [{ Subnet: '10.92.0.0/24' }] }, Options: { 'com.docker.network.bridge.enable_icc': 'false' } });
    await createNet(d, { Name: 'ex-i', Internal: true, IPAM: { Config: [{ Subnet: '10.93.0.0/24' }] } });
    await serve('ex-a1', 'ex-a', { '80/tcp': [{ HostPort: '8095' }] });
    await serve('ex-a2', 'ex-a');
    await serve('ex-b1', 'ex-b');
    await serve('ex-b2', 'ex-b');
    await serve('ex-i1', 'ex-i');
    await serve('ex-i2', 'ex-i');
    servers.push(await startServer(nbr.ns.path, 'nbr', ['tcp:80']));
  });

  afterAll(async () => {
    for (const s of servers) kill(s);
    await d?.destroy();
    nbr?.ns.destroy();
  });

  it('accepts a flow inside a network, as traffic does', async () => {
    const e = await explain('ex-a2', 'ex-a1', 80);
    expect(e).toMatchObject({ verdict: 'accept', decidedBy: { rule: expect.stringMatching(rules.iccOn) } });
    expect(e.decidedBy?.meaning).toMatch(/ICC on/);
    expect(probe(ns['ex-a2']!, 'tcp', ip['ex-a1']!, 80)).toBe('tcp:80:ex-a1');
  });

  it('follows a published port from a neighbour through its DNAT, as traffic does', async () => {
    const e = await explain(nbr.addr, nbr.hostAddr, 8095);
    expect(e).toMatchObject({ verdict: 'accept', dnat: { addr: ip['ex-a1'], port: 80 } });
    expect(e.decidedBy?.rule).toMatch(rules.published);
    expect(probe(nbr.ns.path, 'tcp', nbr.hostAddr, 8095)).toBe('tcp:80:ex-a1');
  });

  it('drops a flow to another network, inside an ICC-off network and out of an internal one', async () => {
    const other = await explain('ex-a2', 'ex-b1', 80);
    expect(other).toMatchObject({ verdict: 'drop', decidedBy: { rule: expect.stringMatching(rules.isolation) } });
    expect(other.decidedBy?.meaning).toMatch(/isolation/);
    expect(probe(ns['ex-a2']!, 'tcp', ip['ex-b1']!, 80, quick)).toBe('');
    const icc = await explain('ex-b2', 'ex-b1', 80);
    expect(icc).toMatchObject({ verdict: 'drop', decidedBy: { rule: expect.stringMatching(rules.iccOff) } });
    expect(icc.decidedBy?.meaning).toMatch(/ICC off/);
    expect(probe(ns['ex-b2']!, 'tcp', ip['ex-b1']!, 80, quick)).toBe('');
    expect(probe(ns['ex-a2']!, 'tcp', nbr.addr, 80), 'a normal network reaches the neighbour').toBe('tcp:80:nbr');
    const internal = await explain('ex-i2', nbr.addr, 80);
    expect(internal).toMatchObject({ verdict: 'drop', decidedBy: { rule: expect.stringMatching(rules.drop), meaning: expect.stringMatching(/internal/) } });
    expect(probe(ns['ex-i2']!, 'tcp', nbr.addr, 80, quick)).toBe('');
  });

  it('shows a rule deleted by hand, and traffic follows the new explanation', async () => {
    const before = await explain(nbr.addr, ip['ex-a1']!, 81);
    expect(before).toMatchObject({ verdict: 'drop', decidedBy: { rule: expect.stringMatching(rules.drop) } });
    expect(probe(nbr.ns.path, 'tcp', ip['ex-a1']!, 81, quick)).toBe('');
    const chain = before.decidedBy!.chain;
    if (backend === 'nftables') {
      const listing = d.host.sh(`nft -a list chain inet weft ${chain}`);
      const handle = /^\s*(?:counter packets \d+ bytes \d+ )?drop # handle (\d+)$/m.exec(listing)?.[1];
      expect(handle, listing).toBeDefined();
      d.host.sh(`nft delete rule inet weft ${chain} handle ${handle}`);
    } else {
      d.host.sh(`iptables -D ${chain} -j DROP`);
    }
    const after = await explain(nbr.addr, ip['ex-a1']!, 81);
    expect(after.steps.some((s) => s.chain === chain && rules.drop.test(s.rule))).toBe(false);
    expect(after.decidedBy).not.toEqual(before.decidedBy);
    // Whatever the rest of the ruleset says now (a chain policy may still drop), traffic agrees.
    expect(probe(nbr.ns.path, 'tcp', ip['ex-a1']!, 81, quick)).toBe(after.verdict === 'accept' ? 'tcp:81:ex-a1' : '');
  });

  it('prints the explanation from the CLI', () => {
    const r = d.cli(['network', 'explain', 'ex-a2', 'ex-b1:80/tcp']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: DROP\n/);
    expect(r.stdout).toMatch(/\ndecided by: (inet weft from-\w+: oifname @bridges drop|iptables filter WEFT-ISOLATION: -o br-\w+ -j DROP) — isolation/);
  });
});
