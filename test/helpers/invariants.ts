/**
 * Invariants of a running TestDaemon against the kernel of its host namespace, its sandbox
 * namespaces and the process table: what the API says exists must exist in the kernel, and
 * every weft kernel object or process must belong to something the API lists. Used after
 * each restart of the fault campaign (scripts/chaos.ts) and by fault tests.
 *
 * Each violation is one string "<kind>: <detail>"; violationKind() gives the kind.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestDaemon } from './daemon.js';
import { descendants, firewall, links, mountsUnder, nsInode, processes, type Firewall, type Link, type Proc } from './kernel-view.js';
import { probeMany } from './probe-many.js';

export interface InvariantOptions {
  /** Links of the host namespace that the test made itself (e.g. the neighbour's veth). */
  ignoreLinks?: string[];
  /** A neighbour namespace routed to the host: published ports are tried from there too. */
  neighbour?: { nsPath: string; hostIp: string };
  /** What a container's published TCP port answers (e.g. its name); without it, ports are not probed. */
  reply?: (containerName: string, containerPort: number) => string | undefined;
  /** TCP host ports once published by containers now stopped or removed: they must not answer. */
  gonePorts?: number[];
}

interface Endpoint { network: any; endpointId: string; ip4: string; ip6: string; prefix4: number; prefix6: number; mac: string }
interface Ctr {
  id: string; name: string; running: boolean; pid: number; sandbox: string; endpoints: Endpoint[]; ports: Port[];
  /** Networks the container lists with no endpoint id, or naming no network the API has. */
  dangling: string[];
}
interface Port { proto: string; containerPort: number; hostIp: string; hostPort: number }

/** What the API and the kernel hold, read once per check. */
interface View {
  d: TestDaemon;
  nets: any[];
  ctrs: Ctr[];
  host: Link[];
  sandboxes: Map<string, Link[] | string>;
  mounts: Set<string>;
  netnsFiles: string[];
  fw: Firewall;
  procs: Proc[];
}

export function violationKind(v: string): string {
  return v.slice(0, v.indexOf(':'));
}

export async function checkInvariants(d: TestDaemon, o: InvariantOptions = {}): Promise<string[]> {
  const v = await observe(d);
  const out = [
    ...endpointChecks(v),
    ...apiAgreement(v),
    ...duplicateAddresses(v),
    ...networkChecks(v),
    ...orphanLinks(v, new Set(o.ignoreLinks ?? [])),
    ...orphanNetns(v),
    ...firewallOrphans(v),
    ...processChecks(v),
  ];
  if (o.reply) out.push(...portChecks(v, o));
  return out;
}

async function observe(d: TestDaemon): Promise<View> {
  const nets: any[] = [];
  for (const n of await d.client.must<any[]>('GET', '/networks', 'list networks')) {
    const full = await d.client.json<any>('GET', `/networks/${n.Id}`).catch(() => undefined);
    if (full?.Driver === 'bridge') nets.push(full);
  }
  const list = await d.client.must<any[]>('GET', '/containers/json?all=1', 'list containers');
  const ctrs: Ctr[] = [];
  for (const c of list) {
    const info = await d.client.json<any>('GET', `/containers/${c.Id}/json`).catch(() => undefined);
    if (info) ctrs.push(toCtr(info, nets));
  }
  const nsDir = path.join(d.runDir, 'netns');
  const netnsFiles = fs.existsSync(nsDir) ? fs.readdirSync(nsDir).map((f) => path.join(nsDir, f)) : [];
  const mounts = mountsUnder(nsDir);
  const sandboxes = new Map<string, Link[] | string>();
  for (const f of netnsFiles) {
    try {
      sandboxes.set(f, links(f));
    } catch (err) {
      sandboxes.set(f, String(err));
    }
  }
  return { d, nets, ctrs, host: links(d.host.path), sandboxes, mounts, netnsFiles, fw: firewall(d.host.path, d.backend), procs: processes() };
}

