/** POST /networks/create: Docker's NetworkCreateRequest decoded and its IPAM checked. */
import { z } from 'zod';
import type { NetworkCreateRequest } from '../../controller/model.js';
import { InvalidArgument } from '../../util/errors.js';
import { arr, bool, decode, objOf, refuse, str, strMap } from './fields.js';
import { type IpamConfigInput, validateIpam } from './ipam.js';

const networkCreate = z.object({
  Name: refuse(str('Name'), (v) => (v ? undefined : 'network name must not be empty')),
  IPAM: objOf('IPAM', { Config: arr('IPAM.Config'), Driver: str('IPAM.Driver'), Options: strMap('IPAM.Options') }),
  EnableIPv4: bool('EnableIPv4'),
  Scope: refuse(str('Scope'), (v) => (v && v !== 'local' && v !== 'global' ? `invalid scope "${v}"` : undefined)),
  Ingress: refuse(bool('Ingress'), (v) => (v ? 'ingress networks are not supported by weft' : undefined)),
  ConfigOnly: refuse(bool('ConfigOnly'), (v) => (v ? 'config-only networks are not supported by weft' : undefined)),
  Driver: str('Driver'),
  Internal: bool('Internal'),
  Attachable: bool('Attachable'),
  EnableIPv6: bool('EnableIPv6'),
  Options: strMap('Options'),
  Labels: strMap('Labels'),
});

function ipamConfig(i: number) {
  const where = `IPAM.Config[${i}]`;
  return objOf(where, {
    Subnet: str(`${where}.Subnet`),
    IPRange: str(`${where}.IPRange`),
    Gateway: str(`${where}.Gateway`),
    AuxiliaryAddresses: strMap(`${where}.AuxiliaryAddresses`),
  });
}

function decodeIpamConfig(c: unknown, i: number): IpamConfigInput {
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new InvalidArgument(`invalid IPAM.Config[${i}]: must be an object`);
  const o = decode(ipamConfig(i), c);
  return { subnet: o?.Subnet, ipRange: o?.IPRange, gateway: o?.Gateway, auxAddresses: o?.AuxiliaryAddresses };
}

export function decodeNetworkCreate(body: unknown): NetworkCreateRequest {
  const b = decode(networkCreate, body);
  const req: NetworkCreateRequest = {
    name: b.Name!,
    driver: b.Driver || 'bridge',
    internal: b.Internal,
    attachable: b.Attachable,
    enableIPv6: b.EnableIPv6,
    ...(b.EnableIPv4 === false ? { enableIPv4: false } : {}),
    options: b.Options,
    labels: b.Labels,
    ipam: {
      driver: b.IPAM?.Driver,
      options: b.IPAM?.Options,
      config: (b.IPAM?.Config ?? []).map(decodeIpamConfig),
    },
  };
  if (req.enableIPv4 === false && !req.enableIPv6) throw new InvalidArgument('IPv4 or IPv6 must be enabled');
  validateIpam(req.ipam?.config ?? [], !!req.enableIPv6);
  return req;
}
