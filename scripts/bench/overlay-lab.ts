/**
 * The overlay section's lab: a 2-host TestCluster, the containers made on it and the tools
 * run in its namespaces, all tracked so that teardown() removes them once, also when it is
 * called from a signal handler while the lab is still being built.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { TestCluster } from '../../test/helpers/cluster.js';
import { waitFor, type TestDaemon } from '../../test/helpers/daemon.js';

export const V = '/v1.50';

export function must(d: TestDaemon, method: string, p: string, body?: unknown): Promise<any> {
  return d.client.must(method, `${V}${p}`, `${method} ${p}`, body);
}

/** Whether p exited within ms. */
export function exited(p: ChildProcess, ms: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(true);
  return new Promise((r) => {
    const t = setTimeout(() => r(false), ms);
    p.once('exit', () => {
      clearTimeout(t);
      r(true);
    });
  });
}

export class OverlayLab {
  private readonly procs = new Set<ChildProcess>();
  private readonly containers: { d: TestDaemon; id: string }[] = [];
  private readonly undo: (() => void)[] = [];
  private readonly starting = TestCluster.start({ hosts: 2 });
  private cluster?: TestCluster;
  private destroying?: Promise<void>;

  async start(): Promise<TestCluster> {
    this.cluster = await this.starting;
    return this.cluster;
  }

  /** A process of ours (nsenter execs the tool in place: the pid is the tool's). */
  spawn(args: string[]): ChildProcess {
    const p = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stderr!.resume(); // drained even where nobody reads it (a full pipe would stall the tool)
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    p.on('error', () => this.procs.delete(p));
    return p;
  }

  /** A busybox container on the overlay with a static IP; started unless told not to. */
  async run(d: TestDaemon, net: string, name: string, ip: string, startIt = true): Promise<string> {
    const c = await must(d, 'POST', `/containers/create?name=${name}`, {
      Image: 'busybox', Cmd: ['sleep', '100000'], HostConfig: { NetworkMode: net },
      NetworkingConfig: { EndpointsConfig: { [net]: { IPAMConfig: { IPv4Address: ip } } } },
    });
    this.containers.push({ d, id: c.Id });
    if (startIt) await must(d, 'POST', `/containers/${c.Id}/start`);
    return c.Id;
  }

  /** Something to undo at teardown (after our processes are ended, before the lab goes), latest first. */
  onTeardown(fn: () => void): void {
    this.undo.push(fn);
  }

  async remove(d: TestDaemon, id: string): Promise<void> {
    await must(d, 'DELETE', `/containers/${id}?force=1`);
    this.containers.splice(this.containers.findIndex((c) => c.id === id), 1);
  }

  /** Everything we made, once: our processes, our containers (through the API), the lab. */
  teardown(): Promise<void> {
    this.destroying ??= (async () => {
      await this.killAll();
      for (const fn of this.undo.splice(0).reverse()) {
        try { fn(); } catch { /* best effort: the lab's namespaces go below anyway */ }
      }
      const c = this.cluster ?? await this.starting.catch(() => undefined); // a failed start removed its own lab
      for (const { d, id } of this.containers.splice(0)) {
        let timer: NodeJS.Timeout | undefined;
        const gone = d.client.request('DELETE', `${V}/containers/${id}?force=1`).catch(() => undefined);
        await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
        clearTimeout(timer);
      }
      await c?.destroy();
    })();
    return this.destroying;
  }

  private async killAll(): Promise<void> {
    for (const p of [...this.procs]) {
      if (p.pid && p.exitCode === null && p.signalCode === null) {
        try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
        await exited(p, 5000);
      }
    }
  }
}

/**
 * Once network net exists on B too, a container on A and one on B (names and static IPs given),
 * A able to ping B; their network namespaces.
 */
export async function pairOn(lab: OverlayLab, cluster: TestCluster, net: string, names: [string, string], ips: [string, string]):
  Promise<{ keyA: string; keyB: string }> {
  const [A, B] = cluster.hosts;
  await waitFor(async () => (await B.api('GET', `${V}/networks/${net}`)).status === 200, `${net} on B`);
  const keyA = await sandboxKey(A, await lab.run(A, net, names[0], ips[0]));
  const keyB = await sandboxKey(B, await lab.run(B, net, names[1], ips[1]));
  const reach = () => spawnSync('nsenter', [`--net=${keyA}`, 'ping', '-c1', '-W1', ips[1]]).status === 0;
  await waitFor(reach, `${names[0]} to reach ${names[1]}`, 30_000);
  return { keyA, keyB };
}

export async function sandboxKey(d: TestDaemon, id: string): Promise<string> {
  return (await must(d, 'GET', `/containers/${id}/json`)).NetworkSettings.SandboxKey;
}

export function mtuOf(nsPath: string, dev: string): number {
  const r = spawnSync('nsenter', [`--net=${nsPath}`, 'ip', '-o', 'link', 'show', dev], { encoding: 'utf8' });
  return Number(/ mtu (\d+)/.exec(r.stdout)?.[1] ?? NaN);
}

export function routeDev(nsPath: string, ip: string): string {
  const r = spawnSync('nsenter', [`--net=${nsPath}`, 'ip', '-o', 'route', 'get', ip], { encoding: 'utf8' });
  const dev = / dev (\S+)/.exec(r.stdout)?.[1];
  if (!dev) throw new Error(`no route to ${ip} in ${nsPath}: ${r.stdout}${r.stderr}`);
  return dev;
}
