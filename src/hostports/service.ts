/**
 * The HostPorts service: where host ports are decided. The allocator picks (explicit ports
 * free per protocol and host IP, random ones in turn from the ephemeral range), the binder
 * binds (a port a host process holds fails there, before any DNAT rule exists), and a start
 * whose random port turned out to be held picks again, as dockerd does.
 */
import type { Logger } from 'pino';
import type { PortBinding, PortMapping } from '../contracts/firewall.js';
import type {
  BindFailure, EndpointAddresses, HostPorts, HostSocket, PublishRequest, SocketBinder,
} from '../contracts/host-ports.js';
import { InvalidArgument, PortAlreadyAllocated } from '../util/errors.js';
import { PortAllocator } from './allocator.js';
import type { PortRange } from './local-port-range.js';
import { readReservedPorts } from './reserved.js';

/** How many times a start picks random host ports when host processes hold the ones picked (dockerd: 10). */
export const RANDOM_PORT_ATTEMPTS = 10;

export interface HostPortServiceOptions {
  binder: SocketBinder;
  logger: Logger;
  /** Where random host ports come from (the daemon reads ip_local_port_range); absent: dockerd's fallback range. */
  portRange?: PortRange;
  /** The binder's relay serves every client (--published-ports-firewall=input): SCTP, which it cannot relay, is refused. */
  relayOnly?: boolean;
}

export class HostPortService implements HostPorts {
  private readonly allocator: PortAllocator;
  /** The bindings each owner was given, kept while it holds them: its ports move with these. */
  private readonly assigned = new Map<string, PortBinding[]>();

  constructor(private readonly o: HostPortServiceOptions) {
    this.allocator = new PortAllocator(readReservedPorts, o.portRange);
  }

  async publish<T>(req: PublishRequest, connect: (bindings: PortBinding[]) => Promise<T>): Promise<T> {
    const sctp = req.bindings.some((b) => b.proto === 'sctp') || req.publishAll.some((p) => p.endsWith('/sctp'));
    if (this.o.relayOnly && sctp) {
      throw new InvalidArgument('SCTP ports cannot be published with --published-ports-firewall=input: '
        + 'the userland proxy cannot relay SCTP');
    }
    const held = this.assigned.get(req.owner);
    if (held) return connect(held);
    for (let attempt = 1; ; attempt++) {
      const bindings = this.allocator.assign(req.owner, req.bindings, req.publishAll);
      try {
        const done = await connect(bindings);
        this.assigned.set(req.owner, bindings);
        return done;
      } catch (err) {
        const retry = err instanceof PortAlreadyAllocated && attempt < RANDOM_PORT_ATTEMPTS &&
          this.allocator.pickedRandomly(req.owner, err.proto, err.hostPort);
        this.allocator.release(req.owner);
        if (!retry) throw err;
        this.o.logger.info({ container: req.name, port: `${err.hostPort}/${err.proto}` },
          'random host port held by another process; picking another');
      }
    }
  }

  restore(owner: string, bindings: PortBinding[]): void {
    this.allocator.restore(owner, bindings);
    this.assigned.set(owner, bindings);
  }

  release(owner: string): void {
    this.allocator.release(owner);
    this.assigned.delete(owner);
  }

  async bind(endpointId: string, mappings: PortMapping[], addresses: EndpointAddresses): Promise<void> {
    try {
      await this.o.binder.open(endpointId, hostSockets(mappings, addresses));
    } catch (err) {
      throw bindError(err as BindFailure);
    }
  }

  async unbind(endpointId: string): Promise<void> {
    await this.o.binder.close(endpointId);
  }

  /** Closes every host socket (daemon shutdown). */
  async close(): Promise<void> {
    await this.o.binder.closeAll();
  }
}

/**
 * The sockets for an endpoint's mappings. An unspecified host address binds 0.0.0.0 and
 * [::] (the latter relaying to the IPv4 address when the endpoint has no IPv6, so
 * [::1]:port works on an IPv4-only network, as with Docker). SCTP: none, DNAT only.
 */
export function hostSockets(mappings: PortMapping[], addresses: EndpointAddresses): HostSocket[] {
  const out: HostSocket[] = [];
  const { ipv4: v4, ipv6: v6 } = addresses;
  const seen = new Set<string>();
  for (const m of mappings) {
    if (m.proto === 'sctp') continue;
    const hosts = !m.hostIp ? ['0.0.0.0', '::'] : [m.hostIp];
    for (const hostIp of hosts) {
      const to = hostIp.includes(':') ? (v6 || v4) : v4;
      if (!to) continue;
      const count = (m.hostPortEnd ?? m.hostPort) - m.hostPort;
      const span = (m.containerPortEnd ?? m.containerPort) - m.containerPort;
      for (let i = 0; i <= count; i++) {
        const key = `${m.proto}|${hostIp}|${m.hostPort + i}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ proto: m.proto, hostIp, hostPort: m.hostPort + i, containerIp: to, containerPort: m.containerPort + (span ? i : 0) });
      }
    }
  }
  return out;
}

function bindError(err: BindFailure): Error {
  const s = err.socket;
  if (!s) return err;
  const address = s.hostIp.includes(':') ? `[${s.hostIp}]` : s.hostIp;
  const where = `${address}:${s.hostPort}`;
  if (err.code === 'EADDRINUSE') return new PortAlreadyAllocated(s.proto, s.hostIp, s.hostPort, address);
  if (err.code === 'EADDRNOTAVAIL') {
    return new InvalidArgument(`cannot publish ${where}/${s.proto}: ${s.hostIp} is not an address of this host`);
  }
  return new Error(`cannot publish ${where}/${s.proto}: ${err.message}`);
}
