/**
 * Summary of a V8 .cpuprofile (node --cpu-prof): self time by area (a weft source folder,
 * an npm package, node internals, GC, idle) and by function. Sync syscalls (fsync,
 * spawnSync, netlink done synchronously, libnftables through koffi) count as the self time
 * of the JS function that made them.
 *
 *   node dist/scripts/bench/profile.js FILE.cpuprofile [--top 15]
 */
import fs from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  areas: { area: string; ms: number }[];
  functions: { fn: string; area: string; ms: number }[];
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  const own = /dist\/((?:src|drivers|ipam)\/[^/]+)/.exec(url);
  if (own) return own[1];
  return url.replace(/^file:\/\//, '');
}

export function summarize(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frame = (cf: CallFrame) => `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-1)[0]}:${cf.lineNumber + 1}`;
  /** A native frame (a sync syscall) is named with the nearest JS caller outside node internals. */
  const caller = (id: number): string => {
    for (let q = parent.get(id); q !== undefined; q = parent.get(q)) {
      const cf = byId.get(q)!.callFrame;
      if (cf.url && !cf.url.startsWith('node:')) return ` <- ${frame(cf)}`;
    }
    return '';
  };
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const areas = new Map<string, number>();
  const fns = new Map<string, { area: string; ms: number }>();
  let busy = 0;
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame;
    const a = area(cf.url, cf.functionName);
    areas.set(a, (areas.get(a) ?? 0) + ms);
    if (a !== '(idle)') busy += ms;
    const own = cf.url && !cf.url.startsWith('node:');
    const key = own ? frame(cf) : `${cf.functionName || '(anonymous)'}${cf.url ? ` ${cf.url}` : ''}${caller(id)}`;
    const f = fns.get(key) ?? { area: a, ms: 0 };
    f.ms += ms;
    fns.set(key, f);
  }
  return {
    totalMs: (p.endTime - p.startTime) / 1000,
    busyMs: busy,
    areas: [...areas].map(([a, ms]) => ({ area: a, ms })).sort((x, y) => y.ms - x.ms).slice(0, top),
    functions: [...fns].map(([fn, f]) => ({ fn, ...f })).filter((f) => f.area !== '(idle)').sort((x, y) => y.ms - x.ms).slice(0, top),
  };
}

export function profileTable(title: string, s: ProfileSummary): string {
  const out = [`${title}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s on the main thread (not idle)`];
  out.push('  self time by area:');
  for (const a of s.areas) {
    out.push(`    ${a.area.padEnd(40)} ${(a.ms).toFixed(0).padStart(7)} ms  ${((a.ms / s.totalMs) * 100).toFixed(1).padStart(5)}%`);
  }
  out.push('  self time by function (main thread, idle excluded):');
  for (const f of s.functions) out.push(`    ${f.fn.slice(0, 80).padEnd(80)} ${f.area.padEnd(20)} ${(f.ms).toFixed(0).padStart(7)} ms`);
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--top');
  const file = process.argv[2];
  if (!file) throw new Error('usage: bench/profile.js FILE.cpuprofile [--top 15]');
  console.log(profileTable(file, summarize(file, i > 0 ? Number(process.argv[i + 1]) : 15)));
}