function toCtr(info: any, nets: any[]): Ctr {
  const ns = info.NetworkSettings ?? {};
  const endpoints: Endpoint[] = [];
  const dangling: string[] = [];
  for (const [name, e] of Object.entries<any>(ns.Networks ?? {})) {
    const network = nets.find((n) => n.Id === e.NetworkID);
    if (!network || !e.EndpointID) {
      if (!['host', 'none'].includes(name)) dangling.push(`${name} (NetworkID "${e.NetworkID ?? ''}", EndpointID "${e.EndpointID ?? ''}")`);
      continue;
    }
    endpoints.push({ network, endpointId: e.EndpointID, ip4: e.IPAddress, ip6: e.GlobalIPv6Address, prefix4: e.IPPrefixLen,
      prefix6: e.GlobalIPv6PrefixLen, mac: e.MacAddress });
  }
  const ports: Port[] = [];
  for (const [key, binds] of Object.entries<any>(ns.Ports ?? {})) {
    const [cport, proto] = key.split('/');
    for (const b of binds ?? []) ports.push({ proto, containerPort: Number(cport), hostIp: b.HostIp, hostPort: Number(b.HostPort) });
  }
  return { id: info.Id, name: String(info.Name).replace(/^\//, ''), running: info.State?.Running === true, pid: info.State?.Pid ?? 0,
    sandbox: ns.SandboxKey ?? '', endpoints, ports, dangling };
}

export function bridgeOf(net: any): string {
  return net.Options?.['com.docker.network.bridge.name'] || (net.Name === 'bridge' ? 'weft0' : `br-${net.Id.slice(0, 12)}`);
}

const hostVeth = (endpointId: string): string => `veth${endpointId.slice(0, 7)}`;

function endpointChecks(v: View): string[] {
  const out: string[] = [];
  for (const c of v.ctrs.filter((x) => x.running)) {
    const who = `container ${c.name} (${c.id.slice(0, 12)})`;
    if (!(c.pid > 0) || !v.procs.some((p) => p.pid === c.pid && p.state !== 'Z')) out.push(`running-without-process: ${who} pid ${c.pid}`);
    if (!c.endpoints.length) continue;
    const sb = v.sandboxes.get(c.sandbox);
    if (!sb || typeof sb === 'string' || !v.mounts.has(c.sandbox)) {
      out.push(`running-without-sandbox: ${who} SandboxKey ${c.sandbox}: ${sb ?? 'no such file'}`);
      continue;
    }
    for (const e of c.endpoints) {
      const where = `${who} on ${e.network.Name}`;
      for (const [ip, prefix] of [[e.ip4, e.prefix4], [e.ip6, e.prefix6]] as const) {
        if (!ip) continue;
        const link = sb.find((l) => l.addrs.includes(`${ip}/${prefix}`));
        if (!link) out.push(`endpoint-address-missing: ${where}: no ${ip}/${prefix} in its sandbox (${describe(sb)})`);
        else if (e.mac && link.mac !== e.mac) out.push(`endpoint-mac-mismatch: ${where}: ${link.name} has ${link.mac}, API ${e.mac}`);
      }
      const veth = v.host.find((l) => l.name === hostVeth(e.endpointId));
      if (!veth) out.push(`endpoint-veth-missing: ${where}: no ${hostVeth(e.endpointId)} in the host namespace`);
      else if (veth.master !== bridgeOf(e.network)) {
        out.push(`endpoint-veth-wrong-bridge: ${where}: ${veth.name} master ${veth.master ?? 'none'}, expected ${bridgeOf(e.network)}`);
      }
    }
  }
  return out;
}

/** The container's and the network's side of the API tell the same story. */
function apiAgreement(v: View): string[] {
  const out: string[] = [];
  for (const c of v.ctrs.filter((x) => x.running)) {
    for (const d of c.dangling) out.push(`network-without-endpoint: running container ${c.name} lists network ${d}`);
    for (const e of c.endpoints) {
      if (!e.network.Containers?.[c.id]) out.push(`api-mismatch: container ${c.name} lists ${e.network.Name}, the network does not list it`);
    }
  }
  for (const n of v.nets) {
    for (const [id, e] of Object.entries<any>(n.Containers ?? {})) {
      const c = v.ctrs.find((x) => x.id === id);
      if (!c?.endpoints.some((x) => x.network.Id === n.Id && x.endpointId === e.EndpointID)) {
        out.push(`api-mismatch: network ${n.Name} lists ${e.Name} (${id.slice(0, 12)}) endpoint ${String(e.EndpointID).slice(0, 12)}, `
          + `the container ${c ? `(${c.running ? 'running' : 'stopped'}) does not` : 'does not exist'}`);
      }
    }
  }
  return out;
}

function describe(ls: Link[]): string {
  return ls.filter((l) => l.kind !== 'loopback').map((l) => `${l.name} ${l.addrs.join(' ')}`).join('; ') || 'no interfaces';
}

/** No IPv4/IPv6 address (loopback and link-local aside) on two interfaces, across all namespaces. */
function duplicateAddresses(v: View): string[] {
  const seen = new Map<string, string[]>();
  const add = (where: string, ls: Link[]) => {
    for (const l of ls) {
      if (l.kind === 'loopback') continue;
      for (const a of l.addrs) {
        const ip = a.split('/')[0];
        if (ip.startsWith('fe80:')) continue;
        seen.set(ip, [...(seen.get(ip) ?? []), `${where}/${l.name}`]);
      }
    }
  };
  add('host', v.host);
  for (const [f, ls] of v.sandboxes) if (typeof ls !== 'string') add(path.basename(f), ls);
  return [...seen].filter(([, at]) => at.length > 1).map(([ip, at]) => `address-on-two-interfaces: ${ip} on ${at.join(', ')}`);
}

/** Every network record has its bridge, gateway addresses and firewall chains. */
function networkChecks(v: View): string[] {
  const out: string[] = [];
  for (const n of v.nets) {
    const br = bridgeOf(n);
    const who = `network ${n.Name} (${n.Id.slice(0, 12)})`;
    const link = v.host.find((l) => l.name === br);
    if (link?.kind !== 'bridge') {
      out.push(`network-bridge-missing: ${who}: no bridge ${br}`);
      continue;
    }
    for (const cfg of n.IPAM?.Config ?? []) {
      const prefix = String(cfg.Subnet).split('/')[1];
      if (cfg.Gateway && !n.Internal && !link.addrs.includes(`${cfg.Gateway}/${prefix}`)) {
        out.push(`network-gateway-missing: ${who}: ${br} lacks ${cfg.Gateway}/${prefix} (has ${link.addrs.join(' ')})`);
      }
    }
    const id = n.Id.slice(0, 12);
    const want = v.d.backend === 'nftables' ? [`from-${id}`, `to-${id}`] : [`WEFT-FROM-${id}`, `WEFT-TO-${id}`];
    for (const ch of want) if (!v.fw.chains.has(ch)) out.push(`network-firewall-missing: ${who}: no chain ${ch}`);
    if (v.d.backend === 'nftables' && !v.fw.bridges.has(br)) out.push(`network-firewall-missing: ${who}: ${br} not in the bridge maps`);
  }
  return out;
}

function orphanLinks(v: View, ignore: Set<string>): string[] {
  const bridges = new Set(v.nets.map(bridgeOf));
  const veths = new Set(v.ctrs.filter((c) => c.running).flatMap((c) => c.endpoints.map((e) => hostVeth(e.endpointId))));
  const out: string[] = [];
  for (const l of v.host) {
    if (l.kind === 'loopback' || ignore.has(l.name)) continue;
    if (l.kind === 'bridge' && !bridges.has(l.name)) out.push(`orphan-bridge: ${l.name} (${l.addrs.join(' ')}) has no network`);
    else if (l.kind !== 'bridge' && !veths.has(l.name)) {
      out.push(`orphan-link: ${l.kind} ${l.name} master ${l.master ?? 'none'} is no running container's endpoint`);
    }
  }
  return out;
}

function orphanNetns(v: View): string[] {
  const owned = new Map(v.ctrs.filter((c) => c.sandbox).map((c) => [c.sandbox, c]));
  const out: string[] = [];
  for (const f of v.netnsFiles) {
    const c = owned.get(f);
    if (!v.mounts.has(f)) out.push(`stale-netns-file: ${f} is not a namespace mount${c ? ` (SandboxKey of ${c.name})` : ''}`);
    else if (!c?.running) out.push(`orphan-netns: ${f} ${c ? `belongs to stopped container ${c.name}` : 'has no container'}`);
  }
  return out;
}

/** Firewall objects without a record, and published ports without their DNAT. */
function firewallOrphans(v: View): string[] {
  const out: string[] = [];
  const ids = new Set(v.nets.map((n) => n.Id.slice(0, 12)));
  for (const ch of v.fw.chains) {
    if (!ids.has(ch.slice(ch.lastIndexOf('-') + 1))) out.push(`orphan-firewall-chain: ${ch} has no network`);
  }
  const bridges = new Set(v.nets.map(bridgeOf));
  for (const b of v.fw.bridges) if (!bridges.has(b)) out.push(`orphan-firewall-bridge: ${b} in the bridge maps has no network`);
  const subnets = new Set(v.nets.flatMap((n) => (n.IPAM?.Config ?? []).map((c: any) => c.Subnet)));
  for (const s of v.fw.masq) if (!subnets.has(s)) out.push(`orphan-firewall-masq: ${s} has no network`);
  const running = v.ctrs.filter((c) => c.running);
  const targets = (c: Ctr, p: Port) => c.endpoints.flatMap((e) => [e.ip4, e.ip6].filter(Boolean)
    .map((ip) => (ip.includes(':') ? `[${ip}]:${p.containerPort}` : `${ip}:${p.containerPort}`)));
  for (const r of v.fw.dnat) {
    const owner = running.find((c) => c.ports.some((p) => p.proto === r.proto && p.hostPort === r.hostPort && targets(c, p).includes(r.target)));
    if (!owner) out.push(`orphan-firewall-port: ${r.text} (no running container publishes ${r.proto} ${r.hostPort} to ${r.target})`);
  }
  for (const a of v.fw.accept) {
    const [ip, proto, port] = a.split(' ');
    const ok = running.some((c) => c.ports.some((p) => p.proto === proto && p.containerPort === Number(port))
      && c.endpoints.some((e) => e.ip4 === ip || e.ip6 === ip));
    if (!ok) out.push(`orphan-firewall-accept: ${a} is no running container's published port`);
  }
  for (const c of running) {
    for (const p of c.ports) {
      if (!v.fw.dnat.some((r) => r.proto === p.proto && r.hostPort === p.hostPort && targets(c, p).includes(r.target))) {
        out.push(`published-port-without-rule: container ${c.name} ${p.proto} ${p.hostIp}:${p.hostPort} -> ${p.containerPort}`);
      }
    }
  }
  return out;
}

/** Every container process (by its runtime directory, or by its sandbox) belongs to a running container. */
function processChecks(v: View): string[] {
  const out: string[] = [];
  const byId = new Map(v.ctrs.map((c) => [c.id, c]));
  const dir = `${path.join(v.d.root, 'containers')}/`;
  const roots = new Map<string, number[]>();
  for (const p of v.procs) {
    // The shim and init name the container's directory; the command runs chrooted below it.
    const where = p.root.startsWith(dir) ? p.root : p.cmdline;
    const at = where.indexOf(dir);
    if (at < 0 || p.state === 'Z') continue;
    const id = where.slice(at + dir.length).split(/[/ ]/)[0];
    roots.set(id, [...(roots.get(id) ?? []), p.pid]);
  }
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    for (const f of ['pid', 'init.pid']) {
      const pid = Number(readOr(path.join(dir, id, f)));
      if (pid > 1 && v.procs.some((p) => p.pid === pid && p.state !== 'Z')) roots.set(id, [...(roots.get(id) ?? []), pid]);
    }
  }
  for (const [id, pids] of roots) {
    const c = byId.get(id);
    if (c?.running) continue;
    const tree = [...descendants(v.procs, pids)].map((pid) => v.procs.find((p) => p.pid === pid)).filter((p) => p && p.state !== 'Z');
    out.push(`orphan-process: container ${id.slice(0, 12)} (${c ? `API: ${c.name} not running` : 'unknown to the API'}) has `
      + tree.map((p) => `${p!.pid} "${p!.cmdline.slice(0, 80)}"`).join(', '));
  }
  const sandboxOf = new Map<string, Ctr | undefined>();
  for (const f of v.netnsFiles) {
    const ino = nsInode(f);
    if (ino) sandboxOf.set(ino, v.ctrs.find((c) => c.sandbox === f));
  }
  for (const p of v.procs) {
    if (!sandboxOf.has(p.netns) || p.state === 'Z') continue;
    const c = sandboxOf.get(p.netns);
    if (!c?.running) out.push(`orphan-process-in-sandbox: ${p.pid} "${p.cmdline.slice(0, 80)}" in netns of ${c ? `stopped ${c.name}` : 'no container'}`);
  }
  return out;
}

