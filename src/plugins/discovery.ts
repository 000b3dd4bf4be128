/**
 * Where a v1 plugin listens, found as dockerd finds it: a unix socket `<name>.sock` (or
 * `<name>/<name>.sock`) in the plugins directory, else a spec file `<name>.spec` (one URL:
 * unix:///path or tcp://host:port) or `<name>.json` ({"Name", "Addr", "TLSConfig"}) in the
 * spec directories, first hit wins. Names are plain: no path separators, no dots first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgument } from '../util/errors.js';

export type PluginAddress = { socketPath: string } | { host: string; port: number };

export interface DiscoveryDirs {
  /** Directory of plugin sockets (dockerd: /run/docker/plugins). */
  socketsDir: string;
  /** Directories of spec files, searched in order (dockerd: /etc/docker/plugins, /usr/lib/docker/plugins). */
  specDirs: string[];
}

export const DEFAULT_DIRS: DiscoveryDirs = {
  socketsDir: '/run/docker/plugins',
  specDirs: ['/etc/docker/plugins', '/usr/lib/docker/plugins'],
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** The plugin's address, or undefined when no socket or spec file of that name exists. */
export function locatePlugin(name: string, dirs: DiscoveryDirs): PluginAddress | undefined {
  if (!NAME.test(name) || name.includes('..')) return undefined;
  for (const p of [path.join(dirs.socketsDir, `${name}.sock`), path.join(dirs.socketsDir, name, `${name}.sock`)]) {
    if (isSocket(p)) return { socketPath: p };
  }
  for (const dir of dirs.specDirs) {
    for (const base of [path.join(dir, name), path.join(dir, name, name)]) {
      const spec = readIfFile(`${base}.spec`);
      if (spec !== undefined) return parseUrl(spec.trim(), `${base}.spec`);
      const json = readIfFile(`${base}.json`);
      if (json !== undefined) return parseJsonSpec(json, `${base}.json`);
    }
  }
  return undefined;
}

function parseJsonSpec(text: string, file: string): PluginAddress {
  let spec: { Addr?: unknown; TLSConfig?: { InsecureSkipVerify?: boolean; CAFile?: string } };
  try {
    spec = JSON.parse(text);
  } catch {
    throw new InvalidArgument(`plugin spec ${file} is not valid JSON`);
  }
  if (typeof spec.Addr !== 'string') throw new InvalidArgument(`plugin spec ${file} has no "Addr"`);
  if (spec.TLSConfig && (spec.TLSConfig.CAFile || spec.TLSConfig.InsecureSkipVerify === false)) {
    throw new InvalidArgument(`plugin spec ${file}: TLS to plugins is not supported by weft`);
  }
  return parseUrl(spec.Addr, file);
}

/** unix:///path or tcp://host:port; anything else is refused, naming the file. */
export function parseUrl(url: string, file: string): PluginAddress {
  const unix = /^unix:\/\/(\/.+)$/.exec(url);
  if (unix) return { socketPath: unix[1] };
  const tcp = /^(?:tcp|http):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url);
  if (tcp && Number(tcp[2]) > 0 && Number(tcp[2]) < 65536) return { host: tcp[1].replace(/^\[|\]$/g, ''), port: Number(tcp[2]) };
  throw new InvalidArgument(`plugin spec ${file}: unsupported address "${url}" (unix:///path or tcp://host:port)`);
}

function isSocket(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}

function readIfFile(p: string): string | undefined {
  try {
    return fs.statSync(p).isFile() ? fs.readFileSync(p, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}
