/** Random host ports from the kernel's ip_local_port_range (dockerd's fallback otherwise); -p 0-N:P refused as dockerd. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PortAllocator } from '../../src/hostports/allocator.js';
import { parseLocalPortRange, readLocalPortRange } from '../../src/hostports/local-port-range.js';
import { decodePortBindings } from '../../src/api/schemas/ports.js';

describe('ip_local_port_range', () => {
  it('is read as the kernel prints it; anything else falls back to dockerd\'s 49153-65535', () => {
    expect(parseLocalPortRange('32768\t60999\n')).toEqual({ first: 32768, last: 60999 });
    expect(parseLocalPortRange('0 10')).toBeUndefined();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'v6pr-')), 'range');
    fs.writeFileSync(file, 'garbage');
    expect(readLocalPortRange(file)).toEqual({ first: 49153, last: 65535 });
    expect(readLocalPortRange(`${file}.missing`)).toEqual({ first: 49153, last: 65535 });
  });

  it('random picks stay inside the range and wrap around in it', () => {
    const p = new PortAllocator(() => new Set([40001]), { first: 40000, last: 40002 });
    const pick = (owner: string) => p.assign(owner, [{ proto: 'tcp', hostIp: '', hostPort: 0, containerPort: 80 }])[0]!.hostPort;
    expect([pick('a'), pick('b')]).toEqual([40000, 40002]);
    expect(() => pick('c')).toThrow('no free host port in the ephemeral range');
    p.release('a');
    expect(pick('d')).toBe(40000);
  });
});

describe('host port range starting at 0', () => {
  it('is refused in dockerd\'s portallocator words; 0 alone stays random', () => {
    expect(() => decodePortBindings({ '80/tcp': [{ HostPort: '0-5' }] })).toThrow('invalid port range: 0-5');
    expect(decodePortBindings({ '80/tcp': [{ HostPort: '0' }] })[0]).toMatchObject({ hostPort: 0 });
  });
});
