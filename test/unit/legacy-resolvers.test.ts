import { describe, expect, it } from 'vitest';
import { legacyNameservers } from '../../src/engine/legacy-resolvers.js';

describe('default-bridge nameservers from the host resolv.conf (dockerd TransformForLegacyNw)', () => {
  it('keeps the usable host resolvers, in order', () => {
    expect(legacyNameservers(['127.0.0.53', '10.0.0.2', 'fd00::53', '10.0.0.3'], false)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(legacyNameservers(['::1', '10.0.0.2', 'fd00::53'], true)).toEqual(['10.0.0.2', 'fd00::53']);
  });

  it('falls back to the public resolvers when only loopback (or unusable IPv6) ones are left', () => {
    expect(legacyNameservers(['127.0.0.53'], false)).toEqual(['8.8.8.8', '8.8.4.4']);
    expect(legacyNameservers(['127.0.0.1', '::1', 'fd00::53'], false)).toEqual(['8.8.8.8', '8.8.4.4']);
    expect(legacyNameservers([], true)).toEqual(['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844']);
  });
});
