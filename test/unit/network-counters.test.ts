/** Per-network counts from the counters of the networks' own chains, as both backends lay them out. */
import { describe, expect, it } from 'vitest';
import { countNetworks, parseFilterSave } from '../../src/firewall/network-counters.js';

const IPTABLES = { from: 'WEFT-FROM-', to: 'WEFT-TO-', isolation: 'WEFT-ISOLATION' };

describe('per-network counters', () => {
  it('reads iptables-save -c: entries less drops are forwarded, isolation is what did not come back', () => {
    const save = [
      '*filter',
      '[100:9000] -A WEFT-FORWARD -i br-a -j WEFT-FROM-aaaaaaaaaaaa',
      '[40:3000] -A WEFT-FORWARD -o br-a -j WEFT-TO-aaaaaaaaaaaa',
      '[7:500] -A WEFT-FROM-aaaaaaaaaaaa -o br-a -j DROP',
      '[3:200] -A WEFT-FROM-aaaaaaaaaaaa -m conntrack --ctstate DNAT -j ACCEPT',
      '[90:8000] -A WEFT-FROM-aaaaaaaaaaaa -j WEFT-ISOLATION',
      '[80:7000] -A WEFT-FROM-aaaaaaaaaaaa -j ACCEPT',
      '[30:2000] -A WEFT-TO-aaaaaaaaaaaa -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '[8:900] -A WEFT-TO-aaaaaaaaaaaa -j WEFT-PORTS',
      '[4:300] -A WEFT-TO-aaaaaaaaaaaa -j DROP',
      '[10:800] -A WEFT-ISOLATION -o br-a -j DROP',
      'COMMIT',
    ].join('\n');
    expect(countNetworks([parseFilterSave(save)], IPTABLES)).toEqual([
      { tag: 'aaaaaaaaaaaa', forwardedOut: 83, forwardedIn: 36, dropped: { icc: 7, isolation: 10, unpublished: 4 } },
    ]);
  });

  it('reads an internal network and adds the families up', () => {
    const v4 = [
      { chain: 'WEFT-FROM-bbbbbbbbbbbb', verdict: 'accept', packets: 5 },
      { chain: 'WEFT-FROM-bbbbbbbbbbbb', verdict: 'jump WEFT-ISOLATION', packets: 9 },
      { chain: 'WEFT-FROM-bbbbbbbbbbbb', verdict: 'drop', packets: 6 },
      { chain: 'WEFT-TO-bbbbbbbbbbbb', verdict: 'drop', packets: 2 },
    ];
    const v6 = v4.map((r) => ({ ...r, packets: 1 }));
    expect(countNetworks([v4, v6], IPTABLES)).toEqual([
      { tag: 'bbbbbbbbbbbb', forwardedOut: 6, forwardedIn: 0, dropped: { isolation: 3, internal: 10 } },
    ]);
  });

  it('reads nft chains, every rule counted: accepts are forwarded, drops by position', () => {
    const rules = [
      { chain: 'forward', verdict: undefined, packets: 0 },
      { chain: 'from-cccccccccccc', verdict: 'drop', packets: 4 },
      { chain: 'from-cccccccccccc', verdict: 'accept', packets: 1 },
      { chain: 'from-cccccccccccc', verdict: 'drop', packets: 2 },
      { chain: 'from-cccccccccccc', verdict: 'accept', packets: 20 },
      { chain: 'to-cccccccccccc', verdict: 'accept', packets: 15 },
      { chain: 'to-cccccccccccc', verdict: 'drop', packets: 3 },
      { chain: 'from-dddddddddddd', verdict: 'accept', packets: 1 },
      { chain: 'from-dddddddddddd', verdict: 'drop', packets: 8 },
      { chain: 'to-dddddddddddd', verdict: 'drop', packets: 5 },
    ];
    expect(countNetworks([rules], { from: 'from-', to: 'to-' })).toEqual([
      { tag: 'cccccccccccc', forwardedOut: 21, forwardedIn: 15, dropped: { icc: 4, isolation: 2, unpublished: 3 } },
      { tag: 'dddddddddddd', forwardedOut: 1, forwardedIn: 0, dropped: { internal: 13 } },
    ]);
  });
});
