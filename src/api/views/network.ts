/** Docker's NetworkResource JSON for one network. */
import type { IpamData } from '../../contracts/driver.js';
import type { Controller } from '../../controller/controller.js';
import type { NetworkRecord } from '../../controller/model.js';
import { splitCidr } from '../../util/ip.js';
import type { IpamConfigWire, NetworkContainerWire, NetworkResource } from '../types.js';

function ipamConfigJson(p: IpamData): IpamConfigWire {
  return {
    Subnet: p.subnet,
    ...(p.ipRange ? { IPRange: p.ipRange } : {}),
    ...(p.gateway ? { Gateway: splitCidr(p.gateway).ip } : {}),
    ...(Object.keys(p.auxAddresses).length ? { AuxiliaryAddresses: p.auxAddresses } : {}),
  };
}

/** IPv6 configs kept while IPv6 is off, as they were given. */
function unusedJson(n: NetworkRecord): IpamConfigWire[] {
  return (n.ipv6Unused ?? []).map((c) => ({
    Subnet: c.subnet ?? '',
    ...(c.ipRange ? { IPRange: c.ipRange } : {}),
    ...(c.gateway ? { Gateway: c.gateway } : {}),
    ...(c.auxAddresses && Object.keys(c.auxAddresses).length ? { AuxiliaryAddresses: c.auxAddresses } : {}),
  }));
}

/** withContainers: inspect lists the attached endpoints; the list view leaves them out. */
export function networkJson(ctl: Controller, n: NetworkRecord, withContainers: boolean): NetworkResource {
  const containers: { [id: string]: NetworkContainerWire } = {};
  if (withContainers) {
    for (const ep of ctl.endpointsOf(n.id)) {
      containers[ep.sandboxId] = {
        Name: ep.name, EndpointID: ep.id, MacAddress: ep.mac, IPv4Address: ep.ipv4 ?? '', IPv6Address: ep.ipv6 ?? '',
      };
    }
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: n.scope,
    Driver: n.driver,
    EnableIPv4: n.ipv4.length > 0 || n.driver !== 'bridge',
    EnableIPv6: n.enableIPv6,
    IPAM: { Driver: n.ipamDriver, Options: n.ipamOptions, Config: [...[...n.ipv4, ...n.ipv6].map(ipamConfigJson), ...unusedJson(n)] },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}
