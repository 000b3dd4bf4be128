/**
 * Host ports across a daemon restart, with fakes: the ports given at start (random picks,
 * one port of a range) are recorded on the endpoints; a new service restored from those
 * endpoints holds exactly them, and its random picks go past them without a retry.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PortBinding } from '../../src/contracts/firewall.js';
import type { BindFailure, HostSocket, SocketBinder } from '../../src/contracts/host-ports.js';
import type { EndpointRecord, NetworkRecord } from '../../src/controller/model.js';
import { restoreHostPorts, type EndpointSource } from '../../src/engine/restore.js';
import type { ContainerRecord } from '../../src/engine/records.js';
import { HostPortService } from '../../src/hostports/service.js';

/** Sockets in memory; a port another owner holds fails as EADDRINUSE, like the relay's bind. */
class SharedBinder implements SocketBinder {
  readonly owners = new Map<string, HostSocket[]>();
  async open(owner: string, sockets: HostSocket[]): Promise<void> {
    for (const s of sockets) {
      const other = [...this.owners].some(([o, held]) => o !== owner && held.some((h) => h.proto === s.proto && h.hostPort === s.hostPort));
      if (other) throw Object.assign(new Error('bind EADDRINUSE'), { code: 'EADDRINUSE', socket: s }) as BindFailure;
    }
    this.owners.set(owner, [...(this.owners.get(owner) ?? []), ...sockets]);
  }
  async close(owner: string): Promise<void> { this.owners.delete(owner); }
  async closeAll(): Promise<void> { this.owners.clear(); }
}

const logger = pino({ level: 'silent' });
const tcp = (hostPort: number, hostPortEnd?: number): PortBinding => ({
  proto: 'tcp', hostIp: '', hostPort, containerPort: 80, ...(hostPortEnd ? { hostPortEnd } : {}),
});
const container = (id: string, status: ContainerRecord['status'], portBindings: PortBinding[]) => ({ id, status, portBindings }) as ContainerRecord;

/** The controller's side: endpoints as recorded, on networks that may be internal. */
class FakeController implements EndpointSource {
  readonly endpoints: EndpointRecord[] = [];
  readonly networks = new Map<string, NetworkRecord>([
    ['pub', { id: 'pub', internal: false } as NetworkRecord], ['int', { id: 'int', internal: true } as NetworkRecord],
  ]);
  sandboxEndpoints(sandboxId: string): EndpointRecord[] { return this.endpoints.filter((e) => e.sandboxId === sandboxId); }
  getNetworkById(id: string): NetworkRecord | undefined { return this.networks.get(id); }
  record(owner: string, networkId: string, portBindings: PortBinding[]): void {
    this.endpoints.push({ id: `ep-${owner}`, sandboxId: owner, networkId, portBindings } as EndpointRecord);
  }
}

/** A start: the service decides, the "driver" binds unless the network is internal, the controller records. */
async function start(svc: HostPortService, ctl: FakeController, owner: string, networkId: string, bindings: PortBinding[]) {
  let connects = 0;
  const assigned = await svc.publish({ owner, name: owner, bindings, publishAll: [] }, async (b) => {
    connects++;
    if (networkId === 'pub') {
      await svc.bind(`ep-${owner}`, b.map((x) => ({ ...x, containerIp: '10.0.0.2', bridge: 'br' })), { ipv4: '10.0.0.2' });
    }
    return b;
  });
  ctl.record(owner, networkId, assigned);
  return { assigned, connects };
}

describe('host ports restored from the endpoints after a restart', () => {
  it('holds exactly the assigned ports: random picks, one port of a range, none on internal networks', async () => {
    const binder = new SharedBinder();
    const ctl = new FakeController();
    const first = new HostPortService({ binder, logger });
    const requested = new Map<string, PortBinding[]>();
    const assigned = new Map<string, number>();
    for (const [owner, net, b] of [['r1', 'pub', [tcp(0)]], ['r2', 'pub', [tcp(0)]], ['r3', 'pub', [tcp(0)]],
      ['ranged', 'pub', [tcp(8000, 8010)]], ['inner', 'int', [tcp(9000)]], ['gone', 'pub', [tcp(0)]]] as const) {
      requested.set(owner, [...b]);
      assigned.set(owner, (await start(first, ctl, owner, net, [...b])).assigned[0].hostPort);
    }
    expect([...assigned.values()]).toEqual([49153, 49154, 49155, 8000, 9000, 49156]);

    // Restart: a fresh service (the relay re-binds its endpoints' sockets), restored from the records;
    // 'gone' exited while the daemon was down.
    const restarted = new HostPortService({ binder, logger });
    const containers = [...requested].map(([id, b]) => container(id, id === 'gone' ? 'exited' : 'running', b));
    await binder.close('ep-gone');
    restoreHostPorts(containers, ctl, restarted);

    // The first free port past the held ones (the exited container's), picked without a retry.
    const fresh = await start(restarted, ctl, 'n1', 'pub', [tcp(0)]);
    expect(fresh.assigned[0].hostPort).toBe(49156);
    expect(fresh.connects).toBe(1);
    await expect(start(restarted, ctl, 'n2', 'pub', [tcp(49154)])).rejects.toThrow('Bind for 0.0.0.0:49154 failed: port is already allocated');
    await expect(start(restarted, ctl, 'n3', 'pub', [tcp(8000)])).rejects.toThrow('Bind for 0.0.0.0:8000 failed: port is already allocated');
    // Not held: the rest of the range, the internal network's port.
    for (const [owner, port] of [['n4', 8001], ['n5', 9000]] as const) {
      expect((await start(restarted, ctl, owner, 'pub', [tcp(port)])).assigned[0].hostPort).toBe(port);
    }
  });
});