function readOr(f: string): string {
  try {
    return fs.readFileSync(f, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Published TCP ports answer from their own container; ports of gone containers do not answer. */
function portChecks(v: View, o: InvariantOptions): string[] {
  const hostIps = o.neighbour ? [o.neighbour.hostIp] : [];
  const want: { port: number; expect: string; who: string }[] = [];
  const live = new Set<number>();
  for (const c of v.ctrs.filter((x) => x.running)) {
    for (const p of c.ports.filter((x) => x.proto === 'tcp' && (x.hostIp === '0.0.0.0' || x.hostIp === ''))) {
      live.add(p.hostPort);
      const expect = o.reply!(c.name, p.containerPort);
      if (expect) want.push({ port: p.hostPort, expect, who: `${c.name} ${p.hostPort}->${p.containerPort}` });
    }
  }
  const gone = [...new Set(o.gonePorts ?? [])].filter((p) => !live.has(p));
  const out: string[] = [];
  const paths: { ns: string; ip: string; from: string }[] = [
    { ns: v.d.host.path, ip: '127.0.0.1', from: 'host ns to 127.0.0.1' },
    ...hostIps.map((ip) => ({ ns: v.d.host.path, ip, from: `host ns to ${ip}` })),
    ...hostIps.map((ip) => ({ ns: o.neighbour!.nsPath, ip, from: `neighbour to ${ip}` })),
  ];
  for (const via of paths) {
    const targets = [...want.map((w) => w.port), ...gone];
    const answers = probeMany(via.ns, via.ip, targets);
    want.forEach((w, i) => {
      if (!answers[i].includes(w.expect)) {
        out.push(`published-port-not-answering: ${w.who} from ${via.from}: got ${JSON.stringify(body(answers[i]))}`);
      }
    });
    gone.forEach((port, i) => {
      const a = answers[want.length + i];
      if (a) out.push(`removed-port-answers: port ${port} from ${via.from} answered ${JSON.stringify(body(a))}`);
    });
  }
  return out;
}

/** What an HTTP answer carries (the container's name), or the start of whatever else came back. */
function body(answer: string): string {
  const at = answer.indexOf('\r\n\r\n');
  return (at >= 0 ? answer.slice(at + 4) : answer).trim().slice(0, 60);
}
