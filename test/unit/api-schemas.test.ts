import { describe, expect, it } from 'vitest';
import { Router } from '../../src/api/router.js';
import { decodeContainerCreate, parseContainerCreate } from '../../src/api/schemas/container-create.js';
import { decodeExecCreate } from '../../src/api/schemas/exec.js';
import { decodeConnect, decodeDisconnect } from '../../src/api/schemas/network-connect.js';
import { decodeNetworkCreate } from '../../src/api/schemas/network-create.js';
import { startError } from '../../src/api/port-errors.js';
import { Conflict, InvalidArgument, PortAlreadyAllocated } from '../../src/util/errors.js';
import { parseGoDuration, parseUntil } from '../../src/util/duration.js';

const fails = (f: () => unknown, message: string) => {
  try {
    f();
    expect.unreachable();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgument);
    expect((err as Error).message).toBe(message);
  }
};

describe('request schemas keep dockerd-style messages', () => {
  it('container create: types named by field, refusals, networks and ports', () => {
    const create = (b: unknown) => decodeContainerCreate(parseContainerCreate(b));
    fails(() => create({}), 'config cannot be empty in order to create a container: Image is required');
    fails(() => create({ Image: 5 }), 'invalid Image: must be a string');
    fails(() => create({ Image: 'busybox', Cmd: 'ls' }), 'invalid Cmd: must be an array of strings');
    fails(() => create({ Image: 'busybox', Cmd: ['ls', 1] }), 'invalid Cmd: must be an array of strings');
    fails(() => create({ Image: 'busybox', HostConfig: { AutoRemove: 'yes' } }), 'invalid HostConfig.AutoRemove: must be a boolean');
    fails(() => create({ Image: 'busybox', HostConfig: [] }), 'invalid HostConfig: must be an object');
    fails(() => create({ Image: 'busybox', Labels: { a: 1 } }), 'invalid Labels.a: must be a string');
    fails(() => create({ Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'always' } } }),
      'weft does not restart containers: restart policy "always" is not supported');
    fails(() => create({ Image: 'busybox', HostConfig: { Binds: ['/a:/b'] } }),
      'weft does not support volumes or bind mounts (-v/--mount)');
    fails(() => create({ Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } }),
      'invalid port specification: "99999"');
    fails(() => create({ Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': {} } } }),
      'invalid HostConfig.PortBindings[80/tcp]: must be an array');
    fails(() => create({ Image: 'busybox', NetworkingConfig: { EndpointsConfig: { blue: { IPAMConfig: { IPv4Address: 'x' } } } } }),
      'invalid config for network blue: invalid endpoint settings:\ninvalid IPv4 address: x');
    fails(() => create({ Image: 'busybox', NetworkingConfig: { EndpointsConfig: { blue: { Aliases: 'a' } } } }),
      'invalid EndpointSettings.Aliases: must be an array of strings');
    fails(() => create({ Image: 'busybox', NetworkingConfig: { EndpointsConfig: { blue: 'x' } } }), 'invalid EndpointsConfig[blue]');
    const ok = create({
      Image: 'busybox', Cmd: ['sh'], Labels: null,
      HostConfig: { NetworkMode: 'blue', PortBindings: { '80/tcp': [{ HostIp: '[::1]', HostPort: '8080' }] } },
      NetworkingConfig: { EndpointsConfig: { blue: { Aliases: ['web'] }, default: null } },
    });
    expect(ok.networks).toEqual([
      { name: 'blue', config: { ipv4: undefined, ipv6: undefined, aliases: ['web'] } },
      { name: 'bridge', config: { ipv4: undefined, ipv6: undefined, aliases: [] } },
    ]);
    expect(ok.portBindings).toEqual([{ proto: 'tcp', hostIp: '::1', hostPort: 8080, containerPort: 80 }]);
    expect(ok.labels).toEqual({});
  });

  it('network create, connect, disconnect and exec create', () => {
    fails(() => decodeNetworkCreate({ Name: 5 }), 'invalid Name: must be a string');
    fails(() => decodeNetworkCreate({}), 'network name must not be empty');
    fails(() => decodeNetworkCreate({ Name: 'x', IPAM: { Config: {} } }), 'invalid IPAM.Config: must be an array');
    fails(() => decodeNetworkCreate({ Name: 'x', IPAM: { Config: [5] } }), 'invalid IPAM.Config[0]: must be an object');
    fails(() => decodeNetworkCreate({ Name: 'x', IPAM: { Config: [{ Subnet: 1 }] } }), 'invalid IPAM.Config[0].Subnet: must be a string');
    fails(() => decodeNetworkCreate({ Name: 'x', IPAM: { Config: [{ Subnet: '10.1.0.1/24' }] } }),
      'invalid network config:\ninvalid subnet 10.1.0.1/24: it should be 10.1.0.0/24');
    fails(() => decodeNetworkCreate({ Name: 'x', Scope: 'swarm' }), 'invalid scope "swarm"');
    fails(() => decodeConnect({}), 'container is required');
    fails(() => decodeConnect({ Container: 'c', EndpointConfig: { IPAMConfig: 'x' } }),
      'invalid EndpointConfig.IPAMConfig: must be an object');
    expect(decodeConnect({ Container: 'c', EndpointConfig: { IPAMConfig: { IPv4Address: '10.0.0.9' } } }))
      .toEqual({ container: 'c', config: { ipv4: '10.0.0.9', ipv6: undefined, aliases: [] } });
    fails(() => decodeDisconnect({ Container: 'c', Force: 'yes' }), 'invalid Force: must be a boolean');
    fails(() => decodeExecCreate({ Cmd: [] }), 'No exec command specified');
    fails(() => decodeExecCreate({ Cmd: 'ls' }), 'invalid Cmd: must be an array of strings');
    expect(decodeExecCreate({ Cmd: ['ls'], AttachStdin: true })).toEqual({ cmd: ['ls'], env: [], workdir: '', attachStdin: true, tty: false, detachKeys: 'ctrl-p,ctrl-q' });
  });
});

