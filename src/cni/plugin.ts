/**
 * weft-cni's verbs. Every verb holds the state directory's lock from start to end. ADD
 * takes addresses, records the attachment before it touches the kernel (a crash then leaves
 * a record that DEL and GC find), builds the attachment and marks the record complete;
 * on failure it undoes what it built. DEL undoes whatever exists and succeeds when nothing
 * does. GC undoes every attachment of the network the runtime no longer lists.
 */
import { failpoint } from '../util/failpoint.js';
import { type NetConf, parseNetConf } from './config.js';
import { CniError, CODE } from './errors.js';
import type { Handler, Handlers, Invocation } from './invocation.js';
import { DEFAULT_DIR, ipamClient } from './ipam-client.js';
import { Attacher, type AttachmentRecord, endpointId, type KernelHandles, openKernel } from './attachment.js';
import { appendResult, emptyResult, formatResult, parseResult } from './result.js';
import { StateDir, withState } from './state-dir.js';
import { validAttachments } from './valid-attachments.js';

const recordPrefix = (net: string) => `cni/attach/${net}/`;
const recordKey = (net: string, containerId: string, ifname: string) => `${recordPrefix(net)}${containerId}/${ifname}`;

interface Ctx { conf: NetConf; inv: Invocation; state: StateDir; dir: string; attacher: Attacher }

/** Open the state (and the kernel handles, unless shared ones are given) for one verb and close them after. */
function verb(shared: KernelHandles | undefined, fn: (c: Ctx) => Promise<unknown>): Handler {
  return async (inv, doc) => {
    const conf = parseNetConf(doc, inv.args);
    const dir = conf.dataDir ?? DEFAULT_DIR;
    const state = await StateDir.open(dir);
    const kernel = shared ?? openKernel();
    try {
      return await fn({ conf, inv, state, dir, attacher: new Attacher(kernel, dir) });
    } finally {
      if (!shared) kernel.close();
      state.close();
    }
  };
}

function ipam(c: Ctx) {
  return ipamClient(c.conf, c.inv, { dir: c.dir, store: c.state.store });
}

async function addVerb(c: Ctx): Promise<unknown> {
  const { conf, inv, state } = c;
  const key = recordKey(conf.name, inv.containerId, inv.ifname);
  const existing = await state.attachments.get<AttachmentRecord>(key);
  if (existing?.complete) {
    throw new CniError(CODE.failed, `container ${inv.containerId} already has ${inv.ifname} on network ${conf.name}; DEL it first`);
  }
  if (existing) await undo(c, existing.value);
  const prev = conf.prevResult !== undefined ? parseResult(conf.prevResult) : emptyResult();
  const rec: AttachmentRecord = {
    containerId: inv.containerId, ifname: inv.ifname, netns: inv.netns, bridge: conf.bridge,
    endpointId: endpointId(conf.name, inv.containerId, inv.ifname), ips: [], portMappings: conf.portMappings,
  };
  try {
    // Addresses first: a crash before the record leaves only them, which DEL and GC release through IPAM.
    const got = await ipam(c).add({ containerId: inv.containerId, ifname: inv.ifname });
    rec.ips = got.ips.map((ip) => ({ address: ip.address, ...(ip.gateway ? { gateway: ip.gateway } : {}) }));
    if (!rec.ips.length) throw new CniError(CODE.failed, `IPAM plugin ${conf.ipam?.type} returned no addresses`);
    await state.attachments.begin(key, rec);
    failpoint('cni.add.recorded');
    const kernel = await c.attacher.plug(conf, rec);
    failpoint('cni.add.plugged');
    await state.attachments.complete(key);
    const ips = got.ips.map((ip) => ({ ...ip, interface: 2 }));
    const routes = [...kernel.routes, ...got.routes.filter((r) => !kernel.routes.some((k) => k.dst === r.dst))];
    const mine = { interfaces: kernel.interfaces, ips, routes, dns: conf.dns ?? got.dns };
    return formatResult(appendResult(prev, mine), conf.cniVersion);
  } catch (err) {
    await undo(c, rec).catch(() => undefined);
    throw err;
  }
}

