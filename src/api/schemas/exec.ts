/** POST /containers/:id/exec and POST /exec/:id/start bodies. */
import { z } from 'zod';
import type { ExecOptions } from '../../engine/exec.js';
import { NO_TTY } from './container-create.js';
import { bool, cstr, cstrArray, decode, refuse, str } from './fields.js';

const execCreate = z.object({
  Cmd: refuse(cstrArray('Cmd'), (v) => (v?.length ? undefined : 'No exec command specified')),
  Tty: refuse(bool('Tty'), (v) => (v ? NO_TTY : undefined)),
  User: refuse(str('User'), (v) => (v ? 'weft does not support running an exec as another user (--user)' : undefined)),
  Env: cstrArray('Env'),
  WorkingDir: cstr('WorkingDir'),
  AttachStdin: bool('AttachStdin'),
});

export function decodeExecCreate(body: unknown): ExecOptions {
  const b = decode(execCreate, body);
  return { cmd: b.Cmd ?? [], env: b.Env ?? [], workdir: b.WorkingDir ?? '', attachStdin: !!b.AttachStdin };
}

const execStart = z.object({ Detach: bool('Detach') });

export function decodeExecStart(body: unknown): { detach: boolean } {
  return { detach: !!decode(execStart, body).Detach };
}
