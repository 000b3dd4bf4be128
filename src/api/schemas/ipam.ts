/**
 * dockerd's ValidateIPAM (api/types/network/ipam.go), with its wording: every problem of
 * every IPAM config, one 400 with all of them. IPv6 configs are skipped when IPv6 is off,
 * as dockerd does (the controller then refuses them with its own message).
 */
import net from 'node:net';
import { InvalidArgument } from '../../util/errors.js';
import { bufferToIp, cidrContains, ipToBuffer, specialSubnetUse } from '../../util/ip.js';

export interface IpamConfigInput { subnet?: string; ipRange?: string; gateway?: string; auxAddresses?: { [k: string]: string } }

/** A parsed prefix (Go's netip.Prefix): family, address bytes, prefix length. */
interface Prefix { family: 4 | 6; addr: Buffer; bits: number }

/** Go's netip.ParseAddr: no zones. */
function parseAddr(s: string): { family: 4 | 6; addr: Buffer } | undefined {
  if (s.includes('%')) return undefined;
  const f = net.isIP(s);
  return f === 4 || f === 6 ? { family: f, addr: ipToBuffer(s) } : undefined;
}

/** Go's netip.ParsePrefix: a canonical decimal length within the family's width. */
function parsePrefix(s: string): Prefix | undefined {
  const m = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(s);
  if (!m) return undefined;
  const a = parseAddr(m[1]);
  const bits = Number(m[2]);
  if (!a || bits > a.addr.length * 8) return undefined;
  return { ...a, bits };
}

/** The prefix with its host bits cleared (Go's Prefix.Masked). */
function masked(p: Prefix): Prefix {
  const addr = Buffer.from(p.addr);
  for (let bit = p.bits; bit < addr.length * 8; bit++) addr[bit >> 3] &= ~(0x80 >> (bit % 8));
  return { ...p, addr };
}

const fmtPrefix = (p: Prefix) => `${bufferToIp(p.addr)}/${p.bits}`;
const samePrefix = (a: Prefix, b: Prefix) => a.bits === b.bits && a.addr.equals(b.addr);
const contains = (p: Prefix, addr: Buffer) => cidrContains(fmtPrefix(p), bufferToIp(addr));
const familyName = (f: 4 | 6) => (f === 4 ? 'IPv4' : 'IPv6');

function addrErr(address: string | undefined, subnet: Prefix): string | undefined {
  if (!address) return undefined;
  const a = parseAddr(address);
  if (!a) return 'invalid address';
  if (a.family !== subnet.family) return `parent subnet is an ${familyName(subnet.family)} block`;
  if (!contains(subnet, a.addr)) return `parent subnet ${fmtPrefix(subnet)} doesn't contain this address`;
  return undefined;
}

function rangeErrs(ipRange: string, subnet: Prefix): string[] {
  const r = parsePrefix(ipRange);
  if (!r) return [`invalid ip-range ${ipRange}: invalid CIDR block notation`];
  if (r.family !== subnet.family) return [`invalid ip-range ${ipRange}: parent subnet is an ${familyName(subnet.family)} block`];
  const errs: string[] = [];
  if (r.bits < subnet.bits) errs.push(`invalid ip-range ${ipRange}: CIDR block is bigger than its parent subnet ${fmtPrefix(subnet)}`);
  if (!samePrefix(r, masked(r))) errs.push(`invalid ip-range ${fmtPrefix(r)}: it should be ${fmtPrefix(masked(r))}`);
  if (!contains(subnet, r.addr) && !contains(r, subnet.addr)) {
    errs.push(`invalid ip-range ${ipRange}: parent subnet ${fmtPrefix(subnet)} doesn't contain ip-range`);
  }
  return errs;
}

function configErrs(cfg: IpamConfigInput, enableIPv6: boolean): string[] {
  if (cfg.subnet === undefined || cfg.subnet === '') return []; // a pool the IPAM driver picks
  const subnet = parsePrefix(cfg.subnet);
  if (!subnet) return [`invalid subnet ${cfg.subnet}: invalid CIDR block notation`];
  // The unspecified address with a prefix length asks the default pools for a subnet of that size.
  if (subnet.addr.every((b) => b === 0) && subnet.bits > 0) {
    return cfg.ipRange || cfg.gateway ? [`invalid subnet ${cfg.subnet}: an ip-range or gateway needs a real subnet`] : [];
  }
  const special = specialSubnetUse(fmtPrefix(masked(subnet)));
  // dockerd checks no more of an IPv6 config while IPv6 is off (it is kept, never used); a
  // subnet no network may have is refused even then.
  if (!enableIPv6 && subnet.family === 6) return special ? [`invalid subnet ${cfg.subnet}: ${special}`] : [];
  const errs: string[] = [];
  if (!samePrefix(subnet, masked(subnet))) errs.push(`invalid subnet ${fmtPrefix(subnet)}: it should be ${fmtPrefix(masked(subnet))}`);
  if (special) errs.push(`invalid subnet ${cfg.subnet}: ${special}`);
  if (cfg.ipRange) errs.push(...rangeErrs(cfg.ipRange, subnet));
  const g = addrErr(cfg.gateway, subnet);
  if (g) errs.push(`invalid gateway ${cfg.gateway}: ${g}`);
  for (const [name, aux] of Object.entries(cfg.auxAddresses ?? {})) {
    const e = addrErr(aux, subnet);
    if (e) errs.push(`invalid auxiliary address ${name}: ${e}`);
  }
  return errs;
}

export function validateIpam(config: IpamConfigInput[], enableIPv6: boolean): void {
  const errs = config.flatMap((cfg) => configErrs(cfg, enableIPv6));
  if (errs.length === 1) throw new InvalidArgument(`invalid network config:\n${errs[0]}`);
  if (errs.length > 1) throw new InvalidArgument(`invalid network config:\n* ${errs.map((e) => e.replace(/\n/g, '\n\t')).join('\n* ')}`);
}
