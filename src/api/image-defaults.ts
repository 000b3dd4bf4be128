/**
 * What a container takes from its image's config, merged as dockerd merges it: the image's
 * Env under the request's (same name: the request wins), its Entrypoint unless the request
 * names one, its Cmd only when the request has neither, WorkingDir, ExposedPorts (what -P
 * publishes), Labels, and the Healthcheck when the request has none.
 */
import type { ImageRunConfig } from '../images/config.js';
import { InvalidArgument } from '../util/errors.js';
import type { ContainerCreateBody } from './schemas/container-create.js';

const ROOT_USER = /^(root|0)?(:(root|0))?$/;
const nameOf = (e: string) => e.split('=', 1)[0];

function mergeEnv(image: string[], request: string[]): string[] {
  const asked = new Set(request.map(nameOf));
  return [...image.filter((e) => !asked.has(nameOf(e))), ...request];
}

function checkUser(image: ImageRunConfig, requested: unknown): void {
  const user = typeof requested === 'string' && requested ? requested : image.User ?? '';
  if (!ROOT_USER.test(user)) {
    throw new InvalidArgument(
      `weft runs container processes as root: the image's user "${user}" is not supported (run it with --user root)`);
  }
}

export function withImageDefaults(b: ContainerCreateBody, image: ImageRunConfig): ContainerCreateBody {
  checkUser(image, b.kept.config.User);
  const entrypoint = b.entrypoint.length ? b.entrypoint : image.Entrypoint ?? [];
  const cmd = b.cmd.length || b.entrypoint.length ? b.cmd : image.Cmd ?? [];
  const key = (p: string) => (p.includes('/') ? p : `${p}/tcp`);
  const asked = new Set(b.exposedPorts.map(key));
  const exposed = [...b.exposedPorts, ...Object.keys(image.ExposedPorts ?? {}).filter((p) => !asked.has(key(p)))];
  const healthcheck = b.healthcheck ?? (image.Healthcheck?.Test?.length ? image.Healthcheck : undefined);
  return {
    ...b,
    entrypoint,
    cmd,
    env: mergeEnv(image.Env ?? [], b.env),
    workdir: b.workdir || image.WorkingDir || '',
    exposedPorts: exposed,
    labels: { ...(image.Labels ?? {}), ...b.labels },
    // Inspect splits the command back into Entrypoint and Cmd by the kept Entrypoint.
    kept: { ...b.kept, config: { ...b.kept.config, ...(entrypoint.length ? { Entrypoint: entrypoint } : {}) } },
    ...(healthcheck ? { healthcheck } : {}),
  };
}
