/** POST /containers/:id/exec and POST /exec/:id/start bodies. */
import { z } from 'zod';
import type { ExecOptions } from '../../engine/exec.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../detach-keys.js';
import { bool, cstr, cstrArray, decode, refuse, str } from './fields.js';

const execCreate = z.object({
  Cmd: refuse(cstrArray('Cmd'), (v) => (v?.length ? undefined : 'No exec command specified')),
  Tty: bool('Tty'),
  User: refuse(str('User'), (v) => (v ? 'weft does not support running an exec as another user (--user)' : undefined)),
  Env: cstrArray('Env'),
  WorkingDir: cstr('WorkingDir'),
  AttachStdin: bool('AttachStdin'),
  DetachKeys: str('DetachKeys'),
  // Go decodes JSON keys case-insensitively; docker-py sends its config file's key as "detachKeys".
  detachKeys: str('detachKeys'),
});

export function decodeExecCreate(body: unknown): ExecOptions {
  const b = decode(execCreate, body);
  const detachKeys = b.DetachKeys || b.detachKeys || DEFAULT_DETACH_KEYS;
  parseDetachKeys(detachKeys);
  return { cmd: b.Cmd ?? [], env: b.Env ?? [], workdir: b.WorkingDir ?? '', attachStdin: !!b.AttachStdin, tty: !!b.Tty, detachKeys };
}

const execStart = z.object({ Detach: bool('Detach'), Tty: bool('Tty') });

/** tty: the output unframed, as dockerd decides it from the start body (the terminal is the create's). */
export function decodeExecStart(body: unknown): { detach: boolean; tty: boolean } {
  const b = decode(execStart, body);
  return { detach: !!b.Detach, tty: !!b.Tty };
}
