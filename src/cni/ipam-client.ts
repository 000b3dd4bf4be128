/**
 * The interface plugin's side of IPAM: weft's own in-process (type "weft-ipam", no second
 * process per operation), or any IPAM plugin exec'd from CNI_PATH the way runtimes exec
 * plugins (host-local, dhcp, ...), with the same environment and configuration.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../contracts/store.js';
import type { NetConf } from './config.js';
import { CniError, CODE } from './errors.js';
import type { Invocation } from './invocation.js';
import { type Attachment, CniIpam } from './ipam.js';
import { parseResult, type Result } from './result.js';
import { withState } from './state-dir.js';

export const WEFT_IPAM = 'weft-ipam';
export const DEFAULT_DIR = '/var/lib/weft-cni';

export interface IpamClient {
  add(a: Attachment): Promise<Result>;
  del(a: Attachment): Promise<void>;
  check(a: Attachment, ips: string[]): Promise<void>;
  gc(valid: Set<string>): Promise<void>;
  status(): Promise<void>;
}

export function ipamDir(conf: NetConf): string {
  return conf.ipam?.dataDir ?? path.join(conf.dataDir ?? DEFAULT_DIR, 'ipam');
}

export function ipamClient(conf: NetConf, inv: Invocation, shared: { dir: string; store: Store }): IpamClient {
  if (!conf.ipam) throw new CniError(CODE.invalidConfig, 'ipam is required');
  if (conf.ipam.type === WEFT_IPAM) return new InProcessIpam(conf, ipamDir(conf), shared);
  return new ExecIpam(conf, inv);
}

class InProcessIpam implements IpamClient {
  constructor(private readonly conf: NetConf, private readonly dir: string, private readonly shared: { dir: string; store: Store }) {}

  add(a: Attachment): Promise<Result> {
    return this.run((ipam) => ipam.add(this.conf.ipam!, a, this.conf.ips));
  }

  del(a: Attachment): Promise<void> {
    return this.run((ipam) => ipam.del(a));
  }

  async check(a: Attachment, ips: string[]): Promise<void> {
    const owned = await this.run((ipam) => ipam.owned(a));
    const missing = ips.filter((ip) => !owned?.includes(ip));
    if (missing.length) throw new CniError(CODE.checkFailed, `IPAM does not hold ${missing.join(', ')} for ${a.containerId}/${a.ifname}`);
  }

  async gc(valid: Set<string>): Promise<void> {
    await this.run((ipam) => ipam.gc(valid));
  }

  async status(): Promise<void> {
    await this.run(async () => undefined);
  }

  /** The interface plugin's own store when both live in one directory (one lock), else the IPAM directory's. */
  private run<T>(fn: (ipam: CniIpam) => Promise<T>): Promise<T> {
    if (path.resolve(this.dir) === path.resolve(this.shared.dir)) return fn(new CniIpam(this.shared.store, this.conf.name));
    return withState(this.dir, (s) => fn(new CniIpam(s.store, this.conf.name)));
  }
}

class ExecIpam implements IpamClient {
  private readonly binary: string;

  constructor(private readonly conf: NetConf, private readonly inv: Invocation) {
    const type = conf.ipam!.type;
    const found = inv.path.map((d) => path.join(d, type)).find((p) => isExecutable(p));
    if (!found) throw new CniError(CODE.notAvailable, `failed to find IPAM plugin "${type}" in CNI_PATH ${JSON.stringify(inv.path)}`);
    this.binary = found;
  }

  async add(): Promise<Result> {
    return parseResult(this.exec('ADD'), `IPAM plugin ${this.conf.ipam!.type} result`);
  }

  async del(): Promise<void> {
    this.exec('DEL');
  }

  async check(): Promise<void> {
    this.exec('CHECK');
  }

  async gc(): Promise<void> {
    this.exec('GC');
  }

  async status(): Promise<void> {
    this.exec('STATUS');
  }

  private exec(command: string): unknown {
    const r = spawnSync(this.binary, [], {
      env: { ...this.inv.env, CNI_COMMAND: command }, input: JSON.stringify(this.conf.raw), encoding: 'utf8',
    });
    if (r.error) throw new CniError(CODE.notAvailable, `cannot run IPAM plugin ${this.binary}`, r.error.message);
    const out = r.stdout.trim() ? safeJson(r.stdout) : undefined;
    if (r.status !== 0) {
      const e = (out ?? {}) as { code?: number; msg?: string; details?: string };
      throw new CniError(e.code ?? CODE.failed, `IPAM plugin ${this.conf.ipam!.type}: ${e.msg ?? r.stderr.trim()}`, e.details);
    }
    return out;
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new CniError(CODE.decode, 'IPAM plugin printed something that is not JSON', s.slice(0, 200));
  }
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
