/**
 * Human-readable renderings the docker CLI (and dockerd) use, ported so weft prints the
 * same thing: go-units HumanDuration, the container State.String() of dockerd
 * ("Up 3 seconds", "Exited (0) 2 seconds ago", "Created"), the PORTS column
 * (DisplayablePorts), Go's time.Time.String(), and the CLI's Ellipsis.
 *
 * Pure functions, with `now` injectable. `ps` prints the daemon's `Status` field verbatim, as
 * docker does; stateString() only fills in for a daemon that leaves it empty.
 */
import { humanDuration } from '../../util/humanize.js';
import { joinHostPort } from '../../util/ip.js';

export { humanDuration, joinHostPort };

/** The CREATED column: "5 seconds ago", from unix seconds (ContainerSummary.Created). */
export function runningFor(createdUnixSeconds: number | undefined, now: number = Date.now()): string {
  if (!createdUnixSeconds) return '';
  return `${humanDuration(now - createdUnixSeconds * 1000)} ago`;
}

/** Parse an RFC 3339 time; the Go zero time ("0001-01-01T00:00:00Z") and junk give undefined. */
export function parseTime(s: string | undefined | null): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  if (Number.isNaN(t) || t <= Date.parse('0001-01-02T00:00:00Z')) return undefined;
  return t;
}

export interface StateLike {
  Status?: string;
  Running?: boolean;
  Paused?: boolean;
  Restarting?: boolean;
  Dead?: boolean;
  ExitCode?: number;
  StartedAt?: string;
  FinishedAt?: string;
  Health?: { Status?: string } | null;
}

/** dockerd's container State.String(): what `docker ps` shows in STATUS. */
export function stateString(state: StateLike, now: number = Date.now()): string {
  const started = parseTime(state.StartedAt);
  const finished = parseTime(state.FinishedAt);
  const since = (t: number | undefined) => humanDuration(t === undefined ? 0 : now - t);
  if (state.Running || state.Status === 'running' || state.Status === 'paused' || state.Status === 'restarting') {
    if (state.Paused || state.Status === 'paused') return `Up ${since(started)} (Paused)`;
    if (state.Restarting || state.Status === 'restarting') {
      return `Restarting (${state.ExitCode ?? 0}) ${since(finished)} ago`;
    }
    const health = state.Health?.Status;
    if (health && health !== 'none') return `Up ${since(started)} (${health === 'starting' ? 'health: starting' : health})`;
    return `Up ${since(started)}`;
  }
  if (state.Status === 'removing') return 'Removal In Progress';
  if (state.Dead || state.Status === 'dead') return 'Dead';
  if (started === undefined) return 'Created';
  if (finished === undefined) return '';
  return `Exited (${state.ExitCode ?? 0}) ${since(finished)} ago`;
}

/** The docker CLI's Ellipsis: cut to maxWidth characters, the last one being "…". */
export function ellipsis(s: string, maxWidth: number): string {
  const chars = [...s];
  if (chars.length <= maxWidth) return s;
  if (maxWidth <= 1) return chars.slice(0, maxWidth).join('');
  return `${chars.slice(0, maxWidth - 1).join('')}…`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Go's time.Time.String() in UTC: "2024-01-01 00:00:00 +0000 UTC" (fractional seconds,
 * trailing zeros trimmed, only when non-zero). Missing times print the Go zero time.
 * Docker renders in the client's local zone; weft always uses UTC.
 */
export function goTimeString(input: string | number | undefined | null): string {
  let ms: number | undefined;
  let frac = '';
  if (typeof input === 'number') {
    ms = input;
  } else if (input) {
    const t = Date.parse(input);
    if (!Number.isNaN(t)) {
      ms = t;
      const m = /\.(\d+)/.exec(input);
      if (m) frac = m[1]!.replace(/0+$/, '');
    }
  }
  if (ms === undefined || ms <= Date.parse('0001-01-02T00:00:00Z')) return '0001-01-01 00:00:00 +0000 UTC';
  const d = new Date(ms);
  if (typeof input === 'number') frac = String(d.getUTCMilliseconds()).padStart(3, '0').replace(/0+$/, '');
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}` +
    `${frac ? `.${frac}` : ''} +0000 UTC`;
}

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}


function comparePorts(a: PortSummary, b: PortSummary): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ai = a.IP ?? '', bi = b.IP ?? '';
  if (ai !== bi) return ai < bi ? -1 : 1;
  const ap = a.PublicPort ?? 0, bp = b.PublicPort ?? 0;
  if (ap !== bp) return ap - bp;
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function formGroup(key: string, first: number, last: number): string {
  const slash = key.lastIndexOf('/');
  const ip = slash >= 0 ? key.slice(0, slash) : '';
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  let group = String(first);
  if (first !== last) group = `${group}-${last}`;
  if (ip) group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/**
 * The PORTS column (docker/cli formatter.DisplayablePorts): "0.0.0.0:8080->80/tcp",
 * "[::]:8080->80/tcp", "9000/tcp"; consecutive identical mappings collapse into ranges.
 */
export function displayablePorts(ports: PortSummary[] | null | undefined): string {
  if (!ports || ports.length === 0) return '';
  const sorted = [...ports].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const port of sorted) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if (port.PublicPort !== current) {
        hostMappings.push(`${joinHostPort(port.IP, port.PublicPort ?? 0)}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === group.last + 1) {
      group.last = current;
      continue;
    }
    result.push(formGroup(key, group.first, group.last));
    // Map.set on an existing key keeps its first-insertion position, like docker's groupMapKeys.
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  result.push(...hostMappings);
  return result.join(', ');
}

/** go-units HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits ("0B", "1.5kB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(3))}${units[i]}`;
}
