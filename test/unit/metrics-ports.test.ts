/** The per-port join of a scrape: label sets kept per endpoint, counters added up per host port. */
import { describe, expect, it } from 'vitest';
import type { PortCounter } from '../../src/contracts/firewall.js';
import type { EndpointRecord, NetworkRecord } from '../../src/controller/model.js';
import { PortJoin } from '../../src/daemon/metrics-ports.js';

const net = { id: 'n1', name: 'web' } as NetworkRecord;
const labels = (container: string, hostPort: number, containerPort = 80) =>
  `{network="web",container="${container}",proto="tcp",host_ip="0.0.0.0",host_port="${hostPort}",container_port="${containerPort}"}`;

function endpoint(): EndpointRecord {
  return { id: 'e1', name: 'api', networkId: 'n1', ipv4: '10.1.0.2/24',
    portBindings: [{ proto: 'tcp', hostIp: '', hostPort: 8080, hostPortEnd: 8081, containerPort: 80 }] } as EndpointRecord;
}

const counters: PortCounter[] = [
  { proto: 'tcp', containerIp: '10.1.0.2', containerPort: 80, hostPort: 8080, packets: 3, bytes: 300 },
  { proto: 'tcp', containerIp: '10.1.0.2', containerPort: 80, hostPort: 8081, packets: 1, bytes: 60 },
  { proto: 'tcp', containerIp: '10.1.0.2', containerPort: 80, hostPort: 8080, packets: 2, bytes: 40 },
  { proto: 'udp', containerIp: '10.1.0.2', containerPort: 80, packets: 9, bytes: 900 },
];

describe('PortJoin', () => {
  it('adds up the counters of each host port (per host port, or per container port when the backend has no host port)', () => {
    const ep = endpoint();
    const got = new PortJoin().join([net], () => [ep], counters);
    expect(got).toEqual({ labels: [labels('api', 8080), labels('api', 8081)], packets: [5, 1], bytes: [340, 60] });
    const perContainerPort = new PortJoin().join([net], () => [ep], [{ ...counters[0]!, hostPort: undefined }]);
    expect(perContainerPort.packets).toEqual([3, 3]);
  });

  it('writes the label sets again when the container is renamed or its bindings change, and only then', () => {
    const join = new PortJoin();
    const ep = endpoint();
    const first = join.join([net], () => [ep], []).labels;
    expect(join.join([net], () => [ep], []).labels[0]).toBe(first[0]);
    ep.name = 'api2';
    expect(join.join([net], () => [ep], []).labels).toEqual([labels('api2', 8080), labels('api2', 8081)]);
    ep.portBindings = [{ proto: 'tcp', hostIp: '', hostPort: 9090, containerPort: 90 }];
    expect(join.join([net], () => [ep], []).labels).toEqual([labels('api2', 9090, 90)]);
    expect(join.join([{ ...net, name: 'front' }], () => [ep], []).labels[0]).toContain('network="front"');
  });
});
