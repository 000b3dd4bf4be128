/** WireGuard's pure parts: keys (checked against wireguard-tools), the key file, tunnel addresses, `wg set` arguments. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptionOptions, OPT_ENCRYPTION, tunnelMtu } from '../../drivers/overlay/encryption.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';
import { generatePrivateKey, loadOrCreateKey, peerArgs, publicKeyOf, tunnelAddrOf, writeKeyFile } from '../../src/kernel/wireguard.js';

const net = (options: { [k: string]: string }) => ({ name: 'n', options }) as unknown as NetworkInfo;

describe('WireGuard keys', () => {
  it('derives the same public key as `wg pubkey`', () => {
    const key = generatePrivateKey();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const want = execFileSync('wg', ['pubkey'], { input: `${key}\n`, encoding: 'utf8' }).trim();
    expect(publicKeyOf(key)).toBe(want);
  });

  it('keeps its key file (0600) across loads and replaces it atomically', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfwg-unit-'));
    try {
      const file = path.join(dir, 'wireguard', 'private.key');
      const first = loadOrCreateKey(file);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(loadOrCreateKey(file)).toBe(first);
      const next = generatePrivateKey();
      writeKeyFile(file, next);
      expect(loadOrCreateKey(file)).toBe(next);
      expect(fs.readdirSync(path.dirname(file))).toEqual(['private.key']);
      fs.writeFileSync(file, 'garbage');
      expect(() => loadOrCreateKey(file)).toThrow(/32 bytes/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tunnel addressing and peers', () => {
  it('gives every host a stable address inside 100.64.0.0/10, never the net or broadcast address', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const a = tunnelAddrOf(`host${i}`);
      expect(tunnelAddrOf(`host${i}`)).toBe(a);
      const [o1, o2] = a.split('.').map(Number);
      expect(o1).toBe(100);
      expect(o2).toBeGreaterThanOrEqual(64);
      expect(o2).toBeLessThanOrEqual(127);
      expect(a).not.toBe('100.64.0.0');
      expect(a).not.toBe('100.127.255.255');
      seen.add(a);
    }
    expect(seen.size).toBeGreaterThan(490);
  });

  it('renders a peer for `wg set`, brackets around an IPv6 endpoint', () => {
    const p = { publicKey: 'K=', endpoint: '192.0.2.7', tunnelAddr: '100.64.1.2' };
    expect(peerArgs(p)).toEqual(['peer', 'K=', 'endpoint', '192.0.2.7:51820', 'allowed-ips', '100.64.1.2/32', 'persistent-keepalive', '25']);
    expect(peerArgs({ ...p, endpoint: '2001:db8::7' })[3]).toBe('[2001:db8::7]:51820');
  });
});

describe('encrypted overlay options', () => {
  const enc = { implementation: 'wireguard-go', tunnelAddr: '100.64.0.9', acquire: async () => {}, release: async () => {} };

  it('adds the implementation to an encrypted network only, and refuses one without WireGuard', () => {
    expect(encryptionOptions(net({ encrypted: '' }), enc)).toEqual({ [OPT_ENCRYPTION]: 'wireguard (wireguard-go)' });
    expect(encryptionOptions(net({ encrypted: 'true' }), enc)).toEqual({ [OPT_ENCRYPTION]: 'wireguard (wireguard-go)' });
    expect(encryptionOptions(net({}), enc)).toEqual({});
    expect(encryptionOptions(net({}), undefined)).toEqual({});
    expect(() => encryptionOptions(net({ encrypted: '' }), undefined)).toThrow(/need WireGuard/);
  });

  it('leaves room for WireGuard in the default MTU', () => {
    expect(tunnelMtu(1450)).toBe(1370);
  });
});
