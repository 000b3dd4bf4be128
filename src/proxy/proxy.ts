/**
 * The userland side of a published port, like docker-proxy: the daemon binds every
 * published TCP/UDP host port itself. That does two jobs DNAT cannot:
 *
 * - reservation: the bind fails when another process on the host holds the port, so a
 *   conflict is refused before any rule is written (DNAT would silently steal the port);
 * - loopback: packets to 127.0.0.1 / ::1 are never DNATed (route_localnet would be needed
 *   for IPv4, and IPv6 has no equivalent at all), so local clients reach the listening
 *   socket, which relays to the container.
 *
 * Every other connection is DNATed by the firewall before it reaches these sockets, so
 * the relay carries loopback traffic only. SCTP has no socket API in Node: it is
 * published by DNAT alone (no loopback, no host-process conflict check).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import type { BindFailure, HostSocket, SocketBinder } from '../contracts/host-ports.js';
import { proxyBytes, proxyConnections } from '../metrics/registry.js';

interface Listener {
  target: HostSocket;
  close(): Promise<void>;
}

/** UDP relay sessions end after this long without traffic (conntrack's UDP default). */
const UDP_IDLE_MS = 30_000;

export class PortProxy implements SocketBinder {
  private readonly owners = new Map<string, Listener[]>();

  constructor(private readonly logger: Logger) {}

  /**
   * Bind every target for owner, or none: on a failure the ones bound by this call close.
   * Targets the owner already holds are kept (so re-programming after a reload is a no-op).
   */
  async open(owner: string, targets: HostSocket[]): Promise<void> {
    const have = new Set((this.owners.get(owner) ?? []).map((l) => keyOf(l.target)));
    const opened: Listener[] = [];
    try {
      for (const t of targets.filter((x) => !have.has(keyOf(x)))) {
        opened.push(t.proto === 'tcp' ? await listenTcp(t, this.logger) : await listenUdp(t, this.logger));
      }
    } catch (err) {
      await Promise.all(opened.map((l) => l.close()));
      throw err;
    }
    this.owners.set(owner, [...(this.owners.get(owner) ?? []), ...opened]);
  }

  async close(owner: string): Promise<void> {
    const ls = this.owners.get(owner) ?? [];
    this.owners.delete(owner);
    await Promise.all(ls.map((l) => l.close()));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.owners.keys()].map((o) => this.close(o)));
  }

  /** How many host sockets are bound (for tests and the benchmark's memory figure). */
  get size(): number {
    let n = 0;
    for (const ls of this.owners.values()) n += ls.length;
    return n;
  }
}

function keyOf(t: HostSocket): string {
  return `${t.proto}|${t.hostIp}|${t.hostPort}`;
}

/** The system error, naming the socket: the HostPorts service words it. */
function bindError(t: HostSocket, err: NodeJS.ErrnoException): BindFailure {
  return Object.assign(err, { socket: t });
}

function listenTcp(t: HostSocket, logger: Logger): Promise<Listener> {
  const server = net.createServer({ pauseOnConnect: false }, (client) => {
    const upstream = net.connect({ host: t.containerIp, port: t.containerPort });
    proxyConnections.inc({ proto: 'tcp' });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    // Counted once per connection, when each side is done: no work per chunk.
    client.once('close', () => proxyBytes.inc({ proto: 'tcp', direction: 'in' }, client.bytesRead));
    upstream.once('close', () => proxyBytes.inc({ proto: 'tcp', direction: 'out' }, upstream.bytesRead));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(bindError(t, err)));
    server.listen({ host: t.hostIp, port: t.hostPort, ipv6Only: t.hostIp === '::', exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => logger.warn({ err, port: t.hostPort }, 'proxy listener error'));
      resolve({
        target: t,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
        }),
      });
    });
  });
}

function listenUdp(t: HostSocket, logger: Logger): Promise<Listener> {
  const v6 = t.hostIp.includes(':');
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: t.hostIp === '::' });
  const sessions = new Map<string, { up: dgram.Socket; timer: NodeJS.Timeout }>();
  const upType = t.containerIp.includes(':') ? 'udp6' : 'udp4';
  sock.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}|${rinfo.port}`;
    let s = sessions.get(key);
    if (!s) {
      const up = dgram.createSocket(upType);
      up.on('message', (reply) => {
        proxyBytes.inc({ proto: 'udp', direction: 'out' }, reply.length);
        sock.send(reply, rinfo.port, rinfo.address);
      });
      proxyConnections.inc({ proto: 'udp' });
      up.on('error', () => undefined);
      s = { up, timer: setTimeout(() => undefined, 0) };
      sessions.set(key, s);
    }
    clearTimeout(s.timer);
    const session = s;
    s.timer = setTimeout(() => {
      session.up.close();
      sessions.delete(key);
    }, UDP_IDLE_MS);
    s.timer.unref();
    proxyBytes.inc({ proto: 'udp', direction: 'in' }, msg.length);
    s.up.send(msg, t.containerPort, t.containerIp);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', (err) => reject(bindError(t, err)));
    sock.bind({ address: t.hostIp, port: t.hostPort, exclusive: true }, () => {
      sock.removeAllListeners('error');
      sock.on('error', (err) => logger.warn({ err, port: t.hostPort }, 'proxy socket error'));
      resolve({
        target: t,
        close: async () => {
          for (const s of sessions.values()) {
            clearTimeout(s.timer);
            s.up.close();
          }
          sessions.clear();
          await new Promise<void>((r) => sock.close(() => r()));
        },
      });
    });
  });
}
