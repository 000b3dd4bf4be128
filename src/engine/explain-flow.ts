/**
 * `weft network explain SRC DST:PORT/PROTO`: the flow the kernel would see, from names.
 * SRC and DST are a container (name or id), an address, or `host` (the host's own address
 * a neighbour reaches it by). A flow enters on the interface its source is routed through
 * (a container's bridge, a neighbour's link); the host itself sends without one.
 */
import type { Flow, HostView } from '../contracts/explain.js';
import type { Protocol } from '../contracts/firewall.js';
import type { Controller } from '../controller/controller.js';
import { InvalidArgument } from '../util/errors.js';
import { ipVersion } from '../util/ip.js';
import type { ContainerService } from './containers.js';
import net from 'node:net';

interface Candidate { addr: string; networkId?: string }

export interface FlowRequest { src: string; dst: string; port: number; proto: Protocol }

export function resolveFlow(req: FlowRequest, host: HostView, ctl: Controller, containers: ContainerService): Flow {
  const src = candidates(req.src, host, ctl, containers);
  const dst = candidates(req.dst, host, ctl, containers);
  const [s, d] = pick(src, dst);
  const local = req.src === 'host' || host.isLocal(s.addr);
  return { ...(local ? {} : { iif: host.route(s.addr) ?? '' }), saddr: s.addr, daddr: d.addr, proto: req.proto, dport: req.port };
}

function candidates(ref: string, host: HostView, ctl: Controller, containers: ContainerService): Candidate[] {
  if (ref === 'host') {
    const addrs = [host.primaryAddress(4), host.primaryAddress(6)].filter((a): a is string => Boolean(a));
    if (!addrs.length) throw new InvalidArgument('the host has no address outside loopback');
    return addrs.map((addr) => ({ addr }));
  }
  if (net.isIP(ref)) return [{ addr: ref }];
  const c = containers.find(ref);
  const out = ctl.sandboxEndpoints(c.id).flatMap((ep) =>
    [ep.ipv4, ep.ipv6].filter((a): a is string => Boolean(a)).map((a) => ({ addr: a.split('/')[0]!, networkId: ep.networkId })));
  if (!out.length) throw new InvalidArgument(`container ${c.name} has no address: is it running on a network?`);
  return out;
}

/** A source and destination of one family, on a shared network when there is one. */
function pick(src: Candidate[], dst: Candidate[]): [Candidate, Candidate] {
  const pairs = src.flatMap((s) => dst.filter((d) => ipVersion(d.addr) === ipVersion(s.addr)).map((d) => [s, d] as [Candidate, Candidate]));
  const shared = pairs.find(([s, d]) => s.networkId && s.networkId === d.networkId);
  const pair = shared ?? pairs[0];
  if (!pair) throw new InvalidArgument('source and destination share no address family');
  return pair;
}
