/**
 * A container's main process with stdin and a terminal, kill and exec as clients rely on
 * them: the docker CLI (`run -i`, `run -it` driven by a pty from util-linux script) and
 * docker-py 5.0.3 (Debian's python3-docker, /usr/bin/python3) against a real daemon.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demux, execIn } from '../helpers/containers.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { destroyDaemon, startedDaemonWithCli } from '../helpers/suite.js';
import { type DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';

const PY = '/usr/bin/python3';
const HAVE_PY = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import docker']).status === 0;

describe('stdin, terminals, kill and exec', () => {
  let d: TestDaemon;
  let docker: DockerCli;

  beforeAll(async () => {
    ({ d, cli: docker } = await startedDaemonWithCli('nftables'));
  });

  afterAll(() => destroyDaemon(d, docker));

  /** A docker-py script with `api` (APIClient on the daemon) defined; its stdout. */
  function py(code: string): { code: number; out: string; err: string } {
    const prelude = `import docker, sys\napi = docker.APIClient(base_url='unix://${d.socket}', version='1.41')\n`;
    const r = spawnSync(PY, ['-c', prelude + code], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  }

  it.skipIf(!HAVE_DOCKER)('docker run -i: piped stdin reaches the process, EOF ends it, its exit code is docker\'s', () => {
    let r = docker.run(['run', '-i', '--rm', 'busybox', 'cat'], 'hi\nthere\n');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('hi\nthere\n');
    r = docker.run(['run', '-i', 'busybox', 'sh', '-c', 'read a; echo "got $a" >&2; exit 3'], 'x\n');
    expect(r.code).toBe(3);
    expect(r.err).toBe('got x\n');
  });

  it.skipIf(!HAVE_DOCKER)('docker run -it busybox sh, driven by a pty: a shell on a terminal', () => {
    const script = `printf 'echo $((6*7)); test -t 0 && echo on-a-tty\\nexit 5\\n' | script -qec "$DOCKER run -it --rm busybox sh" /dev/null`;
    const r = docker.sh(script);
    expect(r.code, r.out + r.err).toBe(5);
    expect(r.out).toContain('42\r\non-a-tty\r\n');
    // Without -i the process still gets a terminal; its output is one unframed stream.
    const t = docker.run(['run', '-t', '--name', 'tty1', 'busybox', 'sh', '-c', 'echo out; echo err >&2; test -t 1']);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toBe('out\r\nerr\r\n');
    expect(docker.run(['logs', 'tty1']).out).toBe('out\r\nerr\r\n');
  });

  it('POST /containers/{id}/resize sets the size of the container\'s terminal', async () => {
    const c = await d.api('POST', '/v1.41/containers/create?name=sized', { Image: 'busybox', Cmd: ['sleep', '1000'], Tty: true });
    expect(c.status, c.text).toBe(201);
    await d.api('POST', '/v1.41/containers/sized/start');
    expect((await d.api('POST', '/v1.41/containers/sized/resize?h=33&w=111')).status).toBe(200);
    expect((await execIn(d, 'sized', ['sh', '-c', 'stty -F /proc/$(pidof sleep)/fd/0 size'])).stdout).toBe('33 111\n');
    expect((await d.api('POST', '/v1.41/containers/sized/resize?h=x&w=1')).status).toBe(400);
    await d.api('POST', '/v1.41/containers/sized/kill');
    expect((await d.api('POST', '/v1.41/containers/sized/resize?h=1&w=1')).status).toBe(409);
  });

  it.skipIf(!HAVE_PY)('docker-py: attach with stdin to an OpenStdin container, both framings', () => {
    const r = py(`
from docker.utils.socket import frames_iter
for tty in (False, True):
    c = api.create_container('busybox', 'cat', stdin_open=True, tty=tty)
    api.start(c)
    s = api.attach_socket(c, params={'stdin': 1, 'stdout': 1, 'stream': 1})
    s._sock.sendall(b'ping\\n')
    got = b''
    for _, data in frames_iter(s, tty):
        got += data
        if got.count(b'ping') >= (2 if tty else 1): break
    s.close()
    print(tty, repr(got))
    api.kill(c)
    assert not api.inspect_container(c)['State']['Running']
`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe("False b'ping\\n'\nTrue b'ping\\r\\nping\\r\\n'\n");
  });

  it.skipIf(!HAVE_PY)('docker-py: exec output is never lost before the 101 is read; kill waits; wait gives the exit code', () => {
    const r = py(`
c = api.create_container('busybox', 'sleep 1000')
api.start(c)
lost = 0
for i in range(40):
    e = api.exec_create(c, ['echo', 'line%d' % i])
    if api.exec_start(e) != b'line%d\\n' % i: lost += 1
print('lost', lost)
api.kill(c, 'SIGKILL')
print('running', api.inspect_container(c)['State']['Running'], api.wait(c)['StatusCode'])
c = api.create_container('busybox', ['sh', '-c', 'exit 7'])
api.start(c)
print('exit', api.wait(c)['StatusCode'])
`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('lost 0\nrunning False 137\nexit 7\n');
  });

  it('clients that drop an attach with stdin, before start or while it runs, leave the daemon and the stdin serving', async () => {
    const attachReq = (name: string) => `POST /v1.41/containers/${name}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: weft\r\n`
      + `Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n${'stdin data\n'.repeat(5000)}`;
    const drop = (name: string, afterMs: number) => new Promise<void>((resolve) => {
      const s = net.connect(d.socket);
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('connect', () => { s.write(attachReq(name)); setTimeout(() => s.destroy(), afterMs); });
    });
    for (const [name, tty] of [['keep', false], ['keeptty', true]] as const) {
      expect((await d.api('POST', `/v1.41/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['cat'], OpenStdin: true, Tty: tty })).status).toBe(201);
      await drop(name, 0);
      await drop(name, 20);
      expect((await d.api('POST', `/v1.41/containers/${name}/start`)).status).toBe(204);
      for (const ms of [0, 5, 50]) await drop(name, ms);
    }
    expect(d.child?.exitCode, d.log).toBeNull();
    expect((await d.api('GET', '/_ping')).status).toBe(200);
    // stdin without StdinOnce is still open: a new attach is echoed.
    const echoed = await new Promise<string>((resolve) => {
      const s = net.connect(d.socket);
      let got = '';
      s.on('data', (b) => { got += b.toString('latin1'); if (got.includes('after-drops')) s.destroy(); });
      s.on('close', () => resolve(got));
      s.on('connect', () => s.write(`${attachReq('keep').replace(/stdin data\n/g, '')}after-drops\n`));
      setTimeout(() => s.destroy(), 5000);
    });
    expect(echoed).toContain('after-drops');
    expect((await d.api('GET', '/v1.41/containers/keep/json')).body.State.Running).toBe(true);
  });

  it.skipIf(!HAVE_DOCKER)('a hijacked exec start whose body arrives after the headers is read whole (Tty from the body)', async () => {
    expect(docker.run(['run', '-d', '--name', 'splitexec', 'busybox', 'sleep', '1000']).code).toBe(0);
    const created = await d.api('POST', '/v1.41/containers/splitexec/exec',
      { Cmd: ['sh', '-c', 'echo split-out'], AttachStdout: true, AttachStderr: true, Tty: true });
    const body = JSON.stringify({ Detach: false, Tty: true });
    const got = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const s = net.connect(d.socket, () => {
        s.write(`POST /v1.41/exec/${created.body.Id}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n`
          + `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
        setTimeout(() => s.write(body), 200);
      });
      s.on('data', (b) => chunks.push(b));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      setTimeout(() => s.destroy(), 10_000);
    });
    const text = got.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 101 /);
    // A terminal's output is one raw stream: no 8-byte multiplexing header before it.
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('split-out\r\n');
  });

  it.skipIf(!HAVE_DOCKER || !HAVE_PY)('exec on a terminal: docker exec -it driven by a pty, docker-py exec with tty', () => {
    expect(docker.run(['run', '-d', '--name', 'texec', 'busybox', 'sleep', '1000']).code).toBe(0);
    const r = docker.sh(`printf 'test -t 0 && echo on-a-tty; exit 6\\n' | script -qec "$DOCKER exec -it texec sh" /dev/null`);
    expect(r.code, r.out + r.err).toBe(6);
    expect(r.out).toContain('on-a-tty\r\n');
    const py3 = py(`
cmd = 'sh -c "echo hello out; echo hello err >&2"'
print(repr(api.exec_start(api.exec_create('texec', cmd, tty=True))))
print(repr(api.exec_start(api.exec_create('texec', cmd, tty=True), tty=True)))
print(api.exec_inspect(api.exec_create('texec', cmd, tty=True))['ProcessConfig']['tty'])
`);
    expect(py3.code, py3.err).toBe(0);
    expect(py3.out).toBe("b'hello out\\r\\nhello err\\r\\n'\nb'hello out\\r\\nhello err\\r\\n'\nTrue\n");    // The detach keys (ctrl-p,ctrl-q, or the exec's DetachKeys) let the client go; the command runs on.
    const det = py(`
import time
for keys, seq in ((None, b'\\x10\\x11'), ('ctrl-x', b'\\x18')):
    e = api.exec_create('texec', 'cat', stdin=True, tty=True, **({'detach_keys': keys} if keys else {}))
    s = api.exec_start(e, tty=True, socket=True)._sock
    s.sendall(b'abc\\x10x\\n')
    time.sleep(0.5)
    s.sendall(seq)
    got = b''
    while True:
        b = s.recv(4096)
        if not b: break
        got += b
    time.sleep(0.2)
    print(b'abc\\x10x\\r\\n' in got, got.endswith(b'read escape sequence'), api.exec_inspect(e)['Running'])
`);
    expect(det.code, det.err).toBe(0);
    expect(det.out).toBe('True True True\nTrue True True\n');
  });

  it('exec exit codes as dockerd: 127 missing, 126 not executable, 128+signal', async () => {
    const c = await d.api('POST', '/v1.41/containers/create?name=ex', { Image: 'busybox', Cmd: ['sleep', '1000'] });
    expect(c.status).toBe(201);
    await d.api('POST', '/v1.41/containers/ex/start');
    expect((await execIn(d, 'ex', ['nosuchcmd'])).code).toBe(127);
    expect((await execIn(d, 'ex', ['/etc/hostname'])).code).toBe(126);
    expect((await execIn(d, 'ex', ['sh', '-c', 'kill -SEGV $$'])).code).toBe(139);
    expect((await execIn(d, 'ex', ['sh', '-c', 'kill -TERM $$'])).code).toBe(143);
  });

  it('attach with logs=1&stream=0 returns the output so far and ends; kill returns once dead', async () => {
    const c = await d.api('POST', '/v1.41/containers/create?name=talker', { Image: 'busybox', Cmd: ['sh', '-c', 'echo a; echo b >&2; sleep 1000'] });
    await d.api('POST', `/v1.41/containers/${c.body.Id}/start`);
    await new Promise((r) => setTimeout(r, 300));
    const r = spawnSync('curl', ['-s', '--max-time', '5', '--unix-socket', d.socket, '-X', 'POST', '-H', 'Connection: Upgrade', '-H', 'Upgrade: tcp',
      'http://x/v1.41/containers/talker/attach?logs=1&stream=0&stdout=1&stderr=1', '-o', '-'], { timeout: 10_000 });
    expect(r.status).toBe(0); // ended by the daemon, not by the time limit
    expect(demux(r.stdout)).toEqual({ stdout: 'a\n', stderr: 'b\n' });
    expect((await d.api('POST', '/v1.41/containers/talker/kill')).status).toBe(204);
    expect((await d.api('GET', '/v1.41/containers/talker/json')).body.State).toMatchObject({ Running: false, ExitCode: 137 });
  });
});
