/** `docker network create --subnet 0.0.0.0/24` / `::/64`: a subnet of that size from the default pools. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import { destroyDaemon, startedDaemonWithCli } from '../helpers/suite.js';
import type { DockerCli } from '../helpers/docker-cli.js';

describe('subnets asked for by size', () => {
  let d: TestDaemon;
  let cli: DockerCli;

  beforeAll(async () => {
    ({ d, cli } = await startedDaemonWithCli('nftables'));
  });

  afterAll(() => destroyDaemon(d, cli));

  it('gives a /24 and a /64 from the default pools, and containers get addresses in them', () => {
    const r = cli.run(['network', 'create', '--subnet', '0.0.0.0/24', '--ipv6', '--subnet', '::/64', 'wg-sized']);
    expect(r.code, r.err).toBe(0);
    const subnets = cli.run(['network', 'inspect', 'wg-sized', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}']).out.trim().split(' ');
    expect(subnets[0]).toMatch(/^(172\.(1[7-9]|2\d|3[01])\.\d+\.0|192\.168\.\d+\.0)\/24$/);
    expect(subnets[1]).toMatch(/^fd[0-9a-f]{2}:[0-9a-f:]+\/64$/);
    const second = cli.run(['network', 'create', '--subnet', '0.0.0.0/24', 'wg-sized2']);
    expect(second.code, second.err).toBe(0);
    const other = cli.run(['network', 'inspect', 'wg-sized2', '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}']).out.trim();
    expect(other).toMatch(/\/24$/);
    expect(other).not.toBe(subnets[0]);
    const run = cli.run(['run', '--rm', '--network', 'wg-sized', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain(subnets[0].split('.').slice(0, 3).join('.'));
  });
});
