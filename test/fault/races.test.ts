/**
 * Racing clients: parallel creates of one network name and of many names, parallel
 * connect/disconnect of one container, start racing `rm -f`. The API, the records and the
 * kernel must agree at the end, and no request may fail with a 5xx.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNet, inNs, runContainer } from '../helpers/containers.js';
import { TestDaemon, waitFor } from '../helpers/daemon.js';

const SLEEP = ['sleep', '600'];

/** Interfaces in the daemon's host namespace, by name. */
function hostLinks(d: TestDaemon): string[] {
  const out = spawnSync('nsenter', [`--net=${d.host.path}`, 'ip', '-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map((l) => l.split(':')[1].trim().split('@')[0]);
}

function bridgeMembers(d: TestDaemon, bridge: string): string[] {
  const out = spawnSync('nsenter', [`--net=${d.host.path}`, 'ip', '-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean);
}

/** The first line each of the host's loopback ports answers, all asked at once from the daemon's namespace. */
function probeAll(d: TestDaemon, ports: number[]): string[] {
  const script = `
    const net = require('net');
    const ask = (port) => new Promise((done) => {
      const c = net.connect({ host: '127.0.0.1', port });
      let got = '';
      c.setTimeout(1000, () => c.destroy());
      c.on('data', (b) => { got += b; }).on('close', () => done(got.trim())).on('error', () => {});
    });
    Promise.all(process.argv.slice(1).map(Number).map(ask)).then((r) => console.log(JSON.stringify(r)));`;
  const r = spawnSync('nsenter', [`--net=${d.host.path}`, process.execPath, '-e', script, ...ports.map(String)], { encoding: 'utf8' });
  return JSON.parse(r.stdout || '[]');
}

describe('racing clients', () => {
  let d: TestDaemon;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
  });
  afterAll(async () => { await d?.destroy(); });

  it('50 parallel creates of one name: one 201, the rest 409, one network, one bridge', async () => {
    const before = hostLinks(d).filter((l) => l.startsWith('br-'));
    const replies = await Promise.all(Array.from({ length: 50 }, () => d.api('POST', '/v1.50/networks/create', { Name: 'same' })));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length, replies.map((r) => r.text).join('\n')).toBe(1);
    expect(statuses.filter((s) => s === 409).length).toBe(49);
    const list = await d.api('GET', '/v1.50/networks');
    expect(list.body.filter((n: { Name: string }) => n.Name === 'same').length).toBe(1);
    const bridges = hostLinks(d).filter((l) => l.startsWith('br-') && !before.includes(l));
    expect(bridges.length).toBe(1);
    expect((await d.api('DELETE', '/v1.50/networks/same')).status).toBe(204);
  }, 30_000);

  it('20 parallel creates of different networks all succeed', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `par${i}`);
    const replies = await Promise.all(names.map((Name) => d.api('POST', '/v1.50/networks/create', { Name })));
    expect(replies.map((r) => r.status), replies.map((r) => r.text).join('\n')).toEqual(names.map(() => 201));
    const subnets = await Promise.all(names.map(async (n) => (await d.api('GET', `/v1.50/networks/${n}`)).body.IPAM.Config[0].Subnet));
    expect(new Set(subnets).size).toBe(names.length);
    const dels = await Promise.all(names.map((n) => d.api('DELETE', `/v1.50/networks/${n}`)));
    expect(dels.map((r) => r.status), dels.map((r) => r.text).join('\n')).toEqual(names.map(() => 204));
  }, 30_000);

  it('30 rounds of parallel connect/disconnect leave container, networks and kernel agreeing', async () => {
    await createNet(d, { Name: 'cda' });
    await createNet(d, { Name: 'cdb' });
    const id = await runContainer(d, { name: 'hopper', cmd: SLEEP });
    const ops = ['cda', 'cdb'].flatMap((n) => ['connect', 'disconnect'].map((op) => ({ n, op })));
    for (let round = 0; round < 30; round++) {
      const replies = await Promise.all(ops.map(({ n, op }) =>
        d.api('POST', `/v1.50/networks/${n}/${op}`, { Container: id, ...(op === 'disconnect' ? { Force: false } : {}) })));
      for (const r of replies) expect(r.status, r.text).toBeLessThan(500);
    }
    const c = (await d.api('GET', `/v1.50/containers/${id}/json`)).body;
    const listed = Object.keys(c.NetworkSettings.Networks).filter((n) => n !== 'bridge').sort();
    const members: string[] = [];
    for (const n of ['cda', 'cdb']) {
      const net = (await d.api('GET', `/v1.50/networks/${n}`)).body;
      if (Object.keys(net.Containers ?? {}).includes(id)) members.push(n);
    }
    expect(members.sort()).toEqual(listed);
    for (const n of listed) expect(c.NetworkSettings.Networks[n].EndpointID, n).toBeTruthy();
    const ifaces = inNs(d, id, 'ip -o link show').out.split('\n').filter((l) => /: eth\d+/.test(l));
    expect(ifaces.length, ifaces.join('\n')).toBe(1 + listed.length);
    expect((await d.api('DELETE', `/v1.50/containers/${id}?force=1`)).status).toBe(204);
  }, 60_000);

  it('network rm racing connect: either the connect or the removal wins, never both', async () => {
    await createNet(d, { Name: 'side' });
    const id = await runContainer(d, { name: 'joiner', cmd: SLEEP });
    for (let round = 0; round < 10; round++) {
      await createNet(d, { Name: 'gone' });
      // A connect queued behind another one on the same container gives the removal time to run.
      const [, conn, del] = await Promise.all([
        d.api('POST', '/v1.50/networks/side/connect', { Container: id }),
        d.api('POST', '/v1.50/networks/gone/connect', { Container: id }),
        new Promise((r) => setTimeout(r, round)).then(() => d.api('DELETE', '/v1.50/networks/gone')),
      ]);
      expect(conn.status, conn.text).toBeLessThan(500);
      expect(del.status, del.text).toBeLessThan(500);
      const c = (await d.api('GET', `/v1.50/containers/${id}/json`)).body;
      const net = await d.api('GET', '/v1.50/networks/gone');
      expect(Object.keys(c.NetworkSettings.Networks).includes('gone'), `round ${round}`).toBe(net.status === 200);
      if (net.status === 200) {
        expect((await d.api('POST', '/v1.50/networks/gone/disconnect', { Container: id })).status).toBe(200);
        expect((await d.api('DELETE', '/v1.50/networks/gone')).status).toBe(204);
      }
      expect((await d.api('POST', '/v1.50/networks/side/disconnect', { Container: id })).status).toBe(200);
    }
    const ifaces = inNs(d, id, 'ip -o link show').out.split('\n').filter((l) => /: eth\d+/.test(l));
    expect(ifaces.length, ifaces.join('\n')).toBe(1);
    expect((await d.api('DELETE', `/v1.50/containers/${id}?force=1`)).status).toBe(204);
  }, 60_000);

  it('start racing rm -f: no 5xx; the container is gone with nothing left, or running', async () => {
    await createNet(d, { Name: 'srm', Options: { 'com.docker.network.bridge.name': 'br-srm' } });
    for (let round = 0; round < 10; round++) {
      const create = await d.api('POST', `/v1.50/containers/create?name=race${round}`, {
        Image: 'busybox', Cmd: ['sleep', String(7000 + round)], HostConfig: { NetworkMode: 'srm' },
      });
      expect(create.status, create.text).toBe(201);
      const id = create.body.Id;
      const [start, rm] = await Promise.all([
        d.api('POST', `/v1.50/containers/${id}/start`),
        new Promise((r) => setTimeout(r, round * 3)).then(() => d.api('DELETE', `/v1.50/containers/${id}?force=1`)),
      ]);
      expect(start.status, start.text).toBeLessThan(500);
      expect(rm.status, rm.text).toBeLessThan(500);
      const after = await d.api('GET', `/v1.50/containers/${id}/json`);
      if (after.status === 404) {
        await waitFor(() => spawnSync('pgrep', ['-f', `sleep ${7000 + round}`]).status === 1, `no process left (round ${round})`, 5_000);
        // The veth goes with the container's namespace, which the kernel cleans up asynchronously.
        await waitFor(() => bridgeMembers(d, 'br-srm').length === 0, `no veth left on the bridge (round ${round})`, 5_000);
      } else {
        expect(after.body.State.Running, after.text).toBe(true);
        expect(bridgeMembers(d, 'br-srm').length).toBe(1);
        expect((await d.api('DELETE', `/v1.50/containers/${id}?force=1`)).status).toBe(204);
      }
    }
    await waitFor(() => bridgeMembers(d, 'br-srm').length === 0, 'no veth left on the bridge', 5_000);
  }, 60_000);

  it('100 parallel starts with random ports: distinct addresses, every port answers', async () => {
    await createNet(d, { Name: 'many' });
    const names = Array.from({ length: 100 }, (_, i) => `many${i}`);
    const ids = await Promise.all(names.map(async (name) => {
      const r = await d.api('POST', `/v1.50/containers/create?name=${name}`, {
        Image: 'busybox', Cmd: ['sh', '-c', `while true; do echo ${name} | nc -l -p 80; done`],
        ExposedPorts: { '80/tcp': {} }, HostConfig: { NetworkMode: 'many', PortBindings: { '80/tcp': [{ HostPort: '' }] } },
      });
      expect(r.status, r.text).toBe(201);
      return r.body.Id as string;
    }));
    const starts = await Promise.all(ids.map((id) => d.api('POST', `/v1.50/containers/${id}/start`)));
    expect(starts.map((r) => r.status), starts.map((r) => r.text).join('\n')).toEqual(ids.map(() => 204));
    const views = await Promise.all(ids.map(async (id) => (await d.api('GET', `/v1.50/containers/${id}/json`)).body));
    const addresses = views.map((c) => c.NetworkSettings.Networks.many.IPAddress);
    expect(new Set(addresses).size).toBe(ids.length);
    const ports = views.map((c) => Number(c.NetworkSettings.Ports['80/tcp'][0].HostPort));
    expect(new Set(ports).size).toBe(ids.length);
    // nc starts listening a moment after the container does.
    await waitFor(() => JSON.stringify(probeAll(d, ports)) === JSON.stringify(names), 'every port answers', 10_000);
    const rms = await Promise.all(ids.map((id) => d.api('DELETE', `/v1.50/containers/${id}?force=1`)));
    expect(rms.map((r) => r.status)).toEqual(ids.map(() => 204));
  }, 80_000);
});
