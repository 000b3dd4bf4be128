/**
 * NetworkMode "container:<id|name>": the container joins another one's network namespace,
 * so everything that would shape a namespace of its own is refused, in dockerd's words
 * (its runconfig validateNetMode).
 */
import { InvalidArgument } from '../../util/errors.js';

export interface SharedNetnsFields {
  Hostname?: string | undefined;
  MacAddress?: string | undefined;
  ExposedPorts?: { [key: string]: unknown } | undefined;
  HostConfig?: {
    Links?: string[] | undefined; Dns?: string[] | undefined; ExtraHosts?: string[] | undefined;
    PortBindings?: { [key: string]: unknown } | undefined; PublishAllPorts?: boolean | undefined;
  } | undefined;
  NetworkingConfig?: { EndpointsConfig?: { [name: string]: unknown } | undefined } | undefined;
}

const nonEmpty = (v: unknown[] | { [key: string]: unknown } | undefined) => !!v && Object.keys(v).length > 0;

export function checkSharedNetns(mode: string, b: SharedNetnsFields): void {
  if (!mode.slice('container:'.length)) throw new InvalidArgument(`invalid container format container:<name|id>`);
  const hc = b.HostConfig ?? {};
  const conflict = (what: string) => { throw new InvalidArgument(`conflicting options: ${what}`); };
  if (b.Hostname) conflict('hostname and the network mode');
  if (nonEmpty(hc.Links)) conflict('container type network can\'t be used with links. This would result in undefined behavior');
  if (nonEmpty(hc.Dns)) conflict('dns and the network mode');
  if (nonEmpty(hc.ExtraHosts)) conflict('custom host-to-IP mapping and the network mode');
  if (b.MacAddress) conflict('mac-address and the network mode');
  if (nonEmpty(hc.PortBindings) || hc.PublishAllPorts) conflict('port publishing and the container type network mode');
  if (nonEmpty(b.ExposedPorts)) conflict('port exposing and the container type network mode');
  if (nonEmpty(b.NetworkingConfig?.EndpointsConfig)) conflict('cannot attach both user-defined and non-user-defined network-modes');
}
