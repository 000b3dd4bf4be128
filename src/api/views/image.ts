/** Docker's image JSON: the summary of GET /images/json and the inspect of GET /images/{name}/json. */
import type { ImageRunConfig } from '../../images/config.js';
import type { StoredImage } from '../../images/store.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Config as dockerd shows it: every field present. */
function runConfigJson(c: ImageRunConfig = {}) {
  return {
    Hostname: '', Domainname: '', User: c.User ?? '',
    AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ExposedPorts: c.ExposedPorts ?? null, Tty: false, OpenStdin: false, StdinOnce: false,
    Env: c.Env ?? null, Cmd: c.Cmd ?? null, Image: '', Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '', Entrypoint: c.Entrypoint ?? null, OnBuild: null, Labels: c.Labels ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
  };
}

export function imageSummaryJson(img: StoredImage, containers: number) {
  return {
    Id: img.id,
    ParentId: '',
    RepoTags: img.tags,
    RepoDigests: [],
    Created: Math.floor(Date.parse(img.config.created ?? '') / 1000) || 0,
    Size: img.size,
    SharedSize: -1,
    VirtualSize: img.size,
    Labels: img.config.config?.Labels ?? {},
    Containers: containers,
  };
}

export function imageInspectJson(img: StoredImage, lowerDirs: string[]) {
  const config = runConfigJson(img.config.config);
  return {
    Id: img.id,
    RepoTags: img.tags,
    RepoDigests: [],
    Parent: '',
    Comment: img.config.comment ?? '',
    Created: img.config.created ?? ZERO_TIME,
    DockerVersion: '',
    Author: img.config.author ?? '',
    Config: config,
    // docker-compose 1.x reads an image's volumes from here when it re-creates a container.
    ContainerConfig: config,
    Architecture: img.config.architecture ?? 'amd64',
    Os: img.config.os ?? 'linux',
    Size: img.size,
    VirtualSize: img.size,
    GraphDriver: { Name: 'overlay', Data: lowerDirs.length ? { LowerDir: lowerDirs.join(':') } : null },
    RootFS: { Type: 'layers', Layers: img.config.rootfs.diff_ids },
    Metadata: { LastTagTime: ZERO_TIME },
  };
}
