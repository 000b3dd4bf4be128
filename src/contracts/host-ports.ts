/**
 * Host ports of published container ports: which host port a binding gets, the host
 * sockets that reserve it, and the retry when a host process holds a port weft picked.
 * One service implements it; the engine asks it for ports, drivers ask it to bind them.
 */
import type { PortBinding, PortMapping } from './firewall.js';

/** The container addresses (without prefix length) an endpoint's host sockets relay to. */
export interface EndpointAddresses {
  ipv4?: string;
  ipv6?: string;
}

/** The driver's side: bind the host sockets of an endpoint's mappings (the bind is the reservation). */
export interface HostPortBinder {
  /**
   * Bind every TCP/UDP host port of the mappings for the endpoint, or none; SCTP is published by
   * DNAT alone. Ports the endpoint already holds are kept, so re-programming is a no-op.
   * Throws PortAlreadyAllocated when a host process holds a port.
   */
  bind(endpointId: string, mappings: PortMapping[], addresses: EndpointAddresses): Promise<void>;
  unbind(endpointId: string): Promise<void>;
}

/** The host ports one container start asks for. */
export interface PublishRequest {
  /** The container id: its ports are held, and released, under it. */
  owner: string;
  /** For the log: the container's name. */
  name: string;
  bindings: PortBinding[];
  /** Exposed ports ("80/tcp") published on random host ports (-P). */
  publishAll: string[];
}

/** The engine's side. */
export interface HostPorts extends HostPortBinder {
  /**
   * Resolve random ports, hold every host port, and run connect with the resolved bindings.
   * When connect fails on a random port a host process holds, pick again (dockerd tries 10
   * times); explicit ports are never retried. On failure nothing stays held. An owner that
   * already holds its ports (its ports move to another endpoint) gets the same bindings again.
   */
  publish<T>(req: PublishRequest, connect: (bindings: PortBinding[]) => Promise<T>): Promise<T>;
  /** After a daemon restart: hold the ports a running container's endpoints were assigned again. */
  restore(owner: string, bindings: PortBinding[]): void;
  release(owner: string): void;
}

/** One host socket of a published port; it relays loopback clients to the container. */
export interface HostSocket {
  proto: 'tcp' | 'udp';
  /** Address to bind: "0.0.0.0", "::" (IPv6 only) or a specific local address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** A failed bind: the system error (code EADDRINUSE, ...) and the socket it was for. */
export interface BindFailure extends Error {
  code?: string;
  socket: HostSocket;
}

/** The socket layer under the service: binds host sockets, all of a call or none. */
export interface SocketBinder {
  /** Sockets the owner already holds are kept. Rejects with a BindFailure. */
  open(owner: string, sockets: HostSocket[]): Promise<void>;
  close(owner: string): Promise<void>;
  closeAll(): Promise<void>;
}
