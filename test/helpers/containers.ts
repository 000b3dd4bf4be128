/** API-level helpers shared by integration tests. */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import type { TestDaemon } from './daemon.js';

export async function createNet(d: TestDaemon, body: Record<string, unknown>): Promise<string> {
  const r = await d.api('POST', '/v1.50/networks/create', body);
  expect(r.status, r.text).toBe(201);
  return r.body.Id;
}

export async function runContainer(d: TestDaemon, o: { name: string; network?: string; ip?: string; cmd: string[]; ports?: Record<string, { HostIp?: string; HostPort: string }[]>; aliases?: string[] }): Promise<string> {
  const net = o.network ?? 'bridge';
  const create = await d.api('POST', `/v1.50/containers/create?name=${o.name}`, {
    Image: 'busybox',
    Cmd: o.cmd,
    HostConfig: { NetworkMode: net, ...(o.ports ? { PortBindings: o.ports } : {}) },
    NetworkingConfig: { EndpointsConfig: { [net]: { ...(o.ip ? { IPAMConfig: { IPv4Address: o.ip } } : {}), Aliases: o.aliases ?? [] } } },
  });
  expect(create.status, create.text).toBe(201);
  const start = await d.api('POST', `/v1.50/containers/${create.body.Id}/start`);
  expect(start.status, start.text).toBe(204);
  return create.body.Id;
}

export async function containerIp(d: TestDaemon, ref: string, network: string): Promise<string> {
  const r = await d.api('GET', `/v1.50/containers/${ref}/json`);
  expect(r.status, r.text).toBe(200);
  return r.body.NetworkSettings.Networks[network].IPAddress;
}

/** Run a command in the container through the API's exec (non-hijacked start). */
export async function execIn(d: TestDaemon, ref: string, cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = await d.api('POST', `/v1.50/containers/${ref}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
  expect(c.status, c.text).toBe(201);
  const s = await d.api('POST', `/v1.50/exec/${c.body.Id}/start`, { Detach: false, Tty: false });
  const { stdout, stderr } = demux(s.raw);
  let info = (await d.api('GET', `/v1.50/exec/${c.body.Id}/json`)).body;
  for (let i = 0; i < 100 && info.Running; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = (await d.api('GET', `/v1.50/exec/${c.body.Id}/json`)).body;
  }
  return { code: info.ExitCode, stdout, stderr };
}

export function demux(buf: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4);
    const chunk = buf.subarray(i + 8, i + 8 + len).toString('latin1');
    if (buf[i] === 2) stderr += chunk; else stdout += chunk;
    i += 8 + len;
  }
  return { stdout, stderr };
}

/** Run a host tool inside the container's network namespace (its SandboxKey). */
export function inNs(d: TestDaemon, ref: string, cmd: string): { code: number; out: string } {
  const r = spawnSync('sh', ['-c', `key=$(curl -s --unix-socket ${d.socket} http://x/v1.50/containers/${ref}/json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).NetworkSettings.SandboxKey))') && nsenter --net="$key" sh -c '${cmd.replace(/'/g, "'\\''")}'`], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}
