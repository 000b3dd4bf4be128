/**
 * The published ports of a scrape joined with the firewall's counters. A port's label text
 * and counter key depend only on its network's name and its endpoint's name, addresses and
 * bindings: they are made once per endpoint and again only when one of those changes, so
 * with a thousand endpoints a scrape walks kept slots and adds up counters.
 */
import type { PortCounter } from '../contracts/firewall.js';
import type { EndpointRecord, NetworkRecord } from '../controller/model.js';
import { type PortCounts, portLabels } from '../metrics/port-text.js';
import { splitCidr } from '../util/ip.js';

/** One published host port: its label set and what its counters are keyed on. */
interface Slot { ip: string; proto: string; containerPort: number; hostPort: number; labels: string }

/** An endpoint's slots and what they were made from. */
interface Made { network: string; name: string; ipv4?: string; ipv6?: string; bindings: EndpointRecord['portBindings']; slots: Slot[] }

/** One slot per published host port of an endpoint (ranges expanded), per address family it publishes on. */
function slotsOf(network: string, ep: EndpointRecord): Slot[] {
  const out: Slot[] = [];
  for (const b of ep.portBindings) {
    const ips = [b.hostIp.includes(':') ? ep.ipv6 : ep.ipv4, ...(!b.hostIp && ep.ipv6 && ep.ipv4 ? [ep.ipv6] : [])];
    const span = (b.containerPortEnd ?? b.containerPort) - b.containerPort;
    for (let hostPort = b.hostPort; hostPort <= (b.hostPortEnd ?? b.hostPort); hostPort++) {
      const containerPort = b.containerPort + (span > 0 ? hostPort - b.hostPort : 0);
      for (const cidr of ips) {
        if (!cidr) continue;
        const ip = splitCidr(cidr).ip;
        const hostIp = b.hostIp || (ip.includes(':') ? '::' : '0.0.0.0');
        const labels = portLabels({ network, container: ep.name, proto: b.proto, hostIp, hostPort, containerPort });
        out.push({ ip, proto: b.proto, containerPort, hostPort, labels });
      }
    }
  }
  return out;
}

export class PortJoin {
  private readonly made = new WeakMap<EndpointRecord, Made>();

  /** Every published port of `networks`, in network and endpoint order, with its counts. */
  join(networks: NetworkRecord[], endpointsOf: (id: string) => EndpointRecord[], counters: PortCounter[]): PortCounts {
    const index = indexCounters(counters);
    const out: PortCounts = { labels: [], packets: [], bytes: [] };
    for (const n of networks) {
      for (const ep of endpointsOf(n.id)) {
        for (const s of this.slots(n.name, ep)) {
          let packets = 0;
          let bytes = 0;
          for (const c of index.get(s.ip) ?? NONE) {
            if (c.proto !== s.proto || c.containerPort !== s.containerPort) continue;
            if (c.hostPort !== undefined && c.hostPort !== s.hostPort) continue;
            packets += c.packets;
            bytes += c.bytes;
          }
          out.labels.push(s.labels);
          out.packets.push(packets);
          out.bytes.push(bytes);
        }
      }
    }
    return out;
  }

  private slots(network: string, ep: EndpointRecord): Slot[] {
    const m = this.made.get(ep);
    if (m && m.network === network && m.name === ep.name && m.ipv4 === ep.ipv4 && m.ipv6 === ep.ipv6 && m.bindings === ep.portBindings) {
      return m.slots;
    }
    const slots = slotsOf(network, ep);
    this.made.set(ep, { network, name: ep.name, ipv4: ep.ipv4, ipv6: ep.ipv6, bindings: ep.portBindings, slots });
    return slots;
  }
}

const NONE: PortCounter[] = [];

/**
 * Counters by container address (backends count per protocol, address and port): keyed on
 * a string the backend keeps between scrapes, so no key is built and each hash is known.
 */
function indexCounters(cs: PortCounter[]): Map<string, PortCounter[]> {
  const m = new Map<string, PortCounter[]>();
  for (const c of cs) {
    const list = m.get(c.containerIp);
    if (list) list.push(c);
    else m.set(c.containerIp, [c]);
  }
  return m;
}
