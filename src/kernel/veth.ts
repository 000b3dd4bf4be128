/**
 * The one way a container gets its interface on a bridge: a veth pair made with its inner
 * end already in the sandbox, the host end up and enslaved to the bridge by the create
 * request itself, the inner end addressed and up. Shared by the bridge and overlay drivers
 * (only which bridge, and in which namespace it lives, differ). On failure the host end is deleted, which takes the pair.
 */
import { Rtnl } from './rtnl.js';
import { addressRequest, setLinkRequest } from './rtnl-requests.js';
import { writeSysctl } from './sysctl.js';

export interface VethPlug {
  /** Host-side name, in the namespace of `host`. */
  hostIf: string;
  /** Interface index of the bridge (in the same namespace) the host end joins. */
  bridgeIndex: number;
  /** Name inside the sandbox (eth0, eth1, ...). */
  ifName: string;
  nsPath: string | undefined;
  mtu: number | undefined;
  mac: string;
  ipv4?: string;
  ipv6?: string;
  /** Link-local addresses (no prefix): added with the link-local ranges' own (169.254/16, fe80::/64). */
  linkLocal?: string[];
  /** Let the container reach itself through a DNAT on the host (its own published port). */
  hairpin?: boolean;
}

/**
 * Two round trips to the kernel: on the host, the create (born up and enslaved, its echo naming both ends' indexes)
 * with the hairpin mode in the same batch; in the sandbox, every address and the link up in one more.
 */
export async function plugVeth(host: Rtnl, p: VethPlug): Promise<void> {
  const peer = { name: p.ifName, nsPath: p.nsPath, mtu: p.mtu, mac: p.mac };
  const hostEnd = { mtu: p.mtu, master: p.bridgeIndex, up: true };
  const made = await (p.hairpin ? host.createHairpinVeth(p.hostIf, peer, hostEnd) : host.createVeth(p.hostIf, peer, hostEnd));
  try {
    const inner = Rtnl.open(p.nsPath);
    try {
      const index = made.peerIndex ?? (await inner.requireLink(p.ifName)).index;
      // Like Docker 27+: no IPv6 at all (not even link-local) on an interface without IPv6 addresses.
      const v6 = Boolean(p.ipv6 || p.linkLocal?.some((ll) => ll.includes(':')));
      writeSysctl(`net/ipv6/conf/${p.ifName}/disable_ipv6`, v6 ? '0' : '1', p.nsPath);
      const cidrs = [p.ipv4, p.ipv6, ...(p.linkLocal ?? []).map((ll) => `${ll}/${ll.includes(':') ? 64 : 16}`)];
      await inner.batch([...cidrs.filter((c): c is string => !!c).map((c) => addressRequest(index, c)),
        setLinkRequest(index, { up: true })]);
    } finally {
      inner.close();
    }
  } catch (err) {
    await host.deleteLink(p.hostIf).catch(() => undefined);
    throw err;
  }
}
