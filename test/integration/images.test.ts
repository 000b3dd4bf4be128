/**
 * Real images through the real clients: a rootfs tarball imported with `docker import`, a
 * two-layer docker-archive with a whiteout and an opaque directory loaded with
 * `docker load` and with docker-py, an OCI layout (gzip layers); containers of them on a
 * network with a published port that answers; save -> load keeps the id; rmi refused
 * while a container uses the image. Every image is built by the test from busybox-static.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';
import { compose } from '../helpers/compose.js';
import { DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { type BuiltImage, busyboxRoot, dockerArchive, ociLayout, sha256, tarDir, withFiles } from '../helpers/images.js';
import { makeNs } from '../helpers/lab.js';

const PYTHON = '/usr/bin/python3';
const HTTPD = { Cmd: ['/bin/httpd', '-f', '-p', '80', '-h', '/www'], ExposedPorts: { '80/tcp': {} } };

describe.skipIf(!HAVE_DOCKER)('images: load, import, save', () => {
  let d: TestDaemon;
  let docker: DockerCli;
  let work: string;
  let app: BuiltImage;

  beforeAll(async () => {
    d = new TestDaemon('nftables', makeNs('wi'));
    await d.start();
    docker = new DockerCli(d);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'wi-images-'));
    const base = busyboxRoot(path.join(work, 'base'), {
      'etc/secret': 'gone\n', 'data/old': 'old\n', 'www/index.html': 'from the base layer\n',
    });
    const top = withFiles(path.join(work, 'top'), {
      'etc/.wh.secret': '', 'data/.wh..wh..opq': '', 'data/new': 'new\n', 'www/index.html': 'hello from wi-app\n',
    });
    const layers = [tarDir(base, path.join(work, 'base.tar')), tarDir(top, path.join(work, 'top.tar'))];
    app = dockerArchive(work, layers, { ...HTTPD, Env: ['PATH=/bin', 'WI_FROM=image'], WorkingDir: '/www' }, ['wi-app:latest'],
      path.join(work, 'app.tar'));
  });

  afterAll(async () => {
    docker?.cleanup();
    await d?.destroy();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const ok = (args: string[], input = '') => {
    const r = docker.run(args, input);
    expect(r.code, `docker ${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };

  function fetchInHost(url: string): string {
    for (let i = 0; i < 50; i++) {
      const r = spawnSync('ip', ['netns', 'exec', d.host.name, 'curl', '-s', '-m', '2', url], { encoding: 'utf8' });
      if (r.status === 0) return r.stdout;
      spawnSync('sleep', ['0.1']);
    }
    return '';
  }

  it('docker load of a docker-archive keeps its id and layers; a published port of its container answers', () => {
    expect(ok(['load', '-i', app.file])).toBe('Loaded image: wi-app:latest');
    expect(ok(['image', 'inspect', '-f', '{{.Id}} {{json .RootFS.Layers}}', 'wi-app'])).toBe(`${app.id} ${JSON.stringify(app.diffIds)}`);
    ok(['network', 'create', 'wi-net']);
    const cid = ok(['run', '-d', '--name', 'wi-web', '--network', 'wi-net', '-p', '18080:80', 'wi-app']);
    expect(fetchInHost('http://127.0.0.1:18080/index.html')).toBe('hello from wi-app\n');
    expect(ok(['inspect', '-f', '{{.Image}} {{.Config.Image}}', cid])).toBe(`${app.id} wi-app`);
  });

  it('whiteouts hide the lower file and the opaque directory, and the image config applies', () => {
    expect(ok(['exec', 'wi-web', 'ls', '/data'])).toBe('new');
    expect(docker.run(['exec', 'wi-web', 'test', '-e', '/etc/secret']).code).toBe(1);
    expect(ok(['exec', 'wi-web', 'sh', '-c', 'echo $WI_FROM; pwd'])).toBe('image\n/www');
    expect(ok(['run', '--rm', '-e', 'WI_FROM=request', 'wi-app', 'sh', '-c', 'echo $WI_FROM; pwd'])).toBe('request\n/www');
  });

  it('docker run -P publishes the image\'s ExposedPorts', () => {
    ok(['run', '-d', '--name', 'wi-all', '-P', 'wi-app']);
    const port = ok(['port', 'wi-all', '80/tcp']).split('\n')[0];
    expect(port).toMatch(/:\d+$/);
    expect(fetchInHost(`http://127.0.0.1:${port.split(':').at(-1)}/index.html`)).toBe('hello from wi-app\n');
  });

  it('docker rmi is refused while a container uses the image, in dockerd\'s words', () => {
    const r = docker.run(['rmi', 'wi-app']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/conflict: unable to remove repository reference "wi-app:latest" \(must force\) - container [0-9a-f]{12} is using/);
    const byId = docker.run(['rmi', app.id.slice(7, 19)]);
    expect(byId.err).toContain(`conflict: unable to delete ${app.id.slice(7, 19)} (cannot be forced) - image is being used by running container`);
    expect(ok(['images', '--format', '{{.Repository}}:{{.Tag}}', 'wi-app'])).toBe('wi-app:latest');
  });

  it('docker save -> rmi -> docker load gives the same image id', () => {
    const out = path.join(work, 'saved.tar');
    ok(['save', '-o', out, 'wi-app']);
    ok(['rm', '-f', 'wi-web', 'wi-all']);
    expect(ok(['rmi', 'wi-app'])).toContain(`Deleted: ${app.id}`);
    expect(docker.run(['image', 'inspect', 'wi-app']).code).toBe(1);
    expect(ok(['load', '-i', out])).toBe('Loaded image: wi-app:latest');
    expect(ok(['image', 'inspect', '-f', '{{.Id}}', 'wi-app'])).toBe(app.id);
  });

  it('docker import of a rootfs tarball applies --change and tags it', () => {
    const root = busyboxRoot(path.join(work, 'imp'), { 'www/index.html': 'imported\n' });
    const tarball = tarDir(root, path.join(work, 'imp.tar'));
    const id = ok(['import', '-c', 'CMD ["/bin/httpd","-f","-p","80","-h","/www"]', '-c', 'EXPOSE 80', '-c', 'ENV WI=1',
      '-c', 'WORKDIR /www', tarball, 'wi-imp:1']);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ok(['image', 'inspect', '-f', '{{json .Config.Cmd}} {{json .Config.ExposedPorts}} {{.Config.WorkingDir}}', 'wi-imp:1']))
      .toBe('["/bin/httpd","-f","-p","80","-h","/www"] {"80/tcp":{}} /www');
    expect(ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'wi-imp:1'])).toBe(JSON.stringify([sha256(fs.readFileSync(tarball))]));
    expect(ok(['run', '--rm', 'wi-imp:1', 'sh', '-c', 'cat index.html; echo $WI'])).toBe('imported\n1');
    const bad = docker.run(['import', '-c', 'RUN true', tarball, 'wi-bad']);
    expect(bad.err).toContain('run is not a valid change command');
    expect(docker.run(['image', 'inspect', 'wi-bad']).code).toBe(1);
  });

  it('loads an OCI image layout with gzip layers, and a gzipped docker-archive', () => {
    const layers = [path.join(work, 'base.tar'), path.join(work, 'top.tar')];
    const oci = ociLayout(work, layers, { ...HTTPD, Env: ['PATH=/bin'] }, 'docker.io/library/wi-oci:2', path.join(work, 'oci.tar'));
    expect(ok(['load', '-i', oci.file])).toBe('Loaded image: wi-oci:2');
    expect(ok(['run', '--rm', 'wi-oci:2', 'ls', '/data'])).toBe('new');
    const gz = path.join(work, 'app.tar.gz');
    fs.writeFileSync(gz, spawnSync('gzip', ['-c', app.file]).stdout);
    ok(['tag', 'wi-app', 'wi-app:other']);
    expect(ok(['load', '-i', gz])).toBe('Loaded image: wi-app:latest');
    expect(ok(['rmi', 'wi-app:other'])).toBe('Untagged: wi-app:other');
  });

  it('docker-py loads an archive and runs a container of it', () => {
    const script = [
      'import docker, sys',
      `c = docker.DockerClient(base_url="unix://${d.socket}")`,
      `imgs = c.images.load(open("${app.file}", "rb").read())`,
      'print(imgs[0].id, imgs[0].tags)',
      'print(c.containers.run("wi-app", ["cat", "/www/index.html"], remove=True).decode().strip())',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${app.id} ['wi-app:latest']\nhello from wi-app\n`);
  });

  it('bad archives change nothing, and a pull of an absent image still fails at once', () => {
    const before = ok(['images', '-q', '--no-trunc']);
    const junk = path.join(work, 'junk.tar');
    tarDir(withFiles(path.join(work, 'junk'), { 'hello.txt': 'x' }), junk);
    expect(docker.run(['load', '-i', junk]).err).toContain('neither manifest.json nor index.json');
    expect(ok(['images', '-q', '--no-trunc'])).toBe(before);
    const pull = docker.run(['pull', 'wi-absent:1']);
    expect(pull.code).toBe(1);
    expect(pull.err).toContain('weft does not pull images');
    expect(fs.readdirSync(path.join(d.root, 'images', 'store', 'tmp'))).toEqual([]);
  });

  it('weft\'s own CLI saves, loads, lists, tags, inspects and removes images', () => {
    const out = path.join(work, 'weft-saved.tar');
    const cli = (args: string[]) => {
      const r = d.cli(args);
      expect(r.code, `weft ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    cli(['save', '-o', out, 'wi-app']);
    expect(cli(['load', '-i', out])).toBe('Loaded image: wi-app:latest');
    cli(['image', 'tag', 'wi-app', 'wi-cli/app:2']);
    expect(cli(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', 'wi-cli/app'])).toBe(`wi-cli/app:2 ${app.id.slice(7, 19)}`);
    expect(cli(['image', 'inspect', '-f', '{{.Id}}', 'wi-cli/app:2'])).toBe(app.id);
    expect(cli(['image', 'rm', 'wi-cli/app:2'])).toBe('Untagged: wi-cli/app:2');
  });

  it('a compose project of two loaded images on its network: one fetches from the other by name', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'compose-'));
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), [
      'version: "2.4"', 'services:', '  web:', '    image: wi-app', '  client:', '    image: wi-oci:2',
      '    command: ["sleep", "1000"]', '',
    ].join('\n'));
    const up = await compose(d, dir, ['up', '-d'], { project: 'wiproj' });
    expect(up.code, up.stderr).toBe(0);
    let body = '';
    for (let i = 0; i < 30 && !body; i++) {
      body = docker.run(['exec', 'wiproj_client_1', 'wget', '-qO-', 'http://web/index.html']).out;
      if (!body) spawnSync('sleep', ['0.2']);
    }
    expect(body).toBe('hello from wi-app\n');
    expect(ok(['inspect', '-f', '{{.Config.Image}} {{.Image}}', 'wiproj_web_1'])).toBe(`wi-app ${app.id}`);
    const down = await compose(d, dir, ['down'], { project: 'wiproj' });
    expect(down.code, down.stderr).toBe(0);
  });

  it('prune removes dangling images and keeps used and tagged ones', () => {
    ok(['tag', 'wi-imp:1', 'wi-dangle:1']);
    ok(['rmi', 'wi-imp:1']);
    ok(['import', path.join(work, 'imp.tar')]);
    const r = ok(['image', 'prune', '-f']);
    expect(r).toMatch(/deleted: sha256:[0-9a-f]{64}/);
    expect(ok(['images', '--format', '{{.Repository}}', '--filter', 'dangling=true'])).toBe('');
    expect(ok(['images', '--format', '{{.Repository}}:{{.Tag}}', 'wi-dangle'])).toBe('wi-dangle:1');
  });
});

describe.skipIf(!HAVE_DOCKER)('images: a load cut short by a crash', () => {
  let d: TestDaemon;
  let work: string;
  afterAll(async () => {
    await d?.destroy();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('leaves nothing visible after the restart: no image, no tag, no layer, no temporary files', async () => {
    d = new TestDaemon('nftables', makeNs('wi'));
    d.env = { WEFT_FAILPOINTS: 'images.layer.unpacked@2' };
    await d.start();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'wi-crash-'));
    const base = tarDir(busyboxRoot(path.join(work, 'base')), path.join(work, 'base.tar'));
    const top = tarDir(withFiles(path.join(work, 'top'), { 'etc/.wh.passwd': '' }), path.join(work, 'top.tar'));
    const img = dockerArchive(work, [base, top], HTTPD, ['wi-crash:1'], path.join(work, 'crash.tar'));
    const docker = new DockerCli(d);
    expect(docker.run(['load', '-i', img.file]).code).not.toBe(0);
    d.env = {};
    await d.start();
    const store = path.join(d.root, 'images', 'store');
    expect(fs.readdirSync(path.join(store, 'tmp'))).toEqual([]);
    expect(fs.readdirSync(path.join(store, 'layers'))).toEqual([]);
    expect(docker.run(['image', 'inspect', 'wi-crash:1']).code).toBe(1);
    expect(docker.run(['load', '-i', img.file]).out.trim()).toBe('Loaded image: wi-crash:1');
    docker.cleanup();
  });
});
