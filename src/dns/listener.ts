/**
 * The sockets of one DNS listener (a UDP socket and a TCP server on one address), either
 * bound here or made elsewhere and handed over as file descriptors (e.g. inside a sandbox's
 * namespace). Queries go to the handler; what it returns is sent back on the same transport.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { joinHostPort } from '../util/ip.js';
import { unmapIpv4 } from './addresses.js';
import { FrameReader, frame } from './framing.js';
import type { Transport } from './message.js';

const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 256;
/** Queries of one TCP connection being answered at once; reading pauses beyond that. */
const MAX_TCP_INFLIGHT = 16;

export interface Listener {
  networkId: string;
  ip: string;
  port: number;
  internal: boolean;
  /** This asker's own upstream resolvers (a container's Dns); absent: the server's. */
  upstreams?: string[];
  /** Pre-made sockets (created inside a sandbox's namespace) instead of binding ip:port. */
  fds?: { udp: number; tcp: number };
  udp?: dgram.Socket;
  tcp?: net.Server;
  conns: Set<net.Socket>;
  closed: boolean;
  ready: Promise<void>;
}

/** Answer one query; null: send nothing. Never throws. */
export type QueryHandler = (l: Listener, msg: Buffer, source: string, transport: Transport) => Promise<Buffer | null>;

export class ListenerSockets {
  /** TCP connections open on all listeners. */
  private tcpConnections = 0;

  constructor(private readonly logger: Logger, private readonly handle: QueryHandler) {}

  /** Bind (or adopt) l's sockets and start answering; on failure everything is closed again. */
  async open(l: Listener, udpType: 'udp4' | 'udp6'): Promise<void> {
    // TCP first: it binds without SO_REUSEPORT, so a conflicting DNS server on the same
    // address makes it fail before the UDP socket (bound with SO_REUSEADDR) is created.
    const tcp = net.createServer((sock) => this.onTcpConnection(l, sock));
    tcp.maxConnections = MAX_TCP_CONNECTIONS;
    l.tcp = tcp;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(l.fds ? { fd: l.fds.tcp } : { host: l.ip, port: l.port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      tcp.on('error', (err) => this.logger.warn({ err, network: l.networkId }, 'dns: tcp listener error'));
      const addr = tcp.address();
      l.port = addr && typeof addr === 'object' && !l.fds ? addr.port : l.port;
      const udp = dgram.createSocket({ type: udpType, reuseAddr: true });
      l.udp = udp;
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(l.fds ? { fd: l.fds.udp } : { address: l.ip, port: l.port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      udp.on('error', (err) => this.logger.warn({ err, network: l.networkId }, 'dns: udp socket error'));
      udp.on('message', (msg, rinfo) => this.onUdpMessage(l, msg, rinfo));
    } catch (err) {
      await this.close(l, true);
      throw err;
    }
    if (l.closed) {
      // Closed while binding.
      await this.close(l, true);
      return;
    }
    this.logger.debug({ network: l.networkId, address: joinHostPort(l.ip, l.port), internal: l.internal }, 'dns: listening');
  }

  /** Stop answering on l: its TCP connections, TCP server and UDP socket. */
  async close(l: Listener, fromOpen = false): Promise<void> {
    l.closed = true;
    if (!fromOpen) await l.ready.catch(() => undefined);
    for (const c of l.conns) c.destroy();
    l.conns.clear();
    const { tcp, udp } = l;
    l.tcp = undefined;
    l.udp = undefined;
    await Promise.all([
      new Promise<void>((resolve) => {
        if (!tcp?.listening) return resolve();
        tcp.close(() => resolve());
      }),
      new Promise<void>((resolve) => {
        if (!udp) return resolve();
        try {
          udp.close(() => resolve());
        } catch {
          resolve(); // never bound, or already closed
        }
      }),
    ]);
  }

  private onUdpMessage(l: Listener, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      const source = unmapIpv4(rinfo.address);
      this.handle(l, msg, source, 'udp').then((resp) => {
        const udp = l.udp;
        if (!resp || l.closed || !udp) return;
        try {
          udp.send(resp, rinfo.port, rinfo.address, (err) => {
            if (err) this.logger.debug({ err, network: l.networkId, source }, 'dns: udp send failed');
          });
        } catch (err) {
          this.logger.debug({ err }, 'dns: udp send failed');
        }
      }, (err: unknown) => this.logger.warn({ err }, 'dns: udp handler failed'));
    } catch (err) {
      this.logger.warn({ err }, 'dns: udp handler failed');
    }
  }

  private onTcpConnection(l: Listener, sock: net.Socket): void {
    try {
      sock.on('error', () => undefined);
      if (l.closed || this.tcpConnections >= MAX_TCP_CONNECTIONS) {
        sock.destroy();
        return;
      }
      this.tcpConnections++;
      l.conns.add(sock);
      sock.once('close', () => {
        this.tcpConnections--;
        l.conns.delete(sock);
      });
      sock.setNoDelay(true);
      sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
      this.serveTcp(l, sock, unmapIpv4(sock.remoteAddress ?? ''));
    } catch (err) {
      this.logger.warn({ err }, 'dns: tcp connection handler failed');
      sock.destroy();
    }
  }

  /** Answer the connection's queries, up to MAX_TCP_INFLIGHT at once (reading pauses beyond that). */
  private serveTcp(l: Listener, sock: net.Socket, source: string): void {
    const frames = new FrameReader();
    let inflight = 0;
    let paused = false;
    const pump = (): void => {
      try {
        while (inflight < MAX_TCP_INFLIGHT) {
          const msg = frames.next();
          if (msg === undefined) break;
          inflight++;
          this.handle(l, msg, source, 'tcp').then((resp) => {
            if (resp && !sock.destroyed && sock.writable) sock.write(frame(resp));
          }, (err: unknown) => this.logger.warn({ err }, 'dns: tcp handler failed')).finally(() => {
            inflight--;
            pump();
          });
        }
        if (inflight >= MAX_TCP_INFLIGHT && !paused) {
          paused = true;
          sock.pause();
        } else if (inflight < MAX_TCP_INFLIGHT && paused) {
          paused = false;
          sock.resume();
        }
      } catch (err) {
        this.logger.warn({ err }, 'dns: tcp handler failed');
        sock.destroy();
      }
    };
    sock.on('data', (chunk: Buffer) => {
      frames.push(chunk);
      pump();
    });
  }
}
