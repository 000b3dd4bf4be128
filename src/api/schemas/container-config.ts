/**
 * The Config fields (and, through host-config.ts, the HostConfig fields) weft keeps without
 * modelling them: checked, refused where weft cannot honour them, otherwise kept as the
 * client sent them so container inspect returns them.
 */
import { z } from 'zod';
import type { KeptFields } from '../../engine/records.js';
import { bool, decode, int, objOf, refuse, str, strArray } from './fields.js';
import { keptHostConfig, unset } from './host-config.js';

/** The identities the runtime already runs as: root, by name or id. */
const ROOT_USER = /^(root|0)(:(root|0))?$/;
/** The runtime stops a container with SIGTERM, then SIGKILL. */
const TERM = ['SIGTERM', 'TERM', '15'];

const keptConfig = {
  Domainname: unset(str('Domainname'), 'weft does not set a domain name in containers (--domainname)'),
  User: refuse(str('User'), (v) =>
    (!v || ROOT_USER.test(v) ? undefined : 'weft runs container processes as root: --user is not supported')),
  Entrypoint: strArray('Entrypoint'),
  StopSignal: refuse(str('StopSignal'), (v) =>
    (!v || TERM.includes(v.toUpperCase()) ? undefined : `weft stops containers with SIGTERM: stop signal ${v} is not supported`)),
  StopTimeout: int('StopTimeout'),
  OnBuild: strArray('OnBuild'),
  Shell: strArray('Shell'),
  ArgsEscaped: bool('ArgsEscaped'),
  NetworkDisabled: unset(bool('NetworkDisabled'), 'weft does not disable networking with NetworkDisabled: use network mode none'),
  HostConfig: objOf('HostConfig', keptHostConfig),
};

const kept = z.object(keptConfig);

/** Only what was sent: a null or absent field gets dockerd's default at inspect. */
const defined = (o: object): { [k: string]: unknown } => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function decodeKeptFields(body: unknown): KeptFields {
  const { HostConfig, ...config } = decode(kept, body);
  return { config: defined(config), hostConfig: defined(HostConfig ?? {}) };
}
