/**
 * POST /containers/{id}/rename with the docker CLI: the new name is the container's (ps,
 * inspect, lookups by name), a taken name is refused with dockerd's 409, and on a
 * user-defined network the running container answers DNS by its new name only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNet, execIn } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';

describe.skipIf(!HAVE_DOCKER)('rename', () => {
  let d: TestDaemon;
  let docker: DockerCli;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
    docker = new DockerCli(d);
    await createNet(d, { Name: 'bhvren', IPAM: { Config: [{ Subnet: '10.93.0.0/24' }] } });
  });

  afterAll(async () => {
    await d?.destroy();
    docker?.cleanup();
  });

  it('docker rename: new name everywhere, taken and same names refused as dockerd', async () => {
    expect(docker.run(['run', '-d', '--name', 'old', '--network', 'bhvren', 'busybox', 'sleep', '1000']).code).toBe(0);
    expect(docker.run(['run', '-d', '--name', 'other', '--network', 'bhvren', 'busybox', 'sleep', '1000']).code).toBe(0);
    const id = docker.run(['inspect', '-f', '{{.Id}}', 'old']).out.trim();

    let r = docker.run(['rename', 'old', 'other']);
    expect(r.code).toBe(1);
    const otherId = docker.run(['inspect', '-f', '{{.Id}}', 'other']).out.trim();
    expect(r.err).toContain(`Error response from daemon: Conflict. The container name "/other" is already in use by container "${otherId}". `
      + 'You have to remove (or rename) that container to be able to reuse that name.\n');
    expect(r.err).toContain('failed to rename container named old');
    const api = await d.api('POST', '/v1.41/containers/old/rename?name=other');
    expect(api.status).toBe(409);
    expect((await d.api('POST', '/v1.41/containers/old/rename?name=old')).body.message)
      .toBe('Renaming a container with the same name as its current name');
    expect((await d.api('POST', '/v1.41/containers/old/rename?name=')).status).toBe(400);
    expect((await d.api('POST', '/v1.41/containers/old/rename?name=bad%20name')).status).toBe(400);

    r = docker.run(['rename', 'old', 'new']);
    expect(r.code, r.err).toBe(0);
    expect(docker.run(['inspect', '-f', '{{.Name}} {{.Id}}', 'new']).out.trim()).toBe(`/new ${id}`);
    expect(docker.run(['inspect', 'old']).code).toBe(1);
    expect(docker.run(['ps', '--filter', 'name=new', '--format', '{{.Names}}']).out.trim()).toBe('new');

    // DNS on the user-defined network follows the name.
    const ip = docker.run(['inspect', '-f', '{{.NetworkSettings.Networks.bhvren.IPAddress}}', 'new']).out.trim();
    const byNew = await execIn(d, 'other', ['nslookup', '-type=a', 'new']);
    expect(byNew.stdout).toContain(`Address: ${ip}`);
    const byOld = await execIn(d, 'other', ['nslookup', '-type=a', 'old']);
    expect(byOld.stdout).not.toContain(`Address: ${ip}`);

    // The old name is free again.
    expect(docker.run(['run', '-d', '--name', 'old', 'busybox', 'true']).code).toBe(0);
  });
});
