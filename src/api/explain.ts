/**
 * GET /weft/network/explain?src=&dst=&port=&proto=: which of the live firewall rules
 * allow or drop one new connection (see engine/explain-flow.ts for SRC and DST).
 */
import type { ApiDeps } from './deps.js';
import { sendJson } from './http.js';
import type { Route } from './router.js';
import { resolveFlow } from '../engine/explain-flow.js';
import { InvalidArgument } from '../util/errors.js';

export function explainRoutes(d: ApiDeps): Route[] {
  return [{ method: 'GET', path: '/weft/network/explain', handler: async ({ res, query }) => {
    if (!d.explainer) throw new InvalidArgument('this daemon cannot read its firewall');
    const port = Number(query.get('port'));
    const proto = query.get('proto') ?? 'tcp';
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgument(`invalid port "${query.get('port') ?? ''}"`);
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new InvalidArgument(`invalid protocol "${proto}" (tcp, udp or sctp)`);
    const src = query.get('src');
    const dst = query.get('dst');
    if (!src || !dst) throw new InvalidArgument('src and dst are required');
    const host = await d.explainer.host();
    const flow = resolveFlow({ src, dst, port, proto }, host, d.ctl, d.containers);
    const networks = d.ctl.listNetworks().map((n) => ({ id: n.id, name: n.name, internal: n.internal }));
    sendJson(res, 200, { flow, ...(await d.explainer.explain(flow, host, networks)) });
  } }];
}
