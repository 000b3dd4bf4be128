/**
 * A multi-host lab for tests, the same shape as `scripts/lab up N`: an underlay switch (a
 * Linux bridge in a namespace of its own, also holding etcd's address), N "hosts" (network
 * namespaces, eth0 = 192.168.100.<i>/24 on that switch), one etcd inside the lab, and one
 * weft daemon per host joined to it. Namespaces are named weft-t-* with random suffixes
 * (several labs can coexist with scripts/lab's); destroy() kills what it started by pid
 * and removes every namespace, mount and temp dir — call it from afterAll.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon, waitFor } from './daemon.js';
import { makeNs, type LabNs } from './lab.js';

export const UNDERLAY_PREFIX = '192.168.100';
export const ETCD_IP = `${UNDERLAY_PREFIX}.254`;

export interface ClusterOptions {
  hosts: number;
  /** Lease TTL of each daemon (--cluster-ttl). */
  ttl?: number;
  backend?: 'iptables' | 'nftables';
  /** Underlay MTU (veths and bridge). */
  mtu?: number;
}

export class TestCluster {
  readonly underlay: LabNs;
  readonly hosts: TestDaemon[] = [];
  readonly dir: string;
  etcd?: ChildProcess;
  etcdLog = '';

  private constructor(private readonly o: ClusterOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cluster-'));
    this.underlay = makeNs('ul');
  }

  get storeUrl(): string {
    return `etcd://${ETCD_IP}:2379`;
  }

  addr(i: number): string {
    return `${UNDERLAY_PREFIX}.${i + 1}`;
  }

  /** Build the lab and start etcd and every daemon; on failure everything is removed. */
  static async start(o: ClusterOptions): Promise<TestCluster> {
    const c = new TestCluster(o);
    try {
      await c.build();
      return c;
    } catch (err) {
      await c.destroy();
      throw err;
    }
  }

  private async build(): Promise<void> {
    const mtu = this.o.mtu ?? 1500;
    this.underlay.sh(`ip link add br0 mtu ${mtu} type bridge && ip addr add ${ETCD_IP}/24 dev br0 && ip link set br0 up`);
    const hostNs: LabNs[] = [];
    for (let i = 0; i < this.o.hosts; i++) {
      const ns = makeNs(`h${i + 1}`);
      hostNs.push(ns);
      this.underlay.sh(`ip link add p${i + 1} mtu ${mtu} type veth peer name eth0 netns ${ns.name} && ip link set p${i + 1} master br0 up`);
      ns.sh(`ip link set eth0 mtu ${mtu} && ip addr add ${this.addr(i)}/24 dev eth0 && ip link set eth0 up`);
      this.hosts.push(new TestDaemon(this.o.backend ?? 'nftables', ns, this.daemonArgs(i)));
    }
    await this.startEtcd();
    await Promise.all(this.hosts.map((h) => h.start()));
  }

  daemonArgs(i: number): string[] {
    return ['--cluster-store', this.storeUrl, '--advertise-addr', this.addr(i), '--cluster-ttl', String(this.o.ttl ?? 5)];
  }

  private async startEtcd(): Promise<void> {
    const data = path.join(this.dir, 'etcd');
    const url = `http://${ETCD_IP}:2379`;
    const p = spawn('nsenter', [`--net=${this.underlay.path}`, 'etcd', '--name', 'lab', '--data-dir', data,
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
      '--initial-cluster', 'lab=http://127.0.0.1:2380', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.etcd = p;
    p.stdout!.on('data', (d) => { this.etcdLog += d; });
    p.stderr!.on('data', (d) => { this.etcdLog += d; });
    await waitFor(() => {
      if (p.exitCode !== null) throw new Error(`etcd exited ${p.exitCode}: ${this.etcdLog}`);
      return this.underlay.try(`etcdctl --endpoints=${url} endpoint health`).code === 0;
    }, 'etcd to answer', 20_000);
  }

  /** etcdctl inside the lab (v3 API), e.g. ['get', '--prefix', '/weft/endpoint/']. */
  etcdctl(args: string[]): string {
    const r = spawnSync('nsenter', [`--net=${this.underlay.path}`, 'etcdctl', `--endpoints=http://${ETCD_IP}:2379`, ...args], { encoding: 'utf8' });
    return (r.stdout ?? '') + (r.stderr ?? '');
  }

  /** Run a command in host i's overlay namespace of the given VNI (ov-<vni>). */
  inOverlayNs(i: number, vni: number, cmd: string): { code: number; out: string } {
    const p = path.join(this.hosts[i].runDir, 'netns', `ov-${vni}`);
    const r = spawnSync('nsenter', [`--net=${p}`, 'sh', '-c', cmd], { encoding: 'utf8' });
    return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
  }

  async destroy(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.destroy().catch(() => undefined)));
    const e = this.etcd;
    // Once: a SIGKILLed child keeps exitCode null (signalCode is set), so test both.
    if (e?.pid && e.exitCode === null && e.signalCode === null) {
      const exited = new Promise((r) => e.once('exit', r));
      try { process.kill(e.pid, 'SIGKILL'); } catch { /* gone */ }
      await exited;
    }
    this.underlay.destroy();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
