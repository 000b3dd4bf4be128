/**
 * POST /weft/cni/:plugin: one CNI invocation served by the daemon for the weft-cni /
 * weft-ipam launcher. The request carries the plugin's stdin as its body and the CNI_*
 * variables as Cni-* headers (CNI_NETNS as Cni-Netns) plus Weft-Netns-Inode, the caller's
 * network namespace. 200: the plugin succeeded, the body is its stdout; 422: it failed,
 * the body is the spec's error object. 404 (no such plugin, or a daemon without CNI) and
 * 421 (the caller is in another network namespace) tell the launcher to exec the plugin.
 */
import type { IncomingMessage } from 'node:http';
import { baseHeaders, readText, sendJson } from './http.js';
import type { Route } from './router.js';

export interface CniServer {
  run(call: { plugin: string; vars: { [k: string]: string }; stdin: string; netnsInode: string }):
    Promise<{ code: number; stdout: string } | 'unknown-plugin' | 'other-netns'>;
}

const VAR_HEADERS = ['command', 'containerid', 'netns', 'ifname', 'args', 'path'];

function varsOf(req: IncomingMessage): { [k: string]: string } {
  const vars: { [k: string]: string } = {};
  for (const h of VAR_HEADERS) {
    const v = req.headers[`cni-${h}`];
    if (typeof v === 'string') vars[`CNI_${h.toUpperCase()}`] = v;
  }
  return vars;
}

export function cniRoutes(cni: CniServer | undefined): Route[] {
  return [{
    method: 'POST', path: '/weft/cni/:plugin', handler: async ({ req, res, params }) => {
      const stdin = await readText(req);
      const inode = req.headers['weft-netns-inode'];
      const reply = cni
        ? await cni.run({ plugin: params.plugin, vars: varsOf(req), stdin, netnsInode: typeof inode === 'string' ? inode : '' })
        : 'unknown-plugin';
      if (reply === 'unknown-plugin') return sendJson(res, 404, { message: `no CNI plugin ${params.plugin} in this daemon` });
      if (reply === 'other-netns') return sendJson(res, 421, { message: 'the caller is not in the daemon\'s network namespace' });
      res.writeHead(reply.code === 0 ? 200 : 422, {
        ...baseHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(reply.stdout),
      });
      res.end(reply.stdout);
    },
  }];
}
