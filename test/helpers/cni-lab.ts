/**
 * The set-up the CNI integration files share: a lab "host" namespace and the container
 * namespaces of a test file, its state directory, a configuration builder, the host's
 * links, a web server in a container, and the clean-up of all of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attach } from './cni.js';
import { type LabNs, makeNs } from './lab.js';

/** The CNI_* side of a call: verb, container id, its namespace and interface. */
export function at(command: string, id: string, ns?: LabNs, ifname = 'eth0'): Attach {
  return { command, containerId: id, ifname, ...(ns ? { netns: ns.path } : {}) };
}

export class CniLab {
  readonly host: LabNs;
  /** The state directory (dataDir) of every configuration conf() builds. */
  readonly data: string;
  private readonly spaces: LabNs[] = [];
  private readonly servers: ChildProcess[] = [];
  private readonly dirs: string[] = [];

  /** base: the network's own keys (name, bridge, ipam, ...), read at every conf(). */
  constructor(private readonly prefix: string, private readonly base: () => Record<string, unknown>) {
    this.host = makeNs(`${prefix}h`);
    this.data = this.tempDir('data');
  }

  container(): LabNs {
    return this.adopt(makeNs(`${this.prefix}c`));
  }

  /** Destroyed with the lab. */
  adopt(ns: LabNs): LabNs {
    this.spaces.push(ns);
    return ns;
  }

  conf(extra: Record<string, unknown> = {}, version = '1.1.0'): Record<string, unknown> {
    return {
      cniVersion: version, type: 'weft-cni', isGateway: true, isDefaultGateway: true, ipMasq: true, dataDir: this.data,
      ...this.base(), ...extra,
    };
  }

  /** A temporary directory removed with the lab. */
  tempDir(tag: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-${tag}-`));
    this.dirs.push(dir);
    return dir;
  }

  hostLinks(): string[] {
    return this.host.sh('ip -o link show').split('\n').filter(Boolean).map((l) => l.split(': ')[1].split('@')[0]);
  }

  veths(): string[] {
    return this.hostLinks().filter((l) => l.startsWith('veth'));
  }

  /** busybox httpd on port 80 in ns, answering `text`. */
  serve(ns: LabNs, text: string): void {
    const root = this.tempDir('www');
    fs.writeFileSync(path.join(root, 'index.html'), `${text}\n`);
    this.servers.push(spawn('ip', ['netns', 'exec', ns.name, 'busybox', 'httpd', '-f', '-p', '80', '-h', root], { stdio: 'ignore' }));
  }

  /** The page at url fetched from ns, retried for a few seconds while the server starts; '' if it never answers. */
  get(ns: LabNs, url: string): string {
    for (let i = 0; i < 20; i++) {
      const r = ns.try(`timeout 3 busybox wget -qO- ${url}`);
      if (r.code === 0) return r.out;
      ns.try('sleep 0.2');
    }
    return '';
  }

  destroy(): void {
    for (const s of this.servers) s.kill();
    for (const s of this.spaces) s.destroy();
    this.host.destroy();
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}
