import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PortBinding, PortMapping } from '../../src/contracts/firewall.js';
import type { BindFailure, HostSocket, PublishRequest, SocketBinder } from '../../src/contracts/host-ports.js';
import { HostPortService, hostSockets, RANDOM_PORT_ATTEMPTS } from '../../src/hostports/service.js';
import { InvalidArgument, PortAlreadyAllocated, statusOf } from '../../src/util/errors.js';

/** A binder whose sockets exist only in memory; a port can be made busy as if a host process held it. */
class FakeBinder implements SocketBinder {
  readonly busy = new Set<string>();
  readonly unavailable = new Set<string>();
  readonly owners = new Map<string, HostSocket[]>();

  hold(proto: string, hostIp: string, port: number): void {
    this.busy.add(`${proto}|${hostIp}|${port}`);
  }

  async open(owner: string, sockets: HostSocket[]): Promise<void> {
    for (const s of sockets) {
      const code = this.busy.has(`${s.proto}|${s.hostIp}|${s.hostPort}`) ? 'EADDRINUSE'
        : this.unavailable.has(s.hostIp) ? 'EADDRNOTAVAIL' : undefined;
      if (code) throw Object.assign(new Error(`bind ${code}`), { code, socket: s }) as BindFailure;
    }
    this.owners.set(owner, [...(this.owners.get(owner) ?? []), ...sockets]);
  }

  async close(owner: string): Promise<void> {
    this.owners.delete(owner);
  }

  async closeAll(): Promise<void> {
    this.owners.clear();
  }

  get ports(): number[] {
    return [...this.owners.values()].flat().map((s) => s.hostPort);
  }
}

const logger = pino({ level: 'silent' });

function setup() {
  const binder = new FakeBinder();
  const svc = new HostPortService({ binder, logger });
  let attempts = 0;
  /** Stands in for the controller's connect: the bridge driver binds the endpoint's mappings. */
  const connect = async (owner: string, bindings: PortBinding[]) => {
    attempts++;
    const mappings: PortMapping[] = bindings.map((b) => ({ ...b, containerIp: '172.17.0.2', bridge: 'weft0' }));
    await svc.bind(`ep-${owner}`, mappings, { ipv4: '172.17.0.2' });
    return bindings;
  };
  const publish = (owner: string, bindings: PortBinding[], publishAll: string[] = []) => {
    const req: PublishRequest = { owner, name: owner, bindings, publishAll };
    return svc.publish(req, (b) => connect(owner, b));
  };
  return { binder, svc, publish, attempts: () => attempts };
}

const tcp = (hostPort: number, containerPort = 80, hostIp = ''): PortBinding => ({ proto: 'tcp', hostIp, hostPort, containerPort });

