/**
 * `weft network renumber`: a local network whose subnets were picked from the default pools
 * moves to the next free pool subnets (past every other network and the host's routes,
 * the one that now conflicts included). Only while nothing is attached: re-addressing running
 * containers would break their connections and whatever cached their addresses, so it is
 * refused instead (409), like a removal with endpoints.
 *
 * The new pools and gateways are reserved in a unit that also releases the old pools and
 * stores the record; the driver takes the network down, the unit commits, and the driver
 * builds it again on the new subnets. A crash between the steps leaves no bridge behind and
 * one record, which the restart's restore builds: on the old subnets before the commit, on
 * the new ones after it. A driver that fails to take it down leaves it as it was.
 */
import type { IpamData } from '../contracts/driver.js';
import { Conflict, Forbidden, InvalidArgument } from '../util/errors.js';
import { failpoint } from '../util/failpoint.js';
import type { NetworkRecord } from './model.js';
import { publishNetworkEvent } from './network-events.js';
import { allocatePool } from './networks.js';
import { NET, type ControllerState } from './state.js';
import { STICKY } from './sticky-ips.js';

export interface Renumbered {
  from: string;
  to: string;
}

export async function renumberNetwork(s: ControllerState, n: NetworkRecord): Promise<Renumbered[]> {
  return s.locks.run(NET + n.name, async () => {
    assertRenumberable(s, n);
    const driver = s.driverOf(n);
    const ipam = s.ipamOf(n)!;
    const tx = s.store.begin();
    let next: NetworkRecord;
    try {
      const avoid = await s.o.os.hostRoutes();
      const skip = driver.skipsGateway?.(n) ?? { v4: false, v6: false };
      const ipv4: IpamData[] = [];
      const ipv6: IpamData[] = [];
      for (const p of [...n.ipv4, ...n.ipv6]) {
        const v6 = n.ipv6.includes(p);
        (v6 ? ipv6 : ipv4).push(await allocatePool(ipam, {}, v6, avoid, tx, v6 ? skip.v6 : skip.v4));
      }
      for (const p of [...n.ipv4, ...n.ipv6]) await ipam.releasePool(p.poolId, tx);
      next = { ...n, ipv4, ipv6 };
      tx.put(NET + n.id, next);
      tx.delete(STICKY + n.id); // the remembered addresses were of the old subnets
    } catch (err) {
      tx.abort();
      throw err;
    }
    try {
      await driver.deleteNetwork(n);
      failpoint('network.renumber.down');
      await tx.commit();
    } catch (err) {
      tx.abort();
      await driver.createNetwork(n).catch(() => undefined); // whatever the failed step took down
      throw err;
    }
    failpoint('network.renumber.committed');
    const moved = [...n.ipv4, ...n.ipv6].map((p, i) => ({ from: p.subnet, to: [...next.ipv4, ...next.ipv6][i].subnet }));
    Object.assign(n, { ipv4: next.ipv4, ipv6: next.ipv6 }); // the record others hold
    await driver.createNetwork(n);
    s.logger.info({ network: n.name, moved }, 'network renumbered');
    publishNetworkEvent(s, n, 'renumber');
    return moved;
  });
}

function assertRenumberable(s: ControllerState, n: NetworkRecord): void {
  if (n.predefined) throw new Forbidden(`operation is not permitted on predefined ${n.name} network`);
  if (n.scope !== 'local') throw new InvalidArgument(`network ${n.name} is ${n.scope}-scoped: only local networks can be renumbered`);
  if (n.userSubnets) {
    throw new InvalidArgument(`network ${n.name} has the subnets it was created with: only auto-picked subnets can be renumbered`);
  }
  if (!n.ipv4.length && !n.ipv6.length) throw new InvalidArgument(`network ${n.name} has no subnet to renumber`);
  const eps = s.endpointsOf(n.id);
  if (eps.length) {
    const names = eps.map((e) => e.name).join(', ');
    throw new Conflict(`network ${n.name} has active endpoints (${names}): disconnect them before renumbering it`);
  }
}
