/** The Prometheus text parser of `weft top`, and the frame it draws from the samples. */
import { describe, expect, it } from 'vitest';
import { renderFrame } from '../../src/cli/commands/top.js';
import { parseMetricsText } from '../../src/cli/metrics-text.js';
import { renderMetrics } from '../../src/metrics/scrape.js';

describe('Prometheus text parser', () => {
  it('reads names, labels and values, skipping comments and blank lines', () => {
    const text = [
      '# HELP weft_networks Networks, by driver',
      '# TYPE weft_networks gauge',
      'weft_networks{driver="bridge"} 3',
      '',
      'weft_containers_running 2',
      'weft_operation_duration_seconds_bucket{le="+Inf",operation="network_create",backend="bridge"} 7 1700000000000',
      'weft_x{a="1",} 1.5e3',
    ].join('\n');
    expect(parseMetricsText(text)).toEqual([
      { name: 'weft_networks', labels: { driver: 'bridge' }, value: 3 },
      { name: 'weft_containers_running', labels: {}, value: 2 },
      { name: 'weft_operation_duration_seconds_bucket', labels: { le: '+Inf', operation: 'network_create', backend: 'bridge' }, value: 7 },
      { name: 'weft_x', labels: { a: '1' }, value: 1500 },
    ]);
  });

  it('unescapes label values and reads NaN and infinities', () => {
    const [a, b, c, d] = parseMetricsText('m{v="a \\"q\\" b\\\\c\\nd"} NaN\nm{v="}, x"} +Inf\nm -Inf\nm Nan\n');
    expect(a!.labels.v).toBe('a "q" b\\c\nd');
    expect(a!.value).toBeNaN();
    expect(b).toEqual({ name: 'm', labels: { v: '}, x' }, value: Number.POSITIVE_INFINITY });
    expect(c!.value).toBe(Number.NEGATIVE_INFINITY);
    expect(d!.value).toBeNaN();
  });

  it('names the line that does not parse', () => {
    expect(() => parseMetricsText('ok 1\nm{v="open 1\n')).toThrow(/line 2/);
    expect(() => parseMetricsText('m{v="x"}1')).toThrow(/line 1/);
    expect(() => parseMetricsText('m one')).toThrow(/line 1/);
    expect(() => parseMetricsText('9m 1')).toThrow(/line 1/);
  });

  it('reads what the daemon writes', async () => {
    const samples = parseMetricsText((await renderMetrics()).text);
    expect(samples.some((s) => s.name === 'weft_process_resident_memory_bytes' && s.value > 0)).toBe(true);
  });
});

describe('weft top frame', () => {
  const port = (container: string, hostPort: number, bytes: number) => [
    `weft_port_bytes_total{network="web",container="${container}",proto="tcp",host_ip="0.0.0.0",host_port="${hostPort}",container_port="80"} ${bytes}`,
    `weft_port_packets_total{network="web",container="${container}",proto="tcp",host_ip="0.0.0.0",host_port="${hostPort}",container_port="80"} 4`,
  ];
  const text = (a: number, b: number) => [
    'weft_networks{driver="bridge"} 2', 'weft_endpoints{network="web",driver="bridge"} 2', 'weft_endpoints{network="idle",driver="bridge"} 0',
    'weft_containers_running 2', ...port('small', 8081, a), ...port('big', 8082, b),
  ].join('\n');

  it('sorts by totals on the first frame and by rate after', () => {
    const first = renderFrame(parseMetricsText(text(100, 5000)), 1000, undefined, 10);
    const rows = first.text.split('\n');
    expect(rows[0]).toBe('weft top: 2 networks, 2 endpoints, 2 published ports, 2 running containers');
    const big = rows.findIndex((l) => l.startsWith('big'));
    expect(big).toBeGreaterThan(0);
    expect(big).toBeLessThan(rows.findIndex((l) => l.startsWith('small')));
    expect(rows[big]).toMatch(/^big\s+web\s+0\.0\.0\.0:8082->80\/tcp\s+4\s+5kB\s+-$/);
    // One second later "small" moved 3 kB and "big" nothing: small leads, with its rate.
    const second = renderFrame(parseMetricsText(text(3100, 5000)), 2000, first.frame, 10).text.split('\n');
    expect(second.findIndex((l) => l.startsWith('small'))).toBeLessThan(second.findIndex((l) => l.startsWith('big')));
    expect(second.find((l) => l.startsWith('small'))).toMatch(/3\.1kB\s+3kB\/s$/);
    expect(second.find((l) => l.startsWith('web'))).toMatch(/^web\s+bridge\s+2\s+2\s+8\.1kB\s+3kB\/s$/);
    expect(second.find((l) => l.startsWith('idle'))).toMatch(/^idle\s+bridge\s+0\s+0\s+0B\s+-$/);
  });

  it('shows at most the asked number of rows', () => {
    const rows = renderFrame(parseMetricsText(text(1, 2)), 0, undefined, 1).text.split('\n');
    expect(rows.filter((l) => /->80\/tcp/.test(l))).toHaveLength(1);
  });
});
