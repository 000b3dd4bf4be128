/**
 * The host as the packet path sees it, read from the daemon's network namespace
 * (`ip -j addr`, `ip -j route`): which addresses are its own and which interface a
 * destination is routed through (longest prefix of the main table).
 */
import type { HostView } from '../contracts/explain.js';
import { cidrContains, ipVersion, splitCidr } from '../util/ip.js';
import { runCommand } from './exec.js';

interface Address { dev: string; ip: string }
interface Route { dev: string; dst: string; prefix: number }

export async function readHostView(netnsPath?: string): Promise<HostView> {
  const run = async (argv: string[]) => JSON.parse((await runCommand(argv, { netnsPath })) || '[]') as unknown[];
  const [links, r4, r6] = await Promise.all([
    run(['ip', '-j', 'addr', 'show']), run(['ip', '-4', '-j', 'route', 'show']), run(['ip', '-6', '-j', 'route', 'show']),
  ]);
  return hostView(addressesOf(links), [...r4.map((r) => routeOf(r, 4)), ...r6.map((r) => routeOf(r, 6))].flat());
}

function addressesOf(links: unknown[]): Address[] {
  return links.flatMap((l) => {
    const link = l as { ifname?: string; addr_info?: { local?: string }[] };
    return (link.addr_info ?? []).flatMap((a) => (a.local ? [{ dev: String(link.ifname), ip: a.local }] : []));
  });
}

function routeOf(r: unknown, family: 4 | 6): Route[] {
  const { dst, dev } = r as { dst?: string; dev?: string };
  if (!dst || !dev) return [];
  if (dst === 'default') return [{ dev, dst: family === 4 ? '0.0.0.0' : '::', prefix: 0 }];
  const { ip, prefix } = splitCidr(dst.includes('/') ? dst : `${dst}/${ipVersion(dst) === 4 ? 32 : 128}`);
  return [{ dev, dst: ip, prefix }];
}

/** A view over fixed addresses and routes (its own function so tests can build one). */
export function hostView(addrs: Address[], routes: Route[]): HostView {
  const route = (addr: string) => {
    const fam = ipVersion(addr);
    const hits = routes.filter((r) => ipVersion(r.dst) === fam && cidrContains(`${r.dst}/${r.prefix}`, addr));
    return hits.sort((a, b) => b.prefix - a.prefix)[0]?.dev;
  };
  return {
    isLocal: (a) => addrs.some((x) => x.ip === a) || (ipVersion(a) === 4 && a.startsWith('127.')),
    route,
    primaryAddress: (family) => {
      const mine = addrs.filter((a) => ipVersion(a.ip) === family && a.dev !== 'lo' && !a.ip.startsWith('fe80:'));
      const viaDefault = routes.find((r) => r.prefix === 0 && ipVersion(r.dst) === family)?.dev;
      return (mine.find((a) => a.dev === viaDefault) ?? mine[0])?.ip;
    },
  };
}
