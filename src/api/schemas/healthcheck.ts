/** Config.Healthcheck: its types, and the limits dockerd enforces, in dockerd's words. */
import { z } from 'zod';
import type { HealthcheckConfig } from '../../engine/records.js';
import { cstrArray, objOf, refuse } from './fields.js';

/** dockerd's MinimumDuration (1ms), in nanoseconds. */
const MIN_DURATION_NS = 1e6;

const duration = (name: string) =>
  refuse(z.number({ error: `invalid Healthcheck.${name}: must be a number` }).int().nullish(), (v) =>
    (v && v < MIN_DURATION_NS ? `${name} in Healthcheck cannot be less than 1ms` : undefined));

export const healthcheck = objOf('Healthcheck', {
  Test: cstrArray('Healthcheck.Test'),
  Interval: duration('Interval'),
  Timeout: duration('Timeout'),
  StartPeriod: duration('StartPeriod'),
  StartInterval: duration('StartInterval'),
  Retries: refuse(z.number({ error: 'invalid Healthcheck.Retries: must be a number' }).int().nullish(), (v) =>
    (v && v < 0 ? 'Retries in Healthcheck cannot be negative' : undefined)),
});

/** What the client sent, without the fields it left out. */
export function decodeHealthcheck(h: z.output<typeof healthcheck>): HealthcheckConfig | undefined {
  if (!h) return undefined;
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined && v !== null)) as HealthcheckConfig;
}
