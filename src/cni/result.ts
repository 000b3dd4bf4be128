/**
 * CNI results. Internally one shape (the 1.x one); `formatResult` writes it for the
 * config's version (0.4.0 tags each IP with its family), `parseResult` reads a result of
 * any supported version (prevResult, an IPAM plugin's output).
 */
import { ipVersion } from '../util/ip.js';
import type { Dns, Route } from './config.js';
import { CniError, CODE } from './errors.js';
import type { CniVersion } from './versions.js';

export interface Interface { name: string; mac?: string; sandbox?: string }
export interface IpConfig { address: string; gateway?: string; interface?: number }

export interface Result {
  interfaces: Interface[];
  ips: IpConfig[];
  routes: Route[];
  dns: Dns;
}

export function emptyResult(): Result {
  return { interfaces: [], ips: [], routes: [], dns: {} };
}

export function formatResult(r: Result, cniVersion: CniVersion): Record<string, unknown> {
  const ips = r.ips.map((x) => (cniVersion === '0.4.0' ? { version: String(ipVersion(x.address)), ...x } : { ...x }));
  return { cniVersion, interfaces: r.interfaces, ips, routes: r.routes, dns: r.dns };
}

function list<T>(v: unknown, what: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new CniError(CODE.decode, `${what} must be a list`);
  return v as T[];
}

export function parseResult(v: unknown, what = 'prevResult'): Result {
  if (!v || typeof v !== 'object') throw new CniError(CODE.decode, `${what} must be an object`);
  const o = v as Record<string, unknown>;
  const ips = list<Record<string, unknown>>(o.ips, `${what}.ips`).map((x) => {
    if (typeof x.address !== 'string') throw new CniError(CODE.decode, `${what}.ips[].address is required`);
    return {
      address: x.address,
      ...(typeof x.gateway === 'string' ? { gateway: x.gateway } : {}),
      ...(typeof x.interface === 'number' ? { interface: x.interface } : {}),
    };
  });
  return {
    interfaces: list<Interface>(o.interfaces, `${what}.interfaces`),
    ips,
    routes: list<Route>(o.routes, `${what}.routes`),
    dns: (o.dns as Dns | undefined) ?? {},
  };
}

/** Chaining: what an earlier plugin reported comes first; our interfaces are numbered after its. */
export function appendResult(prev: Result, mine: Result): Result {
  const offset = prev.interfaces.length;
  return {
    interfaces: [...prev.interfaces, ...mine.interfaces],
    ips: [...prev.ips, ...mine.ips.map((x) => (x.interface === undefined ? x : { ...x, interface: x.interface + offset }))],
    routes: [...prev.routes, ...mine.routes],
    dns: Object.keys(mine.dns).length ? mine.dns : prev.dns,
  };
}
