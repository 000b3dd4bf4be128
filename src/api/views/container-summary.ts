/** GET /containers/json: one Docker Container summary per container. */
import type { Controller } from '../../controller/controller.js';
import type { ContainerRecord } from '../../engine/containers.js';
import { humanDuration } from '../../util/humanize.js';
import { parsePortKey } from '../schemas/ports.js';
import type { ContainerSummary, PortSummaryWire } from '../types.js';
import { networksJson, portsJson } from './container-networks.js';

/** As docker ps shows it: " (health: starting)", " (healthy)", " (unhealthy)". */
function healthSuffix(c: ContainerRecord): string {
  const h = c.health?.Status;
  if (!h || !c.healthcheck) return '';
  return h === 'starting' ? ' (health: starting)' : ` (${h})`;
}

function statusText(c: ContainerRecord): string {
  if (c.status === 'running') return `Up ${humanDuration(Date.now() - Date.parse(c.startedAt))}${healthSuffix(c)}`;
  if (c.status === 'exited') return `Exited (${c.exitCode}) ${humanDuration(Date.now() - Date.parse(c.finishedAt))} ago`;
  if (c.status === 'removing') return 'Removal In Progress';
  return 'Created';
}

function portsSummary(ctl: Controller, c: ContainerRecord): PortSummaryWire[] {
  const ports: PortSummaryWire[] = [];
  for (const [key, binds] of Object.entries(portsJson(ctl, c))) {
    const { port, proto } = parsePortKey(key);
    if (!binds) ports.push({ PrivatePort: port, Type: proto });
    else for (const b of binds) ports.push({ IP: b.HostIp, PrivatePort: port, PublicPort: Number(b.HostPort), Type: proto });
  }
  return ports;
}

export function containerSummaryJson(ctl: Controller, c: ContainerRecord): ContainerSummary {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: c.imageId ?? '',
    Command: c.cmd.join(' '),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: portsSummary(ctl, c),
    Labels: c.labels,
    State: c.status,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.networkMode },
    NetworkSettings: { Networks: networksJson(ctl, c) },
    Mounts: [],
  };
}
