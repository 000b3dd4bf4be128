/**
 * Host ports across a kill -9 of the daemon: the ports weft picked at random, and the one
 * port a range request took, are held again after the restart (exactly those), so new
 * random picks never collide with a port weft still holds, and every published port keeps
 * answering from its own container, through the relay (loopback) and through DNAT.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const HOST = '10.254.0.1';
const OLD = 12;

describe('host ports after kill -9 of the daemon', () => {
  let d: TestDaemon;
  let outside: LabNs;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    outside = makeNs('pout');
    d.host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip link set wout up && ip addr add ${HOST}/24 dev wout`);
    outside.sh('ip addr add 10.254.0.2/24 dev eth0 && ip link set eth0 up');
    await d.start();
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    for (const s of servers) kill(s);
    await d?.destroy();
    outside?.destroy();
  });

  /** Create and start a container serving tcp:80 with its name; returns the start's status. */
  async function run(name: string, hostConfig: Record<string, unknown>): Promise<{ status: number; text: string }> {
    const create = await d.api('POST', `/v1.50/containers/create?name=${name}`, {
      Image: 'busybox', Cmd: ['sleep', '100000'], ExposedPorts: { '80/tcp': {} }, HostConfig: hostConfig,
    });
    expect(create.status, create.text).toBe(201);
    const start = await d.api('POST', `/v1.50/containers/${name}/start`);
    if (start.status === 204) {
      const info = (await d.api('GET', `/v1.50/containers/${name}/json`)).body;
      servers.push(await startServer(info.NetworkSettings.SandboxKey, name, ['tcp:80']));
    }
    return { status: start.status, text: start.text };
  }

  async function hostPort(name: string): Promise<number> {
    const info = (await d.api('GET', `/v1.50/containers/${name}/json`)).body;
    return Number(info.NetworkSettings.Ports['80/tcp'][0].HostPort);
  }

  /** Random ports three ways: HostPort "", HostPort "0", and -P. */
  const randomConfig = (i: number) => (i % 3 === 2 ? { PublishAllPorts: true }
    : { PortBindings: { '80/tcp': [{ HostPort: i % 3 ? '0' : '' }] } });

  it('holds exactly the ports in use, random ones included, and every port answers from its container', async () => {
    const before = new Map<string, number>();
    for (let i = 0; i < OLD; i++) {
      const r = await run(`old${i}`, randomConfig(i));
      expect(r.status, r.text).toBe(204);
      before.set(`old${i}`, await hostPort(`old${i}`));
    }
    const ranged = await run('ranged', { PortBindings: { '80/tcp': [{ HostPort: '8000-8010' }] } });
    expect(ranged.status, ranged.text).toBe(204);
    before.set('ranged', await hostPort('ranged'));
    expect(before.get('ranged')).toBe(8000);

    await d.crash();
    await d.start();

    for (const [name, port] of before) expect(await hostPort(name), name).toBe(port);
    const after = new Map<string, number>();
    for (let i = 0; i < OLD; i++) {
      const r = await run(`new${i}`, randomConfig(i));
      expect(r.status, `new${i}: ${r.text}`).toBe(204);
      after.set(`new${i}`, await hostPort(`new${i}`));
    }
    // The range request took one port: the rest of the range is free again.
    const explicit = await run('explicit', { PortBindings: { '80/tcp': [{ HostPort: '8001' }] } });
    expect(explicit.status, explicit.text).toBe(204);
    after.set('explicit', 8001);

    const all = new Map([...before, ...after]);
    expect(new Set(all.values()).size).toBe(all.size);
    for (const [name, port] of all) {
      expect(probe(d.host.path, 'tcp', '127.0.0.1', port), `${name} on 127.0.0.1:${port}`).toBe(`tcp:80:${name}`);
      expect(probe(outside.path, 'tcp', HOST, port), `${name} on ${HOST}:${port}`).toBe(`tcp:80:${name}`);
    }
  }, 180_000);
});
