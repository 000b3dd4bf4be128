/**
 * The per-published-port series in Prometheus text format, written directly: with a
 * thousand ports, prom-client's generic label handling (a labels object per sample,
 * hashing, sorting, escaping each value per series) would be most of a scrape's cost. A
 * port's label set is text made once (portLabels) and kept by the caller while the port
 * stays published, so a scrape only writes the numbers.
 */

/** What identifies one published host port in its series. */
export interface PortLabels {
  network: string;
  container: string;
  proto: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** The published ports of one scrape: label sets (portLabels) and counts, by index. */
export interface PortCounts {
  labels: string[];
  packets: number[];
  bytes: number[];
}

const NEEDS_ESCAPE = /[\\\n"]/;

/** A label value as the text format wants it (backslash, newline and quote escaped). */
export function escapeLabel(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

/** The `{…}` label set of one port's series. */
export function portLabels(p: PortLabels): string {
  return `{network="${escapeLabel(p.network)}",container="${escapeLabel(p.container)}",proto="${p.proto}",` +
    `host_ip="${p.hostIp}",host_port="${p.hostPort}",container_port="${p.containerPort}"}`;
}

const HEAD = '# HELP weft_published_ports Published host ports\n# TYPE weft_published_ports gauge\n';
const PACKETS = '# HELP weft_port_packets_total Packets from clients to a published port (kernel counter)\n' +
  '# TYPE weft_port_packets_total counter\n';
const BYTES = '# HELP weft_port_bytes_total Bytes from clients to a published port (kernel counter)\n' +
  '# TYPE weft_port_bytes_total counter\n';

/** weft_published_ports, weft_port_packets_total and weft_port_bytes_total. */
export function renderPorts(ports: PortCounts): string {
  const { labels, packets, bytes } = ports;
  let out = `${HEAD}weft_published_ports ${labels.length}\n${PACKETS}`;
  for (let i = 0; i < labels.length; i++) out += `weft_port_packets_total${labels[i]} ${packets[i]}\n`;
  out += BYTES;
  for (let i = 0; i < labels.length; i++) out += `weft_port_bytes_total${labels[i]} ${bytes[i]}\n`;
  return out;
}