describe('routing, port errors, durations', () => {
  it('upgrade routes match only upgrade requests', () => {
    const r = new Router([
      { method: 'POST', path: '/exec/:id/start', handler: () => {} },
      { method: 'POST', path: '/exec/:id/start', upgrade: true, handler: () => {} },
      { method: 'POST', path: '/containers/:id/attach', upgrade: true, handler: () => {} },
    ]);
    const plain = r.match('POST', '/exec/a%20b/start');
    expect(plain !== 'method' && plain?.route.upgrade).toBeFalsy();
    expect(plain !== 'method' && plain?.params).toEqual({ id: 'a b' });
    expect(r.matchUpgrade('POST', '/exec/x/start')?.route.upgrade).toBe(true);
    expect(r.match('POST', '/containers/x/attach')).toBeUndefined();
    expect(r.matchUpgrade('POST', '/containers/x/attach')?.params).toEqual({ id: 'x' });
    expect(r.match('GET', '/exec/x/start')).toBe('method');
  });

  it('recognises host-port errors and words them as dockerd', () => {
    const bind = new PortAlreadyAllocated('tcp', '', 80);
    expect(bind.message).toBe('Bind for 0.0.0.0:80 failed: port is already allocated');
    expect((startError(bind, 'web') as Error).message)
      .toBe(`failed to set up container networking: driver failed programming external connectivity on endpoint web: ${bind.message}`);
    const other = new Conflict('Bind for 0.0.0.0:80 failed: not a host-port error');
    expect(startError(other, 'web')).toBe(other);
  });

  it('parses Go durations and until values', () => {
    expect(parseGoDuration('1h30m')).toBe(5.4e6);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseUntil('1700000000')).toBe(1.7e12);
    expect(parseUntil('2024-01-01T00:00:00Z')).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(Math.abs(parseUntil('1h') - (Date.now() - 3.6e6))).toBeLessThan(1000);
    expect(() => parseUntil('soon')).toThrow('failed to parse value as time or duration: "soon"');
  });
});
