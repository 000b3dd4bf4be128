/**
 * `weft network explain` on the firewall side: read the live ruleset of the daemon's
 * namespace and the host's addresses and routes, then evaluate one flow against them.
 */
import type { ChainOwner, Explanation, LiveExplainer } from '../contracts/explain.js';
import { runCommand } from './exec.js';
import { explainIptables } from './explain-iptables.js';
import { explainNft } from './explain-nft.js';
import { ipVersion } from '../util/ip.js';
import { readHostView } from './explain-host.js';
import { meaningOf } from './explain-meaning.js';
import type { FirewallKind } from './index.js';
import type { Json } from './nft-json.js';
import { shortId } from './common.js';


export function liveExplainer(kind: FirewallKind, netnsPath?: string): LiveExplainer {
  return {
    host: () => readHostView(netnsPath),
    explain: async (flow, host, networks) => {
      if (kind === 'iptables') {
        const save = await runCommand([ipVersion(flow.daddr) === 4 ? 'iptables-save' : 'ip6tables-save'], { netnsPath });
        return withMeanings(explainIptables(save, flow, host), networks);
      }
      const doc = JSON.parse(await runCommand(['nft', '-j', 'list', 'ruleset'], { netnsPath })) as Json;
      return withMeanings(explainNft(doc, flow, host), networks);
    },
  };
}

function withMeanings(e: Explanation, networks: ChainOwner[]): Explanation {
  const owners = new Map(networks.map((n) => [shortId(n.id), n]));
  for (const s of e.steps) {
    const meaning = meaningOf(s, owners);
    if (meaning) s.meaning = meaning;
  }
  return e;
}
