/** Published ports in libnetwork's wire form (types.PortBinding / TransportPort): protocols by number. */
import type { PortBinding, Protocol } from '../../src/contracts/firewall.js';

const PROTO: { [p in Protocol]: number } = { tcp: 6, udp: 17, sctp: 132 };

export function portMap(bindings: PortBinding[]): object[] {
  return bindings.map((b) => ({
    Proto: PROTO[b.proto], IP: '', Port: b.containerPort, HostIP: b.hostIp, HostPort: b.hostPort, HostPortEnd: b.hostPortEnd ?? b.hostPort,
  }));
}

export function exposedPorts(bindings: PortBinding[]): object[] {
  const seen = new Set<string>();
  return bindings.filter((b) => !seen.has(`${b.proto}/${b.containerPort}`) && seen.add(`${b.proto}/${b.containerPort}`))
    .map((b) => ({ Proto: PROTO[b.proto], Port: b.containerPort }));
}
