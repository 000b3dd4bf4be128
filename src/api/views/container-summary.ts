/** GET /containers/json: one Docker Container summary per container. */
import type { Controller } from '../../controller/controller.js';
import type { ContainerRecord } from '../../engine/containers.js';
import { parsePortKey } from '../schemas/ports.js';
import type { ContainerSummary, PortSummaryWire } from '../types.js';
import { networksJson, portsJson } from './container-networks.js';

/** Docker's units.HumanDuration, as `docker ps` shows it in STATUS. */
function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  return `${Math.round(h / 24)} days`;
}

function statusText(c: ContainerRecord): string {
  if (c.status === 'running') return `Up ${humanDuration(Date.now() - Date.parse(c.startedAt))}`;
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
    ImageID: '',
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
