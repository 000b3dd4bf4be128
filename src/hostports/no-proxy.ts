/**
 * The binder of dockerd --userland-proxy=false: no host socket at all, so published ports are
 * served by the firewall's DNAT alone (loopback clients included, see firewall/loopback-dnat.ts).
 * Without a socket there is no bind to fail: a host process holding a published port is not
 * detected, and the DNAT wins over it for connections from other hosts and from loopback.
 */
import type { HostSocket, SocketBinder } from '../contracts/host-ports.js';

export class NoProxyBinder implements SocketBinder {
  open(_owner: string, _sockets: HostSocket[]): Promise<void> {
    return Promise.resolve();
  }

  close(_owner: string): Promise<void> {
    return Promise.resolve();
  }

  closeAll(): Promise<void> {
    return Promise.resolve();
  }
}
