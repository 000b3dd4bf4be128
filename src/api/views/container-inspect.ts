/** GET /containers/:id/json: Docker's ContainerJSON for one container. */
import path from 'node:path';
import type { Controller } from '../../controller/controller.js';
import type { ContainerRecord, ContainerService } from '../../engine/containers.js';
import type { ContainerInspect } from '../types.js';
import { commandJson, hostConfigJson, keptConfigJson } from './container-config.js';
import { addressJson, networksJson, portKey, portsJson } from './container-networks.js';

function stateJson(c: ContainerRecord): ContainerInspect['State'] {
  return {
    Status: c.status,
    Running: c.status === 'running',
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: c.pid,
    ExitCode: c.exitCode,
    Error: '',
    StartedAt: c.startedAt,
    FinishedAt: c.finishedAt,
    ...(c.health && c.healthcheck ? { Health: c.health } : {}),
  };
}

export function configJson(c: ContainerRecord): ContainerInspect['Config'] {
  return {
    Hostname: c.hostname,
    Domainname: '',
    User: '',
    AttachStdin: !!c.attach?.stdin,
    AttachStdout: !!c.attach?.stdout,
    AttachStderr: !!c.attach?.stderr,
    ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [portKey(p), {}])),
    Tty: !!c.tty,
    OpenStdin: !!c.openStdin,
    StdinOnce: !!c.stdinOnce,
    Env: c.env,
    Cmd: commandJson(c),
    Image: c.image,
    WorkingDir: c.workdir,
    Entrypoint: null,
    Labels: c.labels,
    ...keptConfigJson(c),
    ...(c.healthcheck ? { Healthcheck: c.healthcheck } : {}),
  };
}

function networkSettingsJson(ctl: Controller, c: ContainerRecord, legacy: boolean): ContainerInspect['NetworkSettings'] {
  const primary = ctl.sandboxEndpoints(c.id)[0];
  const sb = ctl.getSandbox(c.id);
  const a = addressJson(primary);
  const settings = { SandboxID: sb ? c.id : '', SandboxKey: sb?.nsPath ?? '', Ports: portsJson(ctl, c), Networks: networksJson(ctl, c) };
  if (!legacy) return settings;
  return {
    ...settings,
    Gateway: a.Gateway,
    IPAddress: a.IPAddress,
    IPPrefixLen: a.IPPrefixLen,
    MacAddress: primary?.mac ?? '',
    GlobalIPv6Address: a.GlobalIPv6Address,
    GlobalIPv6PrefixLen: a.GlobalIPv6PrefixLen,
    IPv6Gateway: a.IPv6Gateway,
  };
}

/** legacy: the top-level address fields of API < 1.52. */
export function containerInspectJson(ctl: Controller, svc: ContainerService, c: ContainerRecord, legacy = true): ContainerInspect {
  const dir = svc.etcDirOf(c);
  return {
    Id: c.id,
    Created: c.created,
    Path: c.cmd[0],
    Args: c.cmd.slice(1),
    State: stateJson(c),
    Image: c.imageId ?? c.image,
    ResolvConfPath: path.join(dir, 'resolv.conf'),
    HostnamePath: path.join(dir, 'hostname'),
    HostsPath: path.join(dir, 'hosts'),
    LogPath: '',
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay',
    Platform: 'linux',
    HostConfig: hostConfigJson(c),
    Config: configJson(c),
    NetworkSettings: networkSettingsJson(ctl, c, legacy),
    Mounts: [],
  };
}
