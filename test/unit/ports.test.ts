import { describe, expect, it } from 'vitest';
import { PortAllocator } from '../../src/hostports/allocator.js';

describe('PortAllocator', () => {
  it('refuses a host port already held, on any-address vs specific address too', () => {
    const p = new PortAllocator();
    p.assign('a', [{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 }]);
    expect(() => p.assign('b', [{ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80 }]))
      .toThrow(/port is already allocated/);
    // Another protocol on the same number is fine.
    expect(p.assign('b', [{ proto: 'udp', hostIp: '', hostPort: 8080, containerPort: 80 }])[0].hostPort).toBe(8080);
  });

  it('reserves nothing when one binding of a set fails', () => {
    const p = new PortAllocator();
    p.assign('a', [{ proto: 'tcp', hostIp: '', hostPort: 9001, containerPort: 1 }]);
    expect(() => p.assign('b', [
      { proto: 'tcp', hostIp: '', hostPort: 9000, containerPort: 1 },
      { proto: 'tcp', hostIp: '', hostPort: 9001, containerPort: 2 },
    ])).toThrow();
    expect(p.assign('c', [{ proto: 'tcp', hostIp: '', hostPort: 9000, containerPort: 1 }])[0].hostPort).toBe(9000);
  });

  it('picks random ports from the ephemeral range, distinct, and frees them on release', () => {
    const p = new PortAllocator();
    const a = p.assign('a', [{ proto: 'tcp', hostIp: '', hostPort: 0, containerPort: 80 }])[0].hostPort;
    const b = p.assign('b', [], ['80/tcp'])[0].hostPort;
    expect(a).toBeGreaterThanOrEqual(49153);
    expect(b).not.toBe(a);
    p.release('a');
    expect(() => p.assign('c', [{ proto: 'tcp', hostIp: '', hostPort: a, containerPort: 80 }])).not.toThrow();
  });

  it('validates ranges and protocols', () => {
    const p = new PortAllocator();
    const mismatched = { proto: 'tcp' as const, hostIp: '', hostPort: 8000, hostPortEnd: 8002, containerPort: 80, containerPortEnd: 81 };
    expect(() => p.assign('a', [mismatched])).toThrow(/same size/);
    expect(() => p.assign('a', [{ proto: 'icmp' as never, hostIp: '', hostPort: 1, containerPort: 1 }])).toThrow(/protocol/);
  });
});
