/**
 * The per-published-port series in Prometheus text format, written directly: with a
 * thousand ports, prom-client's generic label handling (a labels object per sample,
 * hashing, sorting, escaping each value per series) would be most of a scrape's cost. Each
 * port's label set is built once and shared by its packets and bytes lines.
 */

/** One published host port and what the kernel counted towards it. */
export interface PortSample {
  network: string;
  container: string;
  proto: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
  packets: number;
  bytes: number;
}

const NEEDS_ESCAPE = /[\\\n"]/;

/** A label value as the text format wants it (backslash, newline and quote escaped). */
export function escapeLabel(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

function labelsOf(p: PortSample): string {
  return `{network="${escapeLabel(p.network)}",container="${escapeLabel(p.container)}",proto="${p.proto}",` +
    `host_ip="${p.hostIp}",host_port="${p.hostPort}",container_port="${p.containerPort}"}`;
}

/** weft_published_ports, weft_port_packets_total and weft_port_bytes_total for these samples. */
export function renderPorts(ports: PortSample[]): string {
  const labels = ports.map(labelsOf);
  const out = [
    '# HELP weft_published_ports Published host ports', '# TYPE weft_published_ports gauge', `weft_published_ports ${ports.length}`,
    '# HELP weft_port_packets_total Packets from clients to a published port (kernel counter)', '# TYPE weft_port_packets_total counter',
  ];
  for (let i = 0; i < ports.length; i++) out.push(`weft_port_packets_total${labels[i]} ${ports[i].packets}`);
  out.push('# HELP weft_port_bytes_total Bytes from clients to a published port (kernel counter)', '# TYPE weft_port_bytes_total counter');
  for (let i = 0; i < ports.length; i++) out.push(`weft_port_bytes_total${labels[i]} ${ports[i].bytes}`);
  return `${out.join('\n')}\n`;
}
