/**
 * Config and HostConfig fields weft keeps without modelling them: create decodes them (or
 * refuses them in dockerd's words or weft's), inspect returns them over dockerd's defaults.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeContainerCreate, parseContainerCreate } from '../../src/api/schemas/container-create.js';
import { hostConfigJson } from '../../src/api/views/container-config.js';
import { configJson } from '../../src/api/views/container-inspect.js';
import { newContainerRecord } from '../../src/engine/records.js';
import { InvalidArgument } from '../../src/util/errors.js';

/** The docker CLI 28's create body for `docker run -d --network net1 -p 8080:80 alpine sleep 1000`. */
const CAPTURE = new URL('../fixtures/docker-run-body.json', import.meta.url);

/** What create stores for a body, and what inspect would answer (Config, HostConfig). */
function roundTrip(body: { [k: string]: unknown }) {
  const { entrypoint, ...b } = decodeContainerCreate(parseContainerCreate(body));
  const c = newContainerRecord('0123456789abcdef0123', 'c', b.networkMode, b.networks, {
    ...b, rootfs: '/r', cmd: [...entrypoint, ...b.cmd],
  });
  return { host: hostConfigJson(c), config: { ...configJson(c) } };
}

const refusedWith = (body: { [k: string]: unknown }, message: string) => {
  let err: unknown;
  try { decodeContainerCreate(parseContainerCreate(body)); } catch (e) { err = e; }
  expect(err, JSON.stringify(body)).toBeInstanceOf(InvalidArgument);
  expect((err as Error).message).toBe(message);
};

describe('container Config and HostConfig fields', () => {
  it('nothing sent: dockerd\'s defaults', () => {
    const { host, config } = roundTrip({ Image: 'busybox' });
    expect(host).toMatchObject({
      LogConfig: { Type: 'json-file', Config: {} }, Memory: 0, PidMode: '', UTSMode: '', Isolation: '', Runtime: 'runc',
      CpuShares: 0, ShmSize: 67108864, IpcMode: 'private', DeviceCgroupRules: null, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    });
    expect(host.Init).toBeUndefined();
    expect(config).toMatchObject({ User: '', OpenStdin: false, AttachStdin: false, Entrypoint: null, Cmd: [] });
    expect(config.StopTimeout).toBeUndefined();
  });

  it('what the client sent comes back', () => {
    const { host, config } = roundTrip({
      Image: 'busybox', Cmd: ['-c', 'true'], Entrypoint: ['sh'], OpenStdin: true, AttachStdin: true, StdinOnce: true,
      StopTimeout: 25, User: 'root', StopSignal: 'SIGTERM',
      HostConfig: {
        Memory: 4194304, MemorySwap: -1, CpuShares: 512, Isolation: 'default', DeviceCgroupRules: ['c 7:128 rwm'],
        LogConfig: { Type: 'json-file', Config: { 'max-file': '100' } }, Runtime: 'runc', CapAdd: ['NET_ADMIN'],
        ExtraHosts: ['h:10.0.0.1'], Dns: ['10.0.0.53'], ConsoleSize: [24, 80],
        Tmpfs: { '/t': 'size=64m' }, GroupAdd: ['100', 'users'], PidMode: 'host', UTSMode: 'host', Init: true,
      },
    });
    expect(host).toMatchObject({
      Tmpfs: { '/t': 'size=64m' }, GroupAdd: ['100', 'users'], PidMode: 'host', UTSMode: 'host', Init: true,
      Memory: 4194304, MemorySwap: -1, CpuShares: 512, Isolation: 'default', DeviceCgroupRules: ['c 7:128 rwm'],
      LogConfig: { Type: 'json-file', Config: { 'max-file': '100' } }, CapAdd: ['NET_ADMIN'], ExtraHosts: ['h:10.0.0.1'],
      Dns: ['10.0.0.53'], ConsoleSize: [24, 80],
    });
    expect(config).toMatchObject({
      Entrypoint: ['sh'], Cmd: ['-c', 'true'], OpenStdin: true, AttachStdin: true, StdinOnce: true, StopTimeout: 25, User: 'root',
    });
  });

  it('the docker CLI\'s run body (every field at its zero value) is taken, with dockerd\'s defaults back', () => {
    const body = JSON.parse(fs.readFileSync(CAPTURE, 'utf8'));
    const { host } = roundTrip({ ...body, Image: 'busybox' });
    expect(host).toMatchObject({ LogConfig: { Type: 'json-file', Config: {} }, Runtime: 'runc', ShmSize: 67108864, IpcMode: 'private' });
  });

  it('refuses what weft cannot honour, and unknown log drivers as dockerd does', () => {
    const hc = (HostConfig: object) => ({ Image: 'busybox', HostConfig });
    refusedWith(hc({ LogConfig: { Type: 'asdf' } }), "logger: no log driver named 'asdf' is registered");
    refusedWith(hc({ LogConfig: { Type: 'syslog' } }), 'weft keeps container output with the json-file log driver only: "syslog" is not supported');
    refusedWith(hc({ LogConfig: { Type: 'json-file', Config: { nope: '1' } } }), "unknown log opt 'nope' for json-file log driver");
    refusedWith(hc({ Runtime: 'kata' }), 'unknown or invalid runtime name: kata');
    refusedWith(hc({ Isolation: 'hyperv' }), 'Invalid isolation: "hyperv" - linux only supports \'default\'');
    refusedWith(hc({ PidMode: 'container:x' }), 'weft shares only the host\'s pid namespace: pid mode "container:x" is not supported');
    refusedWith(hc({ UTSMode: 'private' }), 'weft shares only the host\'s UTS namespace: UTS mode "private" is not supported');
    refusedWith({ Image: 'busybox', Hostname: 'h', HostConfig: { UTSMode: 'host' } }, 'conflicting options: hostname and the UTS mode');
    refusedWith(hc({ CapDrop: ['ALL'] }), 'weft does not drop capabilities (--cap-drop): container processes keep root\'s');
    refusedWith(hc({ Privileged: true }), 'weft does not run privileged containers (--privileged)');
    refusedWith(hc({ Tmpfs: { t: '' } }), 'invalid mount config for type "tmpfs": invalid mount path: \'t\' mount path must be absolute');
    refusedWith(hc({ Memory: 'lots' }), 'invalid HostConfig.Memory: must be an integer');
    refusedWith({ Image: 'busybox', NetworkingConfig: { EndpointsConfig: { n1: { GwPriority: 'high' } } } },
      'invalid EndpointSettings.GwPriority: must be an integer');
    refusedWith({ Image: 'busybox', User: '1000' }, 'weft runs container processes as root: --user is not supported');
    refusedWith({ Image: 'busybox', StopSignal: 'SIGQUIT' }, 'weft stops containers with SIGTERM: stop signal SIGQUIT is not supported');
  });
});
