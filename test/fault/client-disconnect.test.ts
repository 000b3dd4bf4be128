/**
 * Clients that go away in the middle of a stream: attach (docker compose attaches before
 * every start), hijacked exec with stdin, and followed logs, each dropped at once, after the
 * first bytes, and a little later. The daemon must keep serving, and the container keep running.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContainer } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';

const CHATTY = ['sh', '-c', 'while true; do echo 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz; done'];

/** Send a raw request on the API socket; close the connection once `when` says so. */
function dropAfter(socket: string, request: string, when: 'at-once' | 'first-bytes' | 'later'): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('connect', () => {
      s.write(request);
      if (when === 'at-once') s.destroy();
    });
    s.once('data', () => {
      if (when === 'first-bytes') return s.destroy();
      // Not reading any more: the daemon's writes pile up until the socket goes.
      s.pause();
      setTimeout(() => s.destroy(), 30);
    });
  });
}

describe('a client that disconnects from a stream', () => {
  let d: TestDaemon;
  let id: string;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
    id = await runContainer(d, { name: 'chatty', cmd: CHATTY });
  });
  afterAll(async () => { await d?.destroy(); });

  it('leaves the daemon serving: attach, hijacked exec with stdin, followed logs', async () => {
    const exec = await d.api('POST', `/v1.50/containers/${id}/exec`, { Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    expect(exec.status, exec.text).toBe(201);
    const requests = [
      `POST /v1.50/containers/${id}/attach?stream=1&stdout=1&stderr=1&logs=1 HTTP/1.1\r\nHost: weft\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
      `GET /v1.50/containers/${id}/logs?follow=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: weft\r\n\r\n`,
    ];
    for (const when of ['at-once', 'first-bytes', 'later'] as const) {
      for (const r of requests) await dropAfter(d.socket, r, when);
      const e = await d.api('POST', `/v1.50/containers/${id}/exec`, { Cmd: ['cat'], AttachStdin: true, AttachStdout: true });
      const body = JSON.stringify({ Detach: false, Tty: false });
      await dropAfter(d.socket, `POST /v1.50/exec/${e.body.Id}/start HTTP/1.1\r\nHost: weft\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n`
        + `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}${'stdin data\n'.repeat(2000)}`, when);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(d.child?.exitCode, d.log).toBeNull();
    const ping = await d.api('GET', '/_ping');
    expect(ping.status).toBe(200);
    const c = await d.api('GET', `/v1.50/containers/${id}/json`);
    expect(c.body.State.Running).toBe(true);
  }, 60_000);
});
