/**
 * The nameservers a container on a network without embedded DNS (the default bridge) gets
 * from the host's, as dockerd picks them: loopback resolvers are unreachable from the
 * container's namespace, IPv6 ones unusable without IPv6; when none is left, dockerd's
 * public fallbacks (Google Public DNS), the IPv6 pair only for a container with IPv6.
 */
export const FALLBACK_NAMESERVERS_V4 = ['8.8.8.8', '8.8.4.4'];
export const FALLBACK_NAMESERVERS_V6 = ['2001:4860:4860::8888', '2001:4860:4860::8844'];

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/i;

export function legacyNameservers(host: string[], ipv6: boolean): string[] {
  const usable = host.filter((ip) => !LOOPBACK.test(ip) && (ipv6 || !ip.includes(':')));
  if (usable.length) return usable;
  return [...FALLBACK_NAMESERVERS_V4, ...(ipv6 ? FALLBACK_NAMESERVERS_V6 : [])];
}
