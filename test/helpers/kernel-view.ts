/**
 * What the kernel and the process table hold for one TestDaemon, read from outside the
 * daemon (ip, nft, iptables-save, /proc), for the invariant checks in invariants.ts.
 * Everything here only reads; nothing is created or changed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Link { name: string; kind: string; master?: string; mac: string; addrs: string[] }

export interface Firewall {
  /** Our chain names (nft: from-/to-/nat-<id12>; iptables: WEFT-FROM-/WEFT-TO-/WEFT-NAT-<id12>). */
  chains: Set<string>;
  /** Bridges named in the per-bridge sets and maps (nftables only). */
  bridges: Set<string>;
  /** Subnets the masquerade maps or WEFT-POSTROUTING name. */
  masq: Set<string>;
  /** Published ports: "proto hostPort -> containerIp:containerPort" (hostIp prefixed when set). */
  dnat: { proto: string; hostIp?: string; hostPort: number; target: string; text: string }[];
  /** "containerIp proto port" accepted into a network (nftables only). */
  accept: Set<string>;
}

export interface Proc { pid: number; ppid: number; netns: string; cmdline: string; state: string; root: string }

export function run(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.status ? r.stderr ?? '' : '') };
}

/** Links and addresses of a namespace (a path), from `ip -j`; throws when it cannot be entered. */
export function links(nsPath: string): Link[] {
  const r = run('nsenter', [`--net=${nsPath}`, 'ip', '-j', '-d', 'addr']);
  if (r.code !== 0) throw new Error(r.out.trim());
  return (JSON.parse(r.out) as any[]).map((l) => ({
    name: l.ifname,
    kind: l.linkinfo?.info_kind ?? (l.link_type === 'loopback' ? 'loopback' : ''),
    master: l.master,
    mac: l.address ?? '',
    addrs: (l.addr_info ?? []).map((a: any) => `${a.local}/${a.prefixlen}`),
  }));
}

/** Mount points under dir (the netns mounts the daemon made), from our own mount table. */
export function mountsUnder(dir: string): Set<string> {
  const out = new Set<string>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp && path.dirname(mp) === dir) out.add(mp);
  }
  return out;
}

/** The network namespace inode of a netns file or process, or undefined. */
export function nsInode(p: string): string | undefined {
  try {
    return String(fs.statSync(p).ino);
  } catch {
    return undefined;
  }
}

export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/[\0\s]+/g, ' ').trim();
      const netns = /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${d}/ns/net`))?.[1] ?? '';
      const root = fs.readlinkSync(`/proc/${d}/root`);
      out.push({ pid: Number(d), ppid: Number(after[1]), state: after[0], netns, cmdline, root });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** The pids a process tree holds, starting from the given roots. */
export function descendants(procs: Proc[], roots: number[]): Set<number> {
  const seen = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (seen.has(p.ppid) && !seen.has(p.pid)) { seen.add(p.pid); grew = true; }
  }
  return seen;
}

export function firewall(nsPath: string, backend: 'nftables' | 'iptables'): Firewall {
  return backend === 'nftables' ? nftView(nsPath) : iptablesView(nsPath);
}

/** The bodies of `elements = { ... }` per set/map of table inet weft. */
function nftElements(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /\n\t(?:set|map) (\S+) \{([\s\S]*?)\n\t\}/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = /elements = \{([\s\S]*?)\}/.exec(m[2])?.[1] ?? '';
    out.set(m[1], body.split(',').map((e) => e.trim()).filter(Boolean));
  }
  return out;
}

function nftView(nsPath: string): Firewall {
  const r = run('nsenter', [`--net=${nsPath}`, 'nft', 'list', 'table', 'inet', 'weft']);
  const text = r.code === 0 ? r.out : '';
  const els = nftElements(text);
  const chains = new Set([...text.matchAll(/\n\tchain ((?:from|to|nat)-\S+) \{/g)].map((m) => m[1]));
  const bridges = new Set<string>();
  for (const set of ['bridges', 'net-from', 'net-to']) {
    for (const e of els.get(set) ?? []) bridges.add(e.split(' : ')[0].replace(/"/g, ''));
  }
  const masq = new Set([...(els.get('net-masq4') ?? []), ...(els.get('net-masq6') ?? [])].map((e) => e.split(' : ')[0]));
  const dnat: Firewall['dnat'] = [];
  for (const map of ['port-dnat4', 'port-dnat6', 'port-dnat4-any', 'port-dnat6-any']) {
    for (const e of els.get(map) ?? []) {
      const [key, value] = e.split(' : ');
      const k = key.split(' . ');
      const hostIp = k.length === 3 ? k.shift() : undefined;
      const [proto, port] = k;
      const [ip, cport] = value.split(' . ');
      dnat.push({ proto, hostIp, hostPort: Number(port), target: joinTarget(ip, cport), text: `${map} { ${e} }` });
    }
  }
  const accept = new Set([...(els.get('port-accept4') ?? []), ...(els.get('port-accept6') ?? [])]
    .map((e) => e.split(' . ').join(' ')));
  return { chains, bridges, masq, dnat, accept };
}

function joinTarget(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function iptablesView(nsPath: string): Firewall {
  const fw: Firewall = { chains: new Set(), bridges: new Set(), masq: new Set(), dnat: [], accept: new Set() };
  for (const tool of ['iptables-save', 'ip6tables-save']) {
    const r = run('nsenter', [`--net=${nsPath}`, tool]);
    for (const line of r.code === 0 ? r.out.split('\n') : []) {
      const chain = /^:(WEFT-(?:FROM|TO|NAT)-\S+)/.exec(line);
      if (chain) fw.chains.add(chain[1]);
      const masq = /^-A WEFT-POSTROUTING -s (\S+) -j WEFT-NAT-/.exec(line);
      if (masq) fw.masq.add(masq[1]);
      if (!line.startsWith('-A WEFT-DNAT-') || !line.includes('-j DNAT')) continue;
      const port = /--dport (\d+)/.exec(line)?.[1];
      const target = /--to-destination (\S+)/.exec(line)?.[1] ?? '';
      const proto = /-p (\w+)/.exec(line)?.[1] ?? '';
      const hostIp = /-d (\S+?)(?:\/(?:32|128))? /.exec(line)?.[1];
      fw.dnat.push({ proto, hostIp, hostPort: Number(port), target, text: line });
    }
  }
  return fw;
}
