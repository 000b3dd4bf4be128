/**
 * POST /containers/create: Docker's container config decoded into what the engine needs.
 * What the runtime cannot honour (volumes, restart policies; the other fields: container-config.ts) is
 * refused with a 400 that says so, never dropped.
 */
import { z } from 'zod';
import type { ContainerCreateRequest, EndpointConfig } from '../../engine/containers.js';
import type { KeptFields } from '../../engine/records.js';
import { InvalidArgument } from '../../util/errors.js';
import { decodeKeptFields } from './container-config.js';
import { NO_VOLUMES } from './host-config.js';
import { checkEndpointAddresses, checkMac, endpointSettings } from './endpoint-settings.js';
import { arr, bool, cstr, cstrArray, decode, obj, objOf, refuse, str, strArray, strMap } from './fields.js';
import { decodeHealthcheck, healthcheck } from './healthcheck.js';
import { decodeResolution } from './resolution.js';
import { checkSharedNetns } from './shared-netns.js';
import { decodePortBindings, parsePortKey } from './ports.js';

const hostConfig = objOf('HostConfig', {
  Binds: arr('HostConfig.Binds'),
  Mounts: arr('HostConfig.Mounts'),
  RestartPolicy: objOf('HostConfig.RestartPolicy', {
    Name: refuse(str('HostConfig.RestartPolicy.Name'), (v) =>
      (v && v !== 'no' ? `weft does not restart containers: restart policy "${v}" is not supported` : undefined)),
  }),
  NetworkMode: str('HostConfig.NetworkMode'),
  PortBindings: obj('HostConfig.PortBindings'),
  PublishAllPorts: bool('HostConfig.PublishAllPorts'),
  AutoRemove: bool('HostConfig.AutoRemove'),
  Links: strArray('HostConfig.Links'),
  ExtraHosts: strArray('HostConfig.ExtraHosts'),
  Dns: strArray('HostConfig.Dns'),
  DnsSearch: strArray('HostConfig.DnsSearch'),
  DnsOptions: strArray('HostConfig.DnsOptions'),
});

const containerCreate = z.object({
  Image: refuse(cstr('Image'), (v) => (v ? undefined : 'config cannot be empty in order to create a container: Image is required')),
  Cmd: cstrArray('Cmd'),
  Entrypoint: cstrArray('Entrypoint'),
  Tty: bool('Tty'),
  OpenStdin: bool('OpenStdin'),
  AttachStdin: bool('AttachStdin'),
  AttachStdout: bool('AttachStdout'),
  AttachStderr: bool('AttachStderr'),
  StdinOnce: bool('StdinOnce'),
  Healthcheck: healthcheck,
  HostConfig: hostConfig,
  Volumes: obj('Volumes'),
  NetworkingConfig: objOf('NetworkingConfig', { EndpointsConfig: obj('NetworkingConfig.EndpointsConfig') }),
  ExposedPorts: obj('ExposedPorts'),
  Env: cstrArray('Env'),
  WorkingDir: cstr('WorkingDir'),
  Hostname: cstr('Hostname'),
  MacAddress: str('MacAddress'),
  Labels: strMap('Labels'),
});

/**
 * A create body checked and decoded: the engine's request, with every field present, less
 * what the API fills in (name, rootfs), plus the entrypoint the command is joined to.
 */
export type ContainerCreateBody = Required<Omit<ContainerCreateRequest, 'name' | 'rootfs' | 'imageId' | 'healthcheck'>>
  & Pick<ContainerCreateRequest, 'healthcheck'> & { entrypoint: string[] };

const createEndpoint = endpointSettings('EndpointSettings');
const isObject = (v: unknown): v is object => v !== null && typeof v === 'object' && !Array.isArray(v);

function decodeEndpoint(network: string, v: unknown): EndpointConfig {
  const ep = decode(createEndpoint, v);
  checkEndpointAddresses(ep, network, true);
  return ep;
}

/** The networks to join, primary (the network mode) first; "default" means bridge. */
function decodeNetworks(mode: string, epc: { [name: string]: unknown }): { name: string; config: EndpointConfig }[] {
  const networks: { name: string; config: EndpointConfig }[] = [];
  const entries = Object.entries(epc).map(([name, v]) => [name === 'default' ? 'bridge' : name, v] as const);
  const primary = entries.find(([name]) => name === mode)?.[1];
  const primaryConfig = decodeEndpoint(mode, isObject(primary) ? primary : undefined);
  if (mode !== 'host' && mode !== 'none') networks.push({ name: mode, config: primaryConfig });
  for (const [name, v] of entries) {
    if (name === mode) continue;
    if (v !== null && !isObject(v)) throw new InvalidArgument(`invalid EndpointsConfig[${name}]`);
    networks.push({ name, config: decodeEndpoint(name, v) });
  }
  return networks;
}

export type ParsedCreate = z.output<typeof containerCreate> & { Image: string; kept: KeptFields };

/** Types and refusals: everything checked before the image is resolved. */
export function parseContainerCreate(body: unknown): ParsedCreate {
  const b = decode(containerCreate, body);
  const hc = b.HostConfig;
  if (hc?.Binds?.length || hc?.Mounts?.length || Object.keys(b.Volumes ?? {}).length) throw new InvalidArgument(NO_VOLUMES);
  const kept = decodeKeptFields(body);
  if (kept.hostConfig.UTSMode === 'host' && b.Hostname) throw new InvalidArgument('conflicting options: hostname and the UTS mode');
  return { ...b, kept } as ParsedCreate;
}

/** Networks and ports, decoded once the image is known to exist. */
export function decodeContainerCreate(b: ParsedCreate): ContainerCreateBody {
  const hc = b.HostConfig;
  let mode = hc?.NetworkMode || 'default';
  if (mode === 'default') mode = 'bridge';
  const shared = mode.startsWith('container:');
  if (shared) checkSharedNetns(mode, b);
  const networks = shared ? [] : decodeNetworks(mode, b.NetworkingConfig?.EndpointsConfig ?? {});
  // Config.MacAddress (API < 1.44) is the first network's, unless that endpoint names its own.
  if (b.MacAddress && networks[0] && !networks[0].config.macAddress) {
    checkMac(b.MacAddress);
    networks[0].config.macAddress = b.MacAddress;
  }
  const exposedPorts = Object.keys(b.ExposedPorts ?? {});
  for (const e of exposedPorts) parsePortKey(e);
  return {
    image: b.Image,
    cmd: b.Cmd ?? [],
    entrypoint: b.Entrypoint ?? [],
    env: b.Env ?? [],
    workdir: b.WorkingDir ?? '',
    hostname: b.Hostname ?? '',
    networkMode: mode,
    networks,
    portBindings: decodePortBindings(hc?.PortBindings ?? {}),
    exposedPorts,
    publishAll: !!hc?.PublishAllPorts,
    autoRemove: !!hc?.AutoRemove,
    labels: b.Labels ?? {},
    kept: b.kept,
    resolution: decodeResolution(hc ?? {}),
    healthcheck: decodeHealthcheck(b.Healthcheck),
    tty: !!b.Tty,
    openStdin: !!b.OpenStdin,
    stdinOnce: !!b.StdinOnce,
    attach: { stdin: !!b.AttachStdin, stdout: !!b.AttachStdout, stderr: !!b.AttachStderr },
  };
}
