/**
 * API 1.51/1.52 (moby api/docs/CHANGELOG.md): version negotiation up to 1.52, network
 * inspect's `Status.IPAM.Subnets` (1.52, exact uint64 counters), the deprecated top-level
 * address fields of container inspect dropped at 1.52 only, and `/info` FirewallBackend.
 * Driven through the docker CLI 28.2 with DOCKER_API_VERSION=1.52 where it applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import { destroyDaemon, startedDaemonWithCli } from '../helpers/suite.js';
import type { DockerCli } from '../helpers/docker-cli.js';

describe('API 1.52', () => {
  let d: TestDaemon;
  let cli: DockerCli;

  beforeAll(async () => {
    ({ d, cli } = await startedDaemonWithCli('nftables'));
  });

  afterAll(() => destroyDaemon(d, cli));

  it('negotiates up to 1.52 and refuses 1.53 in dockerd words', async () => {
    const ping = await d.api('GET', '/_ping');
    expect(ping.headers['api-version']).toBe('1.52');
    expect((await d.api('GET', '/version')).body.ApiVersion).toBe('1.52');
    const tooNew = await d.api('GET', '/v1.53/networks');
    expect(tooNew.status).toBe(400);
    expect(tooNew.body.message).toBe('client version 1.53 is too new. Maximum supported API version is 1.52');
    // The 28.2 CLI speaks at most 1.50 and keeps working against a 1.52 daemon.
    const v = cli.run(['version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}}']);
    expect(v.out.trim(), v.err).toBe('1.50 1.52');
  });

  it('network inspect at 1.52 shows Status.IPAM.Subnets; at 1.50 it does not', async () => {
    const create = cli.run(['network', 'create', '--subnet', '10.81.0.0/24', '--ip-range', '10.81.0.128/25', 'wg-st']);
    expect(create.code, create.err).toBe(0);
    for (const name of ['wg-st1', 'wg-st2']) {
      const r = cli.run(['run', '-d', '--name', name, '--network', 'wg-st', 'busybox', 'sleep', '100000']);
      expect(r.code, r.err).toBe(0);
    }
    const at152 = cli.sh(`DOCKER_API_VERSION=1.52 "$DOCKER" network inspect wg-st --format '{{json .Status}}'`);
    expect(at152.code, at152.err).toBe(0);
    // network, broadcast, gateway (10.81.0.1) and two containers (from the range) are in use;
    // the /25 range holds 128 addresses, of which the broadcast and the containers are taken.
    expect(JSON.parse(at152.out)).toEqual({ IPAM: { Subnets: { '10.81.0.0/24': { IPsInUse: 5, DynamicIPsAvailable: 125 } } } });
    const at150 = await d.api('GET', '/v1.50/networks/wg-st');
    expect(at150.body.Status).toBeUndefined();
  });

  it('counts an IPv6 /64 exactly, saturating as uint64', async () => {
    const create = cli.run(['network', 'create', '--ipv6', '--subnet', '10.82.0.0/24', '--subnet', 'fd00:82::/64', 'wg-st6']);
    expect(create.code, create.err).toBe(0);
    const r = await d.api('GET', '/v1.52/networks/wg-st6');
    expect(r.status).toBe(200);
    // 2^64 addresses; the subnet-router address and the gateway are in use.
    expect(r.text).toContain('"fd00:82::/64":{"IPsInUse":2,"DynamicIPsAvailable":18446744073709551614}');
    expect(r.text).toContain('"10.82.0.0/24":{"IPsInUse":3,"DynamicIPsAvailable":253}');
  });

  it('drops the deprecated top-level NetworkSettings address fields at 1.52 only', async () => {
    const old = (await d.api('GET', '/v1.50/containers/wg-st1/json')).body.NetworkSettings;
    expect(old.IPAddress).toMatch(/^10\.81\.0\.1\d\d$/);
    expect(old.Gateway).toBe('10.81.0.1');
    const now = (await d.api('GET', '/v1.52/containers/wg-st1/json')).body.NetworkSettings;
    for (const k of ['Gateway', 'IPAddress', 'IPPrefixLen', 'MacAddress', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'IPv6Gateway']) {
      expect(now, k).not.toHaveProperty(k);
    }
    expect(now.Networks['wg-st'].IPAddress).toBe(old.IPAddress);
  });

  it('/info names the firewall backend', () => {
    const r = cli.sh(`DOCKER_API_VERSION=1.52 "$DOCKER" info --format '{{json .FirewallBackend}}'`);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ Driver: 'nftables' });
  });
});
