/**
 * `docker import --change`: the Dockerfile instructions dockerd applies to an imported
 * image's config. CMD/ENTRYPOINT take the JSON form or the shell form (run by /bin/sh -c).
 */
import { InvalidArgument } from '../util/errors.js';
import type { ImageRunConfig } from './config.js';

function command(args: string): string[] {
  if (args.trimStart().startsWith('[')) {
    try {
      const v = JSON.parse(args) as unknown;
      if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v;
    } catch {
      // not JSON: the shell form, as the Dockerfile parser falls back to
    }
  }
  return ['/bin/sh', '-c', args];
}

/** ENV a=b c=d, or the old ENV name value form. */
function envEntries(args: string): string[] {
  if (!/^[^\s=]+=/.test(args)) {
    const m = /^(\S+)\s+(.*)$/.exec(args);
    if (!m) throw new InvalidArgument('ENV must have two arguments');
    return [`${m[1]}=${m[2]}`];
  }
  return [...args.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g)].map(([, k, v]) =>
    `${k}=${v.startsWith('"') ? (JSON.parse(v) as string) : v}`);
}

function setEnv(c: ImageRunConfig, entries: string[]): void {
  const env = [...(c.Env ?? [])];
  for (const e of entries) {
    const name = e.slice(0, e.indexOf('='));
    const i = env.findIndex((x) => x.startsWith(`${name}=`));
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  c.Env = env;
}

/** Applies each change line to a copy of base, in order. */
export function applyChanges(base: ImageRunConfig, changes: string[]): ImageRunConfig {
  const c: ImageRunConfig = { ...base };
  for (const line of changes) {
    const m = /^\s*(\S+)\s*(.*?)\s*$/s.exec(line);
    if (!m) continue;
    const [, word, args] = m;
    switch (word.toUpperCase()) {
      case 'CMD': c.Cmd = command(args); break;
      case 'ENTRYPOINT': c.Entrypoint = command(args); break;
      case 'ENV': setEnv(c, envEntries(args)); break;
      case 'WORKDIR': c.WorkingDir = args; break;
      case 'USER': c.User = args; break;
      case 'EXPOSE':
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of args.split(/\s+/).filter(Boolean)) c.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        break;
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}) };
        for (const e of envEntries(args)) c.Labels[e.slice(0, e.indexOf('='))] = e.slice(e.indexOf('=') + 1);
        break;
      default:
        throw new InvalidArgument(`${word.toLowerCase()} is not a valid change command`);
    }
  }
  return c;
}
