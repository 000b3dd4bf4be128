/**
 * Host port bookkeeping for published ports: explicit ports must be free (per protocol
 * and host IP, where an unspecified IP clashes with every IP), random ports (hostPort 0,
 * and -P) come from the ephemeral range (the kernel's ip_local_port_range, as dockerd), taken in
 * turn, past the kernel's reserved ports. In memory; rebuilt from the endpoints' assigned bindings
 * at restart. Knows nothing of sockets: see service.ts.
 */
import { Conflict, InvalidArgument, PortAlreadyAllocated, PortRangeAllocated } from '../util/errors.js';
import type { PortBinding, Protocol } from '../contracts/firewall.js';
import { FALLBACK_PORT_RANGE, type PortRange } from './local-port-range.js';

/** random: weft picked the port (hostPort 0 or -P), so another may be picked instead. */
interface Held { owner: string; proto: Protocol; hostIp: string; port: number; random: boolean }

function isAny(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::';
}

export class PortAllocator {
  private held: Held[] = [];
  private next: number;

  /** `reserved`: ports random picks skip (the kernel's ip_local_reserved_ports), read at each pick; `range`: where they come from. */
  constructor(
    private readonly reserved: () => ReadonlySet<number> = () => new Set(),
    private readonly range: PortRange = FALLBACK_PORT_RANGE,
  ) {
    this.next = range.first;
  }

  /** Resolve random ports and reserve every host port, or throw and reserve nothing. */
  assign(owner: string, bindings: PortBinding[], publishAll: string[] = []): PortBinding[] {
    const want = withPublishAll(bindings, publishAll);
    const taken: Held[] = [];
    try {
      return want.map((b) => {
        validate(b);
        const count = (b.hostPortEnd ?? b.hostPort) - b.hostPort + 1;
        const span = (b.containerPortEnd ?? b.containerPort) - b.containerPort + 1;
        if (b.hostPort === 0) {
          const port = this.pickFree(b.proto, b.hostIp, span);
          for (let i = 0; i < span; i++) taken.push(this.hold(owner, b.proto, b.hostIp, port + i, true));
          return { ...b, hostPort: port, ...(span > 1 ? { hostPortEnd: port + span - 1 } : {}) };
        }
        if (count > 1 && span === 1) {
          // "-p 8000-8010:80": one container port, any free host port of the range.
          for (let port = b.hostPort; port <= b.hostPortEnd!; port++) {
            if (this.clash(b.proto, b.hostIp, port)) continue;
            taken.push(this.hold(owner, b.proto, b.hostIp, port));
            const { hostPortEnd: _drop, ...single } = b;
            return { ...single, hostPort: port };
          }
          throw new PortRangeAllocated(b.proto, b.hostIp, b.hostPort, b.hostPortEnd!);
        }
        for (let i = 0; i < count; i++) {
          const port = b.hostPort + i;
          const clash = this.clash(b.proto, b.hostIp, port);
          if (clash) throw new PortAlreadyAllocated(b.proto, b.hostIp, port);
          taken.push(this.hold(owner, b.proto, b.hostIp, port));
        }
        return b;
      });
    } catch (err) {
      this.held = this.held.filter((h) => !taken.includes(h));
      throw err;
    }
  }

  /** Hold assigned ports again (after a restart); random picks continue past the ephemeral ones. */
  restore(owner: string, bindings: PortBinding[]): void {
    for (const b of bindings) {
      for (let p = b.hostPort; p <= (b.hostPortEnd ?? b.hostPort); p++) {
        if (!p) continue;
        this.hold(owner, b.proto, b.hostIp, p);
        if (p >= this.next && p <= this.range.last) this.next = p === this.range.last ? this.range.first : p + 1;
      }
    }
  }

  /** Whether owner holds port as one weft picked at random (and so could pick another). */
  pickedRandomly(owner: string, proto: string, port: number): boolean {
    return this.held.some((h) => h.owner === owner && h.proto === proto && h.port === port && h.random);
  }

  release(owner: string): void {
    this.held = this.held.filter((h) => h.owner !== owner);
  }

  private hold(owner: string, proto: Protocol, hostIp: string, port: number, random = false): Held {
    const h = { owner, proto, hostIp, port, random };
    this.held.push(h);
    return h;
  }

  private clash(proto: Protocol, hostIp: string, port: number): Held | undefined {
    return this.held.find((h) => h.proto === proto && h.port === port && (isAny(h.hostIp) || isAny(hostIp) || h.hostIp === hostIp));
  }

  private pickFree(proto: Protocol, hostIp: string, span: number): number {
    const { first, last } = this.range;
    const size = last - first + 1;
    const reserved = this.reserved();
    for (let tries = 0; tries < size; tries++) {
      const start = this.next;
      this.next = start + span > last ? first : start + span;
      if (start + span - 1 > last) continue;
      let free = true;
      for (let i = 0; i < span && free; i++) free = !reserved.has(start + i) && !this.clash(proto, hostIp, start + i);
      if (free) return start;
    }
    throw new Conflict('no free host port in the ephemeral range');
  }
}

/** -P: each exposed port ("80/tcp") no binding publishes gets one to a random host port on every address. */
export function withPublishAll(bindings: PortBinding[], publishAll: string[]): PortBinding[] {
  const want = [...bindings];
  for (const spec of publishAll) {
    const [port, proto = 'tcp'] = spec.split('/');
    if (!want.some((b) => b.containerPort === Number(port) && b.proto === proto)) {
      want.push({ proto: proto as Protocol, hostIp: '', hostPort: 0, containerPort: Number(port) });
    }
  }
  return want;
}

function validate(b: PortBinding): void {
  const ok = (p: number | undefined) => p === undefined || (Number.isInteger(p) && p >= 0 && p <= 65535);
  if (!['tcp', 'udp', 'sctp'].includes(b.proto)) throw new InvalidArgument(`invalid protocol "${b.proto}"`);
  if (!ok(b.hostPort) || !ok(b.hostPortEnd) || !ok(b.containerPort) || !ok(b.containerPortEnd) || !b.containerPort) {
    throw new InvalidArgument(`invalid port mapping ${b.hostPort}:${b.containerPort}/${b.proto}`);
  }
  const hostSpan = (b.hostPortEnd ?? b.hostPort) - b.hostPort;
  const ctrSpan = (b.containerPortEnd ?? b.containerPort) - b.containerPort;
  if (b.hostPort && hostSpan !== ctrSpan && ctrSpan !== 0) {
    throw new InvalidArgument('port ranges of host and container must have the same size');
  }
}
