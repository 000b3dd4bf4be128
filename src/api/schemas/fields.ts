/**
 * zod builders for Docker request fields with dockerd-style messages ("invalid
 * HostConfig.AutoRemove: must be a boolean"). null counts as absent, as Go decodes it.
 * A schema reports its first problem in field order, the order a reader checks them.
 */
import { z } from 'zod';
import { InvalidArgument } from '../../util/errors.js';

const must = (path: string, what: string) => `invalid ${path}: must be ${what}`;
const absentIfNull = <T>(v: T | null | undefined): T | undefined => v ?? undefined;

export const str = (path: string) => z.string({ error: must(path, 'a string') }).nullish().transform(absentIfNull);

export const bool = (path: string) => z.boolean({ error: must(path, 'a boolean') }).nullish().transform(absentIfNull);

/** An integer (Go's int/int64 fields). */
export const int = (path: string) =>
  z.number({ error: must(path, 'an integer') }).int({ error: must(path, 'an integer') }).nullish().transform(absentIfNull);

export const obj = (path: string) =>
  z.record(z.string(), z.unknown(), { error: must(path, 'an object') }).nullish().transform(absentIfNull);

export const arr = (path: string) => z.array(z.unknown(), { error: must(path, 'an array') }).nullish().transform(absentIfNull);

export const strArray = (path: string) => {
  const error = must(path, 'an array of strings');
  return z.array(z.string({ error }), { error }).nullish().transform(absentIfNull);
};

/** An object of strings (labels, options); names the first key whose value is not one. */
export const strMap = (path: string) =>
  obj(path).superRefine((m, ctx) => {
    const bad = Object.entries(m ?? {}).find(([, v]) => typeof v !== 'string');
    if (bad) ctx.addIssue({ code: 'custom', message: must(`${path}.${bad[0]}`, 'a string') });
  }).transform((m) => m as { [k: string]: string } | undefined);

/** A nested object with a known shape. */
export const objOf = <S extends z.ZodRawShape>(path: string, shape: S) =>
  z.object(shape, { error: must(path, 'an object') }).nullish().transform(absentIfNull);

/** A refusal tied to one field: `why` returns the message when the value cannot be honoured. */
export const refuse = <T extends z.ZodType>(schema: T, why: (v: z.output<T>) => string | undefined) =>
  schema.superRefine((v, ctx) => {
    const message = why(v);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

/** A string field the kernel gets as a C string (a path, an argument, the environment): no NUL bytes. */
export const cstr = (path: string) =>
  refuse(str(path), (v) => (v?.includes('\0') ? must(path, 'a string without NUL bytes') : undefined));

/** An array of C strings (argv, the environment). */
export const cstrArray = (path: string) =>
  refuse(strArray(path), (v) => (v?.some((x) => x.includes('\0')) ? must(path, 'an array of strings without NUL bytes') : undefined));

/** Parses v or throws a 400 with the first problem's message. */
export function decode<T extends z.ZodType>(schema: T, v: unknown): z.output<T> {
  const r = schema.safeParse(v);
  if (!r.success) throw new InvalidArgument(r.error.issues[0].message);
  return r.data;
}
