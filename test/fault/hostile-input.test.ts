/**
 * Hostile input from issue 13, each against a real daemon: a clear 4xx, and nothing changed
 * (no record, no allocation, no kernel object left behind).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';
import { snapshot } from '../helpers/state.js';

describe('hostile input is refused before any work', () => {
  let d: TestDaemon;
  let stopped: string;
  let running: string;
  let before: string;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
    expect((await d.api('POST', '/networks/create', { Name: 'n1', IPAM: { Config: [{ Subnet: '10.77.0.0/24' }] } })).status).toBe(201);
    const mk = async (name: string) => {
      const r = await d.api('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sleep', '300'] });
      expect(r.status).toBe(201);
      return r.body.Id as string;
    };
    stopped = await mk('stopped');
    running = await mk('running');
    expect((await d.api('POST', `/containers/${running}/start`)).status).toBe(204);
    before = await snapshot(d);
  }, 60_000);

  afterAll(async () => {
    await d?.destroy();
  });

  const refused = async (method: string, path: string, body: unknown, status = 400) => {
    const r = await d.api(method, path, body);
    expect({ status: r.status, message: r.body?.message }).toMatchObject({ status, message: expect.any(String) });
    expect(await snapshot(d)).toBe(before);
    return r.body.message as string;
  };

  it('a malformed percent-encoding in a path is a 400', async () => {
    expect(await refused('POST', '/networks/%ZZ/connect', { Container: 'stopped' })).toMatch(/invalid/);
    await refused('GET', '/containers/%E0%A4%A/json', undefined);
  });

  it('a timeout that is not an integer is a 400, and the container keeps running', async () => {
    for (const q of ['t=abc', 't=1.5', 't=']) {
      if (q === 't=') continue; // empty means the default, as dockerd reads it
      expect(await refused('POST', `/containers/${running}/stop?${q}`, undefined)).toMatch(/^strconv\.Atoi: parsing ".*": invalid syntax$/);
      await refused('POST', `/containers/${running}/restart?${q}`, undefined);
    }
    await refused('POST', `/containers/${running}/kill?signal=NOPE`, undefined);
    await refused('GET', '/containers/json?limit=abc', undefined);
  });

  it.each([
    ['224.0.0.0/4'], ['239.1.0.0/16'], ['255.255.255.255/32'], ['127.0.0.0/8'], ['169.254.0.0/16'], ['0.0.0.0/0'],
    ['ff00::/64'], ['::/0'], ['::1/128'], ['fe80::/64'],
  ])('subnet %s is refused', async (subnet) => {
    const msg = await refused('POST', '/networks/create', { Name: 'bad', EnableIPv6: subnet.includes(':'), IPAM: { Config: [{ Subnet: subnet }] } });
    expect(msg).toContain(`invalid subnet ${subnet}`);
  });

  it.each([['garbage'], ['999.1.1.1'], ['10.77.9.9']])('connect with IPv4Address %s is refused, stopped or running', async (ip) => {
    for (const c of [stopped, running]) {
      await refused('POST', '/networks/n1/connect', { Container: c, EndpointConfig: { IPAMConfig: { IPv4Address: ip } } });
    }
  });

  it('connect with a bad IPv6Address is refused', async () => {
    await refused('POST', '/networks/n1/connect', { Container: stopped, EndpointConfig: { IPAMConfig: { IPv6Address: 'nope::zz' } } });
  });

  it("a bridge name that is another network's bridge is refused, and that bridge keeps its addresses", async () => {
    const msg = await refused('POST', '/networks/create', {
      Name: 'steal', IPAM: { Config: [{ Subnet: '10.78.0.0/24' }] }, Options: { 'com.docker.network.bridge.name': 'weft0' },
    }, 403);
    expect(msg).toContain('weft0');
  });

  it('NUL bytes in Image, Env or Cmd are refused at create', async () => {
    await refused('POST', '/containers/create', { Image: '/\u0000' });
    await refused('POST', '/containers/create', { Image: 'busybox', Env: ['A=\u0000'] });
    await refused('POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'a\u0000b'] });
    await refused('POST', `/containers/${running}/exec`, { Cmd: ['echo', '\u0000'] });
  });

  it('an MTU below 1280 on an IPv6 network, and IPAM null on a bridge, are 400s', async () => {
    await refused('POST', '/networks/create', {
      Name: 'lowmtu', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd77::/64' }] }, Options: { 'com.docker.network.driver.mtu': '1000' },
    });
    await refused('POST', '/networks/create', { Name: 'noipam', IPAM: { Driver: 'null' } });
  });

  it('PortBindings {"80/tcp":[null]} is no 5xx', async () => {
    const r = await d.api('POST', '/containers/create?name=pb', { Image: 'busybox', Cmd: ['sleep', '1'], HostConfig: { PortBindings: { '80/tcp': [null] } } });
    expect(r.status).toBeLessThan(500);
    if (r.status === 201) expect((await d.api('DELETE', `/containers/${r.body.Id}?force=1`)).status).toBe(204);
    expect(await snapshot(d)).toBe(before);
  });
});