/** Remove one attachment: kernel pieces, addresses, record. */
async function undo(c: Ctx, rec: AttachmentRecord): Promise<void> {
  await c.attacher.unplug(rec);
  await ipam(c).del({ containerId: rec.containerId, ifname: rec.ifname });
  await c.state.attachments.delete(recordKey(c.conf.name, rec.containerId, rec.ifname));
}

async function delVerb(c: Ctx): Promise<unknown> {
  const { conf, inv } = c;
  const found = await c.state.attachments.get<AttachmentRecord>(recordKey(conf.name, inv.containerId, inv.ifname));
  const prevIps = conf.prevResult !== undefined ? parseResult(conf.prevResult).ips : [];
  // Without a record (never added, or already deleted) the names and the runtime's view still say what to remove.
  const rec: AttachmentRecord = found?.value ?? {
    containerId: inv.containerId, ifname: inv.ifname, netns: inv.netns, bridge: conf.bridge,
    endpointId: endpointId(conf.name, inv.containerId, inv.ifname), ips: prevIps, portMappings: conf.portMappings,
  };
  await undo(c, rec);
  return undefined;
}

async function checkVerb(c: Ctx): Promise<unknown> {
  const { conf, inv } = c;
  const found = await c.state.attachments.get<AttachmentRecord>(recordKey(conf.name, inv.containerId, inv.ifname));
  if (!found?.complete) {
    throw new CniError(CODE.unknownContainer, `no attachment of ${inv.containerId}/${inv.ifname} on network ${conf.name}`);
  }
  const rec = found.value;
  if (conf.prevResult !== undefined) {
    const listed = new Set(parseResult(conf.prevResult).ips.map((ip) => ip.address));
    const missing = rec.ips.filter((ip) => !listed.has(ip.address));
    if (missing.length) throw new CniError(CODE.checkFailed, `prevResult lacks ${missing.map((m) => m.address).join(', ')}`);
  }
  await c.attacher.check(rec);
  await ipam(c).check({ containerId: inv.containerId, ifname: inv.ifname }, rec.ips.map((ip) => ip.address));
  return undefined;
}

async function gcVerb(c: Ctx): Promise<unknown> {
  const valid = validAttachments(c.conf.raw);
  const prefix = recordPrefix(c.conf.name);
  for (const r of await c.state.attachments.list<AttachmentRecord>(prefix)) {
    if (!valid.has(`${r.value.containerId}/${r.value.ifname}`)) await undo(c, r.value);
  }
  await ipam(c).gc(valid);
  return undefined;
}

async function statusVerb(c: Ctx): Promise<unknown> {
  await ipam(c).status();
  return undefined;
}

/**
 * The verbs; a long-lived caller (the daemon, src/cni/service.ts) passes kernel handles it
 * keeps open across calls, an exec'd plugin opens them per verb.
 */
export function cniHandlers(shared?: KernelHandles): Handlers {
  const v = (fn: (c: Ctx) => Promise<unknown>) => verb(shared, fn);
  return { ADD: v(addVerb), DEL: v(delVerb), CHECK: v(checkVerb), GC: v(gcVerb), STATUS: v(statusVerb) };
}

export const handlers = cniHandlers();

/**
 * After weft's firewall was re-created (a flushed ruleset): every network a long-lived
 * process made through `kernel`, and the port maps of its complete attachments, each under
 * its directory's lock. Every network is tried; the first failure is thrown after.
 */
export async function restoreServed(kernel: KernelHandles): Promise<void> {
  let failed: unknown;
  for (const s of kernel.served?.list() ?? []) {
    await withState(s.dir, async (state) => {
      const recs = await state.attachments.list<AttachmentRecord>(recordPrefix(s.conf.name));
      await new Attacher(kernel, s.dir).restore(s, recs.filter((r) => r.complete).map((r) => r.value));
    }).catch((err: unknown) => { failed ??= err; });
  }
  if (failed) throw failed;
}
