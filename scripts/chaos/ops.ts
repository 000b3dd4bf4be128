/**
 * One planned operation against the daemon, through its Engine API as a client would send
 * it. Refusals (404, 409, 400) are normal answers in a random campaign; what is kept is
 * each request's status, so the campaign can report 5xx answers and cut connections.
 */
import type { TestDaemon } from '../../test/helpers/daemon.js';
import { SUBNET_NETS, subnetOf, type Op } from './plan.js';

export interface Outcome { what: string; status: number | 'cut'; message: string }

/** What the campaign's containers serve on 80/tcp (busybox httpd, GET /n). */
export const replyOf = (name: string): string => `name=${name}`;

export class OpRunner {
  /** Every TCP host port a started container was given, for the "gone ports answer nothing" check. */
  readonly portsSeen = new Set<number>();
  readonly outcomes: Outcome[] = [];

  constructor(private readonly d: TestDaemon) {}

  async run(op: Op): Promise<void> {
    if (op.kind === 'burst') {
      await Promise.all(op.ops.map((o) => this.run(o)));
      return;
    }
    switch (op.kind) {
      case 'net-create':
        await this.call('net-create', 'POST', '/v1.50/networks/create', { Name: op.net, CheckDuplicate: true,
          ...(SUBNET_NETS.includes(op.net) ? { IPAM: { Config: [{ Subnet: subnetOf(op.net) }] } } : {}) });
        return;
      case 'net-rm':
        await this.call('net-rm', 'DELETE', `/v1.50/networks/${op.net}`);
        return;
      case 'run':
        await this.runContainer(op);
        return;
      case 'connect':
        await this.call('connect', 'POST', `/v1.50/networks/${op.net}/connect`,
          { Container: op.name, EndpointConfig: op.ip ? { IPAMConfig: { IPv4Address: op.ip } } : {} });
        return;
      case 'disconnect':
        await this.call('disconnect', 'POST', `/v1.50/networks/${op.net}/disconnect`, { Container: op.name, Force: false });
        return;
      case 'stop':
        await this.call('stop', 'POST', `/v1.50/containers/${op.name}/stop?t=${op.timeout}`);
        return;
      case 'start':
        if ((await this.call('start', 'POST', `/v1.50/containers/${op.name}/start`)) === 204) await this.notePorts(op.name);
        return;
      case 'rm-f':
        await this.call('rm-f', 'DELETE', `/v1.50/containers/${op.name}?force=1`);
    }
  }

  private async runContainer(op: Extract<Op, { kind: 'run' }>): Promise<void> {
    const create = await this.call('create', 'POST', `/v1.50/containers/create?name=${op.name}`, {
      Image: 'busybox',
      Cmd: ['sh', '-c', `mkdir -p /w; echo ${replyOf(op.name)} > /w/n; exec httpd -f -p 80 -h /w`],
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { NetworkMode: op.net, PortBindings: { '80/tcp': [{ HostPort: op.hostPort }] } },
      NetworkingConfig: { EndpointsConfig: { [op.net]: op.ip ? { IPAMConfig: { IPv4Address: op.ip } } : {} } },
    });
    if (create !== 201) return;
    if ((await this.call('start', 'POST', `/v1.50/containers/${op.name}/start`)) === 204) await this.notePorts(op.name);
  }

  private async notePorts(name: string): Promise<void> {
    const r = await this.d.api('GET', `/v1.50/containers/${name}/json`).catch(() => undefined);
    const ports: Record<string, { HostPort: string }[] | null> = r?.body?.NetworkSettings?.Ports ?? {};
    for (const binds of Object.values(ports)) {
      for (const b of binds ?? []) this.portsSeen.add(Number(b.HostPort));
    }
  }

  /** One request; its status, or 'cut' when the connection broke (the daemon died). */
  private async call(what: string, method: string, path: string, body?: unknown): Promise<number | 'cut'> {
    try {
      const r = await this.d.api(method, path, body);
      const message = typeof r.body === 'object' && r.body ? String(r.body.message ?? '') : '';
      this.outcomes.push({ what, status: r.status, message });
      return r.status;
    } catch (err) {
      this.outcomes.push({ what, status: 'cut', message: String(err) });
      return 'cut';
    }
  }
}
