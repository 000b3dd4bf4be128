/**
 * `-p/--publish` parsing, a port of docker's go-connections nat.ParsePortSpec, and the
 * ExposedPorts / PortBindings maps the create body carries:
 *   80                   container 80/tcp, random host port   {"HostIp":"","HostPort":""}
 *   8080:80              host 8080                            {"HostIp":"","HostPort":"8080"}
 *   127.0.0.1:8080:80    on one host address
 *   127.0.0.1::80        on one host address, random port
 *   [::1]:8080:80        IPv6 host address (brackets stripped)
 *   8080:80/udp          protocol (tcp, udp, sctp)
 *   8000-8009:80-89      ranges, paired one to one
 *   8000-8009:80         one container port, host port picked from the range ("8000-8009")
 */
import net from 'node:net';
import { UsageError } from './client.js';

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface PortMapping {
  /** "80/tcp" */
  port: string;
  binding: PortBinding;
}

function splitParts(raw: string): { ip: string; hostPort: string; containerPort: string } {
  const parts = raw.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1]!;
  switch (n) {
    case 1: return { ip: '', hostPort: '', containerPort };
    case 2: return { ip: '', hostPort: parts[0]!, containerPort };
    case 3: return { ip: parts[0]!, hostPort: parts[1]!, containerPort };
    default: return { ip: parts.slice(0, n - 2).join(':'), hostPort: parts[n - 2]!, containerPort };
  }
}

/** "80/udp" -> ["udp", "80"]; no protocol means tcp. */
export function splitProtoPort(raw: string): { proto: string; port: string } {
  const parts = raw.split('/');
  if (raw.length === 0 || parts.length === 0 || parts[0]!.length === 0) return { proto: '', port: '' };
  if (parts.length === 1) return { proto: 'tcp', port: raw };
  if (parts[1]!.length === 0) return { proto: 'tcp', port: parts[0]! };
  return { proto: parts[1]!, port: parts[0]! };
}

function parsePortNumber(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** "8000-8009" or "80" -> [start, end]; throws on junk or a reversed range. */
export function parsePortRange(s: string): [number, number] {
  if (s === '') throw new UsageError('empty string specified for ports');
  if (!s.includes('-')) {
    const p = parsePortNumber(s);
    if (p === undefined) throw new UsageError(`invalid port: ${s}`);
    return [p, p];
  }
  const [a, b] = s.split('-', 2) as [string, string];
  const start = parsePortNumber(a);
  const end = parsePortNumber(b);
  if (start === undefined || end === undefined) throw new UsageError(`invalid port range: ${s}`);
  if (end < start) throw new UsageError(`invalid range specified for port: ${s}`);
  return [start, end];
}

/** Parse one -p value into mappings, with docker's error messages. */
export function parsePortSpec(raw: string): PortMapping[] {
  const parts = splitParts(raw);
  let ip = parts.ip;
  const hostPort = parts.hostPort;
  const { proto: rawProto, port: containerPort } = splitProtoPort(parts.containerPort);

  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) throw new UsageError(`invalid IP address ${ip}: missing ']' in address`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && net.isIP(ip) === 0) throw new UsageError(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new UsageError(`no port specified: ${raw}<empty>`);

  let start: number, end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new UsageError(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0, hostEnd = 0;
  if (hostPort !== '') {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new UsageError(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new UsageError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  const proto = rawProto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new UsageError(`invalid proto: ${proto}`);

  const out: PortMapping[] = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort === '' ? '' : String(hostStart + i);
    if (start === end && hostStart !== hostEnd) hp = `${hostPort === '' ? '' : hostStart}-${hostEnd}`;
    out.push({ port: `${start + i}/${proto}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** ExposedPorts and PortBindings for every -p, plus bare --expose ports. */
export function portMaps(publish: string[], expose: string[] = []): {
  exposedPorts: Record<string, Record<string, never>>;
  portBindings: Record<string, PortBinding[]>;
} {
  const exposedPorts: Record<string, Record<string, never>> = {};
  const portBindings: Record<string, PortBinding[]> = {};
  for (const spec of publish) {
    for (const m of parsePortSpec(spec)) {
      exposedPorts[m.port] = {};
      (portBindings[m.port] ??= []).push(m.binding);
    }
  }
  for (const e of expose) {
    const { proto, port } = splitProtoPort(e);
    const [s, t] = parsePortRange(port);
    for (let p = s; p <= t; p++) exposedPorts[`${p}/${proto.toLowerCase()}`] = {};
  }
  return { exposedPorts, portBindings };
}
