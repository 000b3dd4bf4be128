/**
 * The nftables flow evaluator against a ruleset nft printed for weft's own scripts
 * (test/fixtures/nft-weft-ruleset.json: br-a 10.1.0.0/24 icc on with ports 8080 -> 10.1.0.2:80
 * and 127.0.0.1:8081 -> 10.1.0.3:80; br-b 10.2.0.0/24 internal, icc off; br-c 10.3.0.0/24
 * routed with 10.3.0.2:80 published).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Flow, HostView } from '../../src/contracts/explain.js';
import { explainNft } from '../../src/firewall/explain-nft.js';
import { hostView } from '../../src/firewall/explain-host.js';
import type { Json } from '../../src/firewall/nft-json.js';

const ruleset = JSON.parse(fs.readFileSync(new URL('../fixtures/nft-weft-ruleset.json', import.meta.url), 'utf8')) as Json;
const host: HostView = hostView(
  [{ dev: 'lo', ip: '127.0.0.1' }, { dev: 'eth0', ip: '192.168.77.1' }, { dev: 'br-a', ip: '10.1.0.1' }],
  [
    { dev: 'br-a', dst: '10.1.0.0', prefix: 24 }, { dev: 'br-b', dst: '10.2.0.0', prefix: 24 },
    { dev: 'br-c', dst: '10.3.0.0', prefix: 24 }, { dev: 'eth0', dst: '0.0.0.0', prefix: 0 },
  ],
);
const tcp = (iif: string | undefined, saddr: string, daddr: string, dport: number): Flow => ({ iif, saddr, daddr, proto: 'tcp', dport });
const deciding = (rs: Json, f: Flow) => {
  const e = explainNft(rs, f, host);
  return { verdict: e.verdict, last: e.decidedBy, dnat: e.dnat, egress: e.egress };
};

describe('explainNft', () => {
  it('accepts a flow between containers of one network with icc on', () => {
    const e = deciding(ruleset, tcp('br-a', '10.1.0.2', '10.1.0.3', 80));
    expect(e).toMatchObject({ verdict: 'accept', egress: 'br-a', last: { chain: 'from-net1aaaaaaaa', rule: 'oifname "br-a" accept' } });
  });

  it('drops a flow inside an icc-off network at its icc rule', () => {
    const e = deciding(ruleset, tcp('br-b', '10.2.0.2', '10.2.0.3', 80));
    expect(e).toMatchObject({ verdict: 'drop', last: { chain: 'from-net2bbbbbbbb', rule: 'oifname "br-b" drop' } });
  });

  it('drops a flow out of an internal network at its final drop', () => {
    const e = deciding(ruleset, tcp('br-b', '10.2.0.2', '192.168.77.9', 80));
    expect(e).toMatchObject({ verdict: 'drop', egress: 'eth0', last: { chain: 'from-net2bbbbbbbb', rule: 'drop' } });
  });

  it('drops a flow to another network at the isolation rule', () => {
    const e = deciding(ruleset, tcp('br-a', '10.1.0.2', '10.3.0.5', 80));
    expect(e).toMatchObject({ verdict: 'drop', last: { chain: 'from-net1aaaaaaaa', rule: 'oifname @bridges drop' } });
  });

  it('follows a published port through its DNAT to the container', () => {
    const e = explainNft(ruleset, tcp('eth0', '192.168.77.2', '192.168.77.1', 8080), host);
    expect(e).toMatchObject({ verdict: 'accept', dnat: { addr: '10.1.0.2', port: 80 }, egress: 'br-a' });
    expect(e.steps.map((s) => `${s.chain}: ${s.action}`)).toEqual([
      'prerouting: jump ports', 'ports: dnat to 10.1.0.2:80', 'forward: jump to-net1aaaaaaaa', 'to-net1aaaaaaaa: accept',
    ]);
    expect(e.decidedBy?.rule).toBe('ct status dnat ip daddr . l4proto . th dport @port-accept4 accept');
  });

  it('drops a neighbour that routes to an unpublished container address in nat mode', () => {
    const e = deciding(ruleset, tcp('eth0', '192.168.77.2', '10.1.0.2', 80));
    expect(e).toMatchObject({ verdict: 'drop', last: { chain: 'to-net1aaaaaaaa', rule: 'drop' } });
  });

  it('drops a neighbour reaching a port published on 127.0.0.1 (direct routing protection)', () => {
    const e = deciding(ruleset, tcp('eth0', '192.168.77.2', '127.0.0.1', 8081));
    expect(e).toMatchObject({ verdict: 'drop', last: { chain: 'raw-prerouting', rule: 'iifname != "lo" ip daddr 127.0.0.0/8 drop' } });
  });

  it('lets a neighbour reach a published port of a routed network by container address', () => {
    const e = deciding(ruleset, tcp('eth0', '192.168.77.2', '10.3.0.2', 80));
    expect(e).toMatchObject({ verdict: 'accept', last: { chain: 'to-net3cccccccc', rule: 'ip daddr . l4proto . th dport @port-accept4 accept' } });
    expect(deciding(ruleset, tcp('eth0', '192.168.77.2', '10.3.0.2', 81)).verdict).toBe('drop');
  });

  it('accepts what the host itself sends to a published port (output DNAT, no forward hook)', () => {
    const e = explainNft(ruleset, tcp(undefined, '192.168.77.1', '192.168.77.1', 8080), host);
    expect(e).toMatchObject({ verdict: 'accept', dnat: { addr: '10.1.0.2', port: 80 }, egress: 'br-a' });
  });

  it('sees a rule deleted from the live ruleset: the flow falls through to what remains', () => {
    const doc = structuredClone(ruleset) as { nftables: any[] };
    doc.nftables = doc.nftables.filter((o) => !(o.rule?.chain === 'to-net1aaaaaaaa' && o.rule.expr.length === 1));
    expect(deciding(doc as Json, tcp('eth0', '192.168.77.2', '10.1.0.2', 80))).toMatchObject({ verdict: 'accept', last: undefined, egress: 'br-a' });
  });

  it('picks the address a neighbour reaches the host by: the default route interface\'s', () => {
    expect(host.primaryAddress(4)).toBe('192.168.77.1');
    expect(host.primaryAddress(6)).toBeUndefined();
  });

  it('reports a statement it does not read instead of guessing', () => {
    const doc = structuredClone(ruleset) as { nftables: any[] };
    const rule = doc.nftables.find((o) => o.rule?.chain === 'from-net1aaaaaaaa');
    rule.rule.expr.unshift({ match: { op: '==', left: { meta: { key: 'skuid' } }, right: 0 } });
    const e = explainNft(doc as Json, tcp('br-a', '10.1.0.2', '10.1.0.3', 80), host);
    expect(e.steps.some((s) => s.action.startsWith('not evaluated'))).toBe(true);
  });
});
