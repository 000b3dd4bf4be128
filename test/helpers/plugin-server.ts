/**
 * A small v1 plugin for tests: a Node HTTP server on a unix socket (or loopback TCP) that
 * answers `Plugin.Activate` with what it implements and every other method from its
 * handlers (404 for a method it has none for). It records each call, and can be told to
 * die in the middle of a method: it drops the request unanswered and stops listening, as a
 * plugin process that was killed would.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';

export type Handler = (body: any) => unknown | Promise<unknown>;

export interface Call { method: string; body: any; contentType: string | undefined }

export class PluginServer {
  readonly calls: Call[] = [];
  /** A method whose call kills the plugin instead of being answered. */
  dieOn?: string;
  private server?: http.Server;

  /** The TCP port it listens on (for a loopback server). */
  port(): number { return (this.server!.address() as net.AddressInfo).port; }
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly listenOn: string | { port: number }, readonly implementsList: string[], readonly handlers: { [method: string]: Handler }) {}

  get running(): boolean { return !!this.server; }

  methods(): string[] { return this.calls.map((c) => c.method); }

  async start(): Promise<void> {
    if (typeof this.listenOn === 'string') fs.rmSync(this.listenOn, { force: true });
    const server = http.createServer((req, res) => this.serve(req, res));
    server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise<void>((resolve) => (typeof this.listenOn === 'string'
      ? server.listen(this.listenOn, resolve) : server.listen(this.listenOn.port, '127.0.0.1', resolve)));
    this.server = server;
  }

  /** Stop listening and cut every connection, answered or not. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (typeof this.listenOn === 'string') fs.rmSync(this.listenOn, { force: true });
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', async () => {
      const method = (req.url ?? '/').slice(1);
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : {};
      this.calls.push({ method, body, contentType: req.headers['content-type'] });
      if (method === this.dieOn) {
        this.dieOn = undefined;
        await this.kill();
        return;
      }
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
        res.end(JSON.stringify(value));
      };
      if (method === 'Plugin.Activate') return reply(200, { Implements: this.implementsList });
      const handler = this.handlers[method];
      if (!handler) return reply(404, { Err: `${method} not implemented` });
      try {
        reply(200, (await handler(body)) ?? {});
      } catch (err) {
        reply(200, { Err: (err as Error).message });
      }
    });
  }
}
