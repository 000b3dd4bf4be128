/**
 * Legacy container links (HostConfig.Links, EndpointSettings.Links: "container[:alias]").
 * On a user-defined network a link is a name only the linking container resolves, through
 * the embedded DNS (libnetwork's endpoint aliases): the primary network's endpoint carries
 * HostConfig.Links too. On the default bridge a link is what dockerd writes into the linking
 * container: /etc/hosts lines ("ip alias hostname name") and ALIAS_* environment variables.
 */
import { OPT_DEFAULT_BRIDGE } from '../contracts/network-options.js';
import type { Controller } from '../controller/controller.js';
import type { NetworkRecord } from '../controller/model.js';
import { InvalidArgument, NotFound } from '../util/errors.js';
import { splitCidr } from '../util/ip.js';
import type { ContainerRecord } from './records.js';

/** "name[:alias]" (dockerd also takes "/name:/linker/alias", as it returns them). */
export function parseLink(link: string): { name: string; alias: string } {
  const [rawName, rawAlias, extra] = link.split(':');
  const name = rawName.replace(/^\//, '');
  const alias = (rawAlias ?? rawName).replace(/^.*\//, '');
  if (!name || !alias || extra !== undefined) throw new InvalidArgument(`invalid link format: ${link}`);
  return { name, alias };
}

/**
 * The links a container's endpoint resolves by name: its own, and HostConfig.Links on the
 * primary network when that one has embedded DNS (userDefined).
 */
export function endpointLinks(c: ContainerRecord, index: number, userDefined: boolean): string[] {
  const own = c.networks[index]?.config.links ?? [];
  const host = index === 0 && userDefined ? (c.resolution?.links ?? []) : [];
  return [...own, ...host];
}

/** The container a link on a user-defined network names, if `name` is one of the link aliases. */
export function linkTarget(links: string[] | undefined, name: string): string | undefined {
  for (const l of links ?? []) {
    const { name: target, alias } = parseLink(l);
    if (alias.toLowerCase() === name) return target.toLowerCase();
  }
  return undefined;
}

/** dockerd's checks at create: host mode takes no links; on the default bridge each names an existing container. */
export function checkLinksAtCreate(mode: string, links: string[], find: (ref: string) => ContainerRecord): void {
  if (!links.length) return;
  if (mode === 'host') {
    throw new InvalidArgument('conflicting options: host type networking can\'t be used with links. '
      + 'This would result in undefined behavior');
  }
  if (mode !== 'bridge') return;
  for (const { name } of links.map((l) => parseLink(l))) {
    try {
      find(name);
    } catch {
      throw new NotFound(`could not get container for ${name}`);
    }
  }
}

export interface LegacyLink { alias: string; child: ContainerRecord; ip: string }

/**
 * The default bridge's links of c, checked as dockerd checks them at start: the child runs,
 * on the default bridge. Empty when c is not on the default bridge (links there are DNS names).
 * skipBroken: leave out links that fail the checks instead of throwing (a daemon restart).
 */
export function legacyLinks(
  c: ContainerRecord, ctl: Controller, find: (ref: string) => ContainerRecord, opts: { skipBroken?: boolean } = {},
): LegacyLink[] {
  const bridge = c.networks.map((n) => ctl.findNetwork(n.name)).find((n) => isDefaultBridge(n));
  if (!bridge || !c.resolution?.links.length) return [];
  return c.resolution.links.flatMap((l) => {
    try {
      return [legacyLink(c, l, bridge, ctl, find)];
    } catch (err) {
      if (opts.skipBroken) return [];
      throw err;
    }
  });
}

function legacyLink(
  c: ContainerRecord, link: string, bridge: NetworkRecord, ctl: Controller, find: (ref: string) => ContainerRecord,
): LegacyLink {
  const { name, alias } = parseLink(link);
  const child = find(name);
  if (child.status !== 'running') {
    throw new InvalidArgument(`Cannot link to a non running container: /${child.name} AS /${c.name}/${alias}`);
  }
  const ep = ctl.sandboxEndpoints(child.id).find((e) => e.networkId === bridge.id);
  if (!ep?.ipv4) throw new InvalidArgument(`Cannot link to /${child.name}, as it does not belong to the default network`);
  return { alias, child, ip: splitCidr(ep.ipv4).ip };
}

function isDefaultBridge(n: NetworkRecord): boolean {
  return n.options[OPT_DEFAULT_BRIDGE] === 'true';
}

/** /etc/hosts lines of legacy links: the alias, the child's hostname, and its name unless that is the alias. */
export function linkHostLines(links: LegacyLink[]): string[] {
  return links.map(({ alias, child, ip }) => `${ip}\t${alias} ${child.hostname}${alias !== child.name ? ` ${child.name}` : ''}`);
}

/** dockerd's link variables: ALIAS_PORT, ALIAS_PORT_<port>_<PROTO>[_ADDR|_PORT|_PROTO], ALIAS_NAME, ALIAS_ENV_*. */
export function linkEnv(linker: ContainerRecord, links: LegacyLink[]): string[] {
  const env: string[] = [];
  for (const { alias, child, ip } of links) {
    const a = alias.toUpperCase().replaceAll('-', '_');
    const ports = childPorts(child);
    if (ports.length) env.push(`${a}_PORT=${ports[0].proto}://${ip}:${ports[0].port}`);
    for (const { port, proto } of ports) {
      const key = `${a}_PORT_${port}_${proto.toUpperCase()}`;
      env.push(`${key}=${proto}://${ip}:${port}`, `${key}_ADDR=${ip}`, `${key}_PORT=${port}`, `${key}_PROTO=${proto}`);
    }
    env.push(`${a}_NAME=/${linker.name}/${alias}`);
    for (const v of child.env) {
      const eq = v.indexOf('=');
      const key = v.slice(0, eq);
      if (eq > 0 && key !== 'HOME' && key !== 'PATH') env.push(`${a}_ENV_${key}=${v.slice(eq + 1)}`);
    }
  }
  return env;
}

/** The child's exposed and published ports, lowest first, tcp before udp at the same number (dockerd's order). */
function childPorts(child: ContainerRecord): { port: number; proto: string }[] {
  const keys = new Set(child.exposedPorts.map((p) => (p.includes('/') ? p : `${p}/tcp`)));
  for (const b of child.portBindings) {
    for (let p = b.containerPort; p <= (b.containerPortEnd ?? b.containerPort); p++) keys.add(`${p}/${b.proto}`);
  }
  return [...keys].map((k) => ({ port: Number(k.split('/')[0]), proto: k.split('/')[1] }))
    .sort((x, y) => x.port - y.port || (x.proto === 'tcp' ? -1 : y.proto === 'tcp' ? 1 : 0));
}

/** DELETE /containers/{linker}/{alias}?link=1: the linker's HostConfig.Links without that alias. */
export function dropLink(c: ContainerRecord, alias: string): void {
  const links = c.resolution?.links ?? [];
  const i = links.findIndex((l) => parseLink(l).alias === alias);
  if (i < 0) throw new NotFound(`No such container: ${c.name}/${alias}`);
  links.splice(i, 1);
}
