/**
 * dockerode (npm) against weft: the calls Node programs make — create, attach, start, wait,
 * exec, inspect, networks — on a daemon in a throwaway namespace. Traffic between the
 * containers stays on the lab's bridge.
 */
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';

/** stdout and stderr of a multiplexed stream, once it ends. */
function demux(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (b: Buffer) => chunks.out.push(b));
  err.on('data', (b: Buffer) => chunks.err.push(b));
  docker.modem.demuxStream(stream, out, err);
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.on('end', () => resolve({ out: Buffer.concat(chunks.out).toString(), err: Buffer.concat(chunks.err).toString() }));
  });
}

/** An exec's output and exit code; hijack: false is dockerode's default (the output is the response body). */
async function execOut(docker: Docker, c: Docker.Container, cmd: string[], hijack = true) {
  const exec = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack, stdin: false });
  const { out, err } = await demux(docker, stream);
  return { out, err, code: (await exec.inspect()).ExitCode };
}

describe('dockerode against weft', () => {
  let d: TestDaemon;
  let docker: Docker;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
    docker = new Docker({ socketPath: d.socket });
  });

  afterAll(async () => {
    await d?.destroy();
  });

  it('create, attach (a plain POST, dockerode\'s default) before start, start, wait: the output and the exit code', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 7'] });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const output = demux(docker, stream);
    await c.start();
    expect((await c.wait()).StatusCode).toBe(7);
    expect(await output).toEqual({ out: 'to-out\n', err: 'to-err\n' });
    const info = await c.inspect();
    expect(info.State.ExitCode).toBe(7);
    expect(info.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: {} });
    await c.remove();
  });

  it('inspect returns the fields create received', async () => {
    const c = await docker.createContainer({
      Image: 'busybox', Cmd: ['true'], OpenStdin: true, StopTimeout: 3, Entrypoint: ['/bin/sh', '-c'],
      HostConfig: { Memory: 16 * 1024 * 1024, CpuShares: 256, Runtime: 'runc', CapAdd: ['NET_ADMIN'] },
    });
    const info = await c.inspect();
    expect(info.Config).toMatchObject({ OpenStdin: true, StopTimeout: 3, Entrypoint: ['/bin/sh', '-c'], Cmd: ['true'] });
    expect(info.HostConfig).toMatchObject({ Memory: 16 * 1024 * 1024, CpuShares: 256, Runtime: 'runc', CapAdd: ['NET_ADMIN'] });
    await c.remove();
  });

  it('refuses what weft cannot honour with a 400 and creates nothing', async () => {
    const before = (await docker.listContainers({ all: true })).length;
    await expect(docker.createContainer({ Image: 'busybox', HostConfig: { Privileged: true } }))
      .rejects.toMatchObject({ statusCode: 400, json: { message: 'weft does not run privileged containers (--privileged)' } });
    await expect(docker.createContainer({ Image: 'busybox', HostConfig: { LogConfig: { Type: 'nope', Config: {} } } }))
      .rejects.toMatchObject({ statusCode: 400, json: { message: "logger: no log driver named 'nope' is registered" } });
    expect((await docker.listContainers({ all: true })).length).toBe(before);
  });

  it('exec: output, streams apart, exit code', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.start();
    expect(await execOut(docker, c, ['sh', '-c', 'echo a; echo b >&2; exit 4'])).toEqual({ out: 'a\n', err: 'b\n', code: 4 });
    expect(await execOut(docker, c, ['sh', '-c', 'echo c; exit 5'], false)).toEqual({ out: 'c\n', err: '', code: 5 });
    await c.remove({ force: true });
  });

  it('networks: create, connect with alias and address, HTTP by alias, inspect, disconnect, remove', async () => {
    const net = await docker.createNetwork({ Name: 'pyc-dockerode', IPAM: { Driver: 'default', Config: [{ Subnet: '10.233.0.0/24' }] } });
    const srv = await docker.createContainer({
      Image: 'busybox', Cmd: ['sh', '-c', 'mkdir -p /www && echo via-alias > /www/index.html && exec httpd -f -p 80 -h /www'],
    });
    const cli = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'pyc-dockerode' } });
    await net.connect({ Container: srv.id, EndpointConfig: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.233.0.20' } } });
    await srv.start();
    await cli.start();
    const s = (await srv.inspect()).NetworkSettings.Networks['pyc-dockerode'];
    expect(s).toMatchObject({ IPAddress: '10.233.0.20', Aliases: ['web'], IPAMConfig: { IPv4Address: '10.233.0.20' } });
    let got = { out: '', err: '', code: null as number | null };
    for (let i = 0; i < 10 && got.code !== 0; i++) got = await execOut(docker, cli, ['timeout', '3', 'wget', '-qO-', 'http://web/']);
    expect(got).toMatchObject({ out: 'via-alias\n', code: 0 });
    const containers = (await net.inspect()).Containers as { [id: string]: { IPv4Address: string } };
    expect(containers[srv.id].IPv4Address).toBe('10.233.0.20/24');
    await net.disconnect({ Container: srv.id, Force: true });
    expect(Object.keys((await srv.inspect()).NetworkSettings.Networks)).toEqual(['bridge']);
    await srv.remove({ force: true });
    await cli.remove({ force: true });
    await net.remove();
    await expect(docker.getNetwork('pyc-dockerode').inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('swarm calls answer 503 as on a dockerd outside a swarm', async () => {
    await expect(docker.swarmLeave({ force: true })).rejects.toMatchObject({ statusCode: 503, json: { message: 'This node is not part of a swarm' } });
    await expect(docker.listServices()).rejects.toMatchObject({ statusCode: 503 });
  });
});