describe('HostPortService', () => {
  it('refuses an explicit port another container holds, with dockerd\'s message and 409', async () => {
    const { publish, attempts } = setup();
    await publish('a', [tcp(8080)]);
    const err = await publish('b', [tcp(8080)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortAlreadyAllocated);
    expect((err as Error).message).toBe('Bind for 0.0.0.0:8080 failed: port is already allocated');
    expect(statusOf(err)).toBe(409);
    expect(err).toMatchObject({ proto: 'tcp', hostIp: '', hostPort: 8080 });
    expect(attempts()).toBe(1); // refused before any connect
  });

  it('refuses an explicit port a host process holds, without a retry, holding nothing after', async () => {
    const { binder, publish, attempts } = setup();
    binder.hold('tcp', '0.0.0.0', 8080);
    const err = await publish('a', [tcp(8080)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortAlreadyAllocated);
    expect((err as Error).message).toBe('Bind for 0.0.0.0:8080 failed: port is already allocated');
    expect(attempts()).toBe(1);
    binder.busy.clear();
    await expect(publish('b', [tcp(8080)])).resolves.toMatchObject([{ hostPort: 8080 }]);
  });

  it('words a busy IPv6 socket with brackets', async () => {
    const { binder, publish } = setup();
    binder.hold('tcp', '::', 8080);
    await expect(publish('a', [tcp(8080)])).rejects.toThrow('Bind for [::]:8080 failed: port is already allocated');
  });

  it('picks random ports in turn from 49153, skipping one a host process holds', async () => {
    const { binder, publish, attempts } = setup();
    binder.hold('tcp', '0.0.0.0', 49153);
    const [first] = await publish('a', [tcp(0)]);
    expect(first.hostPort).toBe(49154);
    expect(attempts()).toBe(2);
    const [second] = await publish('b', [], ['80/tcp']);
    expect(second.hostPort).toBe(49155);
    expect(binder.ports).toEqual([49154, 49154, 49155, 49155]); // 0.0.0.0 and [::] each
  });

  it('re-picks every random port of a start when one is held, as the whole set is retried', async () => {
    const { binder, publish } = setup();
    binder.hold('tcp', '0.0.0.0', 49153);
    const got = await publish('a', [tcp(0, 80), tcp(0, 81)]);
    expect(got.map((b) => b.hostPort)).toEqual([49155, 49156]);
  });

  it(`gives up after ${RANDOM_PORT_ATTEMPTS} tries and holds nothing`, async () => {
    const { binder, publish, attempts } = setup();
    for (let p = 49153; p < 49153 + RANDOM_PORT_ATTEMPTS; p++) binder.hold('tcp', '0.0.0.0', p);
    const err = await publish('a', [tcp(0)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortAlreadyAllocated);
    expect(err).toMatchObject({ hostPort: 49153 + RANDOM_PORT_ATTEMPTS - 1 });
    expect(attempts()).toBe(RANDOM_PORT_ATTEMPTS);
    expect(binder.ports).toEqual([]);
  });

  it('does not retry a failure that is not a held port', async () => {
    const { svc } = setup();
    let calls = 0;
    const req: PublishRequest = { owner: 'a', name: 'a', bindings: [tcp(0)], publishAll: [] };
    await expect(svc.publish(req, async () => { calls++; throw new Error('veth failed'); })).rejects.toThrow('veth failed');
    expect(calls).toBe(1);
  });

  it('frees the ports of an owner on release and closes the sockets on unbind', async () => {
    const { binder, svc, publish } = setup();
    await publish('a', [tcp(8080)]);
    svc.release('a');
    await svc.unbind('ep-a');
    expect(binder.ports).toEqual([]);
    await expect(publish('b', [tcp(8080)])).resolves.toMatchObject([{ hostPort: 8080 }]);
  });

  it('holds the ports of restored records again: explicit conflict, random pick beside them', async () => {
    const { svc, publish } = setup();
    svc.restore('a', [tcp(8080), { ...tcp(49153), hostPortEnd: 49154, containerPortEnd: 81 }]);
    await expect(publish('b', [tcp(8080, 80, '127.0.0.1')])).rejects.toThrow('Bind for 127.0.0.1:8080 failed: port is already allocated');
    const [random] = await publish('c', [tcp(0)]);
    expect(random.hostPort).toBe(49155);
  });

  it('gives an owner that holds its ports the same bindings again (its ports move), random ones included', async () => {
    const { svc, publish } = setup();
    const first = await publish('a', [tcp(8080), tcp(0, 81)]);
    await svc.unbind('ep-a');
    await expect(publish('a', [tcp(8080), tcp(0, 81)])).resolves.toEqual(first);
    await expect(publish('b', [tcp(8080)])).rejects.toThrow('port is already allocated');
    svc.release('a');
    await svc.unbind('ep-a');
    await expect(publish('b', [tcp(8080)])).resolves.toMatchObject([{ hostPort: 8080 }]);
  });

  it('refuses an address that is not the host\'s with 400', async () => {
    const { binder, publish } = setup();
    binder.unavailable.add('192.0.2.1');
    const err = await publish('a', [tcp(8080, 80, '192.0.2.1')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgument);
    expect((err as Error).message).toBe('cannot publish 192.0.2.1:8080/tcp: 192.0.2.1 is not an address of this host');
  });
});

describe('hostSockets', () => {
  const m = (b: Partial<PortMapping>): PortMapping => ({
    proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '', bridge: 'br', ...b,
  });

  it('binds 0.0.0.0 and [::] for an unspecified address, [::] relaying to IPv4 on an IPv4-only endpoint', () => {
    expect(hostSockets([m({})], { ipv4: '10.0.0.2' })).toEqual([
      { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerIp: '10.0.0.2', containerPort: 80 },
      { proto: 'tcp', hostIp: '::', hostPort: 8080, containerIp: '10.0.0.2', containerPort: 80 },
    ]);
  });

  it('binds nothing for SCTP (DNAT only) and one socket per port of a range', () => {
    expect(hostSockets([m({ proto: 'sctp' })], { ipv4: '10.0.0.2' })).toEqual([]);
    const range = hostSockets([m({ hostIp: '127.0.0.1', hostPortEnd: 8081, containerPortEnd: 81 })], { ipv4: '10.0.0.2' });
    expect(range.map((s) => `${s.hostPort}->${s.containerPort}`)).toEqual(['8080->80', '8081->81']);
  });
});
