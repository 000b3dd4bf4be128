/**
 * CNI spec versions weft speaks, and which verbs each one has: STATUS and GC arrived in 1.1.0.
 */
import { CniError, CODE } from './errors.js';

export const SUPPORTED = ['0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED)[number];

export const VERBS = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'] as const;
export type Verb = (typeof VERBS)[number];

export function checkVersion(v: unknown): CniVersion {
  if (typeof v !== 'string' || !v) throw new CniError(CODE.invalidConfig, 'cniVersion is required');
  if (!(SUPPORTED as readonly string[]).includes(v)) {
    const supported = JSON.stringify(SUPPORTED);
    throw new CniError(CODE.incompatibleVersion, `incompatible CNI versions: config is "${v}", plugin supports ${supported}`);
  }
  return v as CniVersion;
}

/** Whether the verb exists at this config version. */
export function checkVerb(verb: Verb, v: CniVersion): void {
  if ((verb === 'STATUS' || verb === 'GC') && v !== '1.1.0') {
    throw new CniError(CODE.incompatibleVersion, `${verb} requires cniVersion 1.1.0 or later, config is "${v}"`);
  }
}

export function versionResult(cniVersion: string): { cniVersion: string; supportedVersions: string[] } {
  return { cniVersion, supportedVersions: [...SUPPORTED] };
}
