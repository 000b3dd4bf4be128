/**
 * weft-ipam's verbs: the network configuration's ipam section against CniIpam in the
 * IPAM state directory, under its lock.
 */
import { type NetConf, parseNetConf } from './config.js';
import { CniError, CODE } from './errors.js';
import type { Handler } from './invocation.js';
import { ipamDir } from './ipam-client.js';
import { type Attachment, CniIpam } from './ipam.js';
import { formatResult } from './result.js';
import { validAttachments } from './valid-attachments.js';
import { withState } from './state-dir.js';

type IpamVerb = (ipam: CniIpam, conf: NetConf, a: Attachment) => Promise<unknown>;

function verb(fn: IpamVerb): Handler {
  return (inv, doc) => {
    const conf = parseNetConf(doc, inv.args);
    if (!conf.ipam) throw new CniError(CODE.invalidConfig, 'ipam is required');
    return withState(ipamDir(conf), (s) => fn(new CniIpam(s.store, conf.name), conf, { containerId: inv.containerId, ifname: inv.ifname }));
  };
}

export const handlers = {
  ADD: verb(async (ipam, conf, a) => formatResult(await ipam.add(conf.ipam!, a, conf.ips), conf.cniVersion)),
  DEL: verb(async (ipam, _conf, a) => {
    await ipam.del(a);
    return undefined;
  }),
  CHECK: verb(async (ipam, _conf, a) => {
    if (!(await ipam.owned(a))) throw new CniError(CODE.unknownContainer, `no addresses held for ${a.containerId}/${a.ifname}`);
    return undefined;
  }),
  GC: verb(async (ipam, conf) => {
    await ipam.gc(validAttachments(conf.raw));
    return undefined;
  }),
  STATUS: verb(async () => undefined),
};
