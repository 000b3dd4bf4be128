/**
 * Both flow evaluators through the user chain of --published-ports-firewall=host: its rules
 * match the connection's original destination (host address and port, before the DNAT).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Flow, HostView } from '../../src/contracts/explain.js';
import { explainIptables } from '../../src/firewall/explain-iptables.js';
import { explainNft } from '../../src/firewall/explain-nft.js';
import { hostView } from '../../src/firewall/explain-host.js';
import type { Json, JsonObject } from '../../src/firewall/nft-json.js';
import { IPTABLES_JUMP } from '../../src/firewall/user-chain.js';

const host: HostView = hostView(
  [{ dev: 'lo', ip: '127.0.0.1' }, { dev: 'eth0', ip: '192.168.77.1' }, { dev: 'br-a', ip: '10.1.0.1' }],
  [{ dev: 'br-a', dst: '10.1.0.0', prefix: 24 }, { dev: 'eth0', dst: '0.0.0.0', prefix: 0 }],
);
const fromOutside = (dport: number): Flow => ({ iif: 'eth0', saddr: '192.168.77.2', daddr: '192.168.77.1', proto: 'tcp', dport });

/** weft's fixture ruleset (8080 -> 10.1.0.2:80) with the user chain, its jump first in forward, and one user rule. */
function nftRuleset(userPort: number): Json {
  const doc = JSON.parse(fs.readFileSync(new URL('../fixtures/nft-weft-ruleset.json', import.meta.url), 'utf8')) as { nftables: JsonObject[] };
  const rule = (chain: string, expr: Json[]): JsonObject => ({ rule: { family: 'inet', table: 'weft', chain, expr } });
  const ct = (key: string, right: Json, dir?: string): Json => ({ match: { op: '==', left: { ct: { key, ...(dir ? { dir } : {}) } }, right } });
  const first = doc.nftables.findIndex((it) => (it.rule as JsonObject | undefined)?.chain === 'forward');
  doc.nftables.splice(first, 0, rule('forward', [ct('state', 'new'), ct('status', 'dnat'), { jump: { target: 'user' } }]));
  doc.nftables.push({ chain: { family: 'inet', table: 'weft', name: 'user' } });
  doc.nftables.push(rule('user', [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, ct('proto-dst', userPort, 'original'), { drop: null }]));
  return doc;
}

const iptablesSave = (userRule: string): string => `*nat
:PREROUTING ACCEPT [0:0]
:WEFT-DNAT - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j WEFT-DNAT
-A WEFT-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80
-A WEFT-DNAT -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.1.0.2:81
COMMIT
*filter
:FORWARD DROP [0:0]
:WEFT-FORWARD - [0:0]
:WEFT-USER - [0:0]
-A FORWARD -j WEFT-FORWARD
-A WEFT-FORWARD ${IPTABLES_JUMP}
-A WEFT-FORWARD -m conntrack --ctstate DNAT -j ACCEPT
-A WEFT-USER ${userRule}
COMMIT
`;

describe('explain through the user chain', () => {
  it('nftables: a ct original proto-dst drop decides for its host port only', () => {
    const blocked = explainNft(nftRuleset(8080), fromOutside(8080), host);
    expect(blocked).toMatchObject({ verdict: 'drop', decidedBy: { chain: 'user', rule: expect.stringContaining('8080') } });
    expect(blocked.dnat).toEqual({ addr: '10.1.0.2', port: 80 });
    const other = explainNft(nftRuleset(9999), fromOutside(8080), host);
    expect(other.verdict).toBe('accept');
    expect(other.steps.map((s) => s.action)).toContain('jump user');
  });

  it('iptables: --ctorigdstport and --ctorigdst match the destination before the DNAT', () => {
    const byPort = iptablesSave('-p tcp -m conntrack --ctorigdstport 8080 -j DROP');
    expect(explainIptables(byPort, fromOutside(8080), host)).toMatchObject({ verdict: 'drop', decidedBy: { chain: 'WEFT-USER' } });
    expect(explainIptables(byPort, fromOutside(8081), host)).toMatchObject({ verdict: 'accept', decidedBy: { chain: 'WEFT-FORWARD' } });
    const byAddr = iptablesSave('-m conntrack --ctorigdst 192.168.77.1 -j DROP');
    expect(explainIptables(byAddr, fromOutside(8081), host)).toMatchObject({ verdict: 'drop', decidedBy: { chain: 'WEFT-USER' } });
  });
});
