/** POST /networks/:id/connect and /disconnect bodies. */
import { z } from 'zod';
import type { EndpointConfig } from '../../engine/containers.js';
import { checkEndpointAddresses, endpointSettings } from './endpoint-settings.js';
import { bool, decode, refuse, str } from './fields.js';

const container = refuse(str('Container'), (v) => (v ? undefined : 'container is required'));

const connect = z.object({ Container: container, EndpointConfig: endpointSettings('EndpointConfig') });
const disconnect = z.object({ Container: container, Force: bool('Force') });

export function decodeConnect(body: unknown): { container: string; config: EndpointConfig } {
  const b = decode(connect, body);
  checkEndpointAddresses(b.EndpointConfig);
  return { container: b.Container!, config: b.EndpointConfig };
}

export function decodeDisconnect(body: unknown): { container: string; force: boolean } {
  const b = decode(disconnect, body);
  return { container: b.Container!, force: !!b.Force };
}
