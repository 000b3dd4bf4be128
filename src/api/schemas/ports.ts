/** Port keys ("80/tcp", "8000-8010/udp") and HostConfig.PortBindings. */
import net from 'node:net';
import type { PortBinding, Protocol } from '../../contracts/firewall.js';
import { InvalidArgument } from '../../util/errors.js';
import { decode, objOf, str } from './fields.js';

/** A port or a port range "N" / "N-M", each 1..65535 (0 and "" mean "any" for host ports). */
function checkPortRange(v: string, allowEmpty: boolean): void {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  const ok = (x: string | undefined) => x === undefined || (Number(x) >= (allowEmpty ? 0 : 1) && Number(x) <= 65535);
  if (v === '' && allowEmpty) return;
  if (!m || !ok(m[1]) || !ok(m[2]) || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
    throw new InvalidArgument(`invalid port specification: "${v}"`);
  }
}

export function parsePortKey(key: string): { port: number; end?: number; proto: Protocol } {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(key);
  if (!m) throw new InvalidArgument(`invalid port specification: "${key}"`);
  // Docker 29 refuses container port 0 (it would DNAT to nothing), naming it with its protocol.
  if (Number(m[1]) === 0) throw new InvalidArgument(`invalid port specification: "0/${m[3] ?? 'tcp'}"`);
  checkPortRange(m[2] ? `${m[1]}-${m[2]}` : m[1], false);
  return { port: Number(m[1]), ...(m[2] ? { end: Number(m[2]) } : {}), proto: (m[3] ?? 'tcp') as Protocol };
}

const portBinding = objOf('PortBindings', { HostIp: str('PortBindings.HostIp'), HostPort: str('PortBindings.HostPort') });

/** One binding of a port key; a value that is not an object binds any address, any port. */
function decodeBinding(b: unknown, key: { port: number; end?: number; proto: Protocol }): PortBinding {
  const o = decode(portBinding, b !== null && typeof b === 'object' && !Array.isArray(b) ? b : undefined);
  const hostIp = (o?.HostIp ?? '').replace(/^\[|\]$/g, '');
  const hp = o?.HostPort ?? '';
  checkPortRange(hp, true);
  if (hostIp && !net.isIP(hostIp)) throw new InvalidArgument(`invalid host IP address: ${hostIp}`);
  const m = /^(\d*)(?:-(\d+))?$/.exec(hp);
  if (!m) throw new InvalidArgument(`invalid host port "${hp}"`);
  // "0" alone is a random port; a range from 0 is refused in dockerd's portallocator's words.
  if (m[1] === '0' && m[2] && m[2] !== '0') throw new InvalidArgument(`invalid port range: ${hp}`);
  return {
    proto: key.proto,
    hostIp,
    hostPort: m[1] ? Number(m[1]) : 0,
    ...(m[2] ? { hostPortEnd: Number(m[2]) } : {}),
    containerPort: key.port,
    ...(key.end ? { containerPortEnd: key.end } : {}),
  };
}

/** HostConfig.PortBindings: {"80/tcp": [{HostIp, HostPort}]}; a null list publishes nothing. */
export function decodePortBindings(pb: { [key: string]: unknown }): PortBinding[] {
  const out: PortBinding[] = [];
  for (const [k, list] of Object.entries(pb)) {
    const key = parsePortKey(k);
    if (list === null) continue;
    if (!Array.isArray(list)) throw new InvalidArgument(`invalid HostConfig.PortBindings[${k}]: must be an array`);
    for (const b of list) out.push(decodeBinding(b, key));
  }
  return out;
}
