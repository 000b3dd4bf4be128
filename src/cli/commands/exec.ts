/** `weft exec`: create an exec instance, start it hijacked, report its exit code. */
import type { Command } from 'commander';
import { collect, type Ctx, enc } from '../context.js';
import { copyStream } from '../stdcopy.js';
import { resolveEnv } from './run-flags.js';

export function registerExec(parent: Command, ctx: Ctx): void {
  parent
    .command('exec')
    .description('Execute a command in a running container')
    .argument('<container>')
    .argument('<command...>')
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('-e, --env <KEY=VALUE>', 'Set environment variables (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .option('-u, --user <user>', 'Username or UID')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .passThroughOptions()
    .action(async (name: string, cmd: string[], o: {
      detach?: boolean; env: string[]; workdir?: string; user?: string; interactive?: boolean; privileged?: boolean;
    }) => {
      const client = ctx.client();
      const env = resolveEnv(o.env, ctx.io.env);
      const attach = !o.detach;
      // docker inspects first (existence check; "No such container" comes from here).
      await client.get(`/containers/${enc(name)}/json`);
      const created = await client.post<{ Id?: string }>(`/containers/${enc(name)}/exec`, {
        User: o.user ?? '',
        Privileged: !!o.privileged,
        Tty: false,
        AttachStdin: attach && !!o.interactive,
        AttachStderr: attach,
        AttachStdout: attach,
        Detach: !!o.detach,
        DetachKeys: '',
        Env: env.length ? env : null,
        WorkingDir: o.workdir ?? '',
        Cmd: cmd,
      });
      const execId = created?.Id;
      if (!execId) throw new Error('exec ID empty');
      if (o.detach) {
        await client.post(`/exec/${execId}/start`, { Detach: true, Tty: false });
        return;
      }
      const started = await client.hijack('POST', `/exec/${execId}/start`, { body: { Detach: false, Tty: false } });
      if (o.interactive && started.socket) {
        const sock = started.socket;
        ctx.io.stdin.on('data', (chunk: Buffer) => sock.write(chunk));
        ctx.io.stdin.once('end', () => sock.end());
        ctx.io.stdin.resume();
      }
      try {
        await copyStream(started.stream, started.contentType, ctx.io.stdout, ctx.io.stderr);
      } finally {
        if (o.interactive) ctx.io.stdin.pause();
        started.close();
      }
      const info = await client.get<{ ExitCode?: number | null; Running?: boolean }>(`/exec/${execId}/json`);
      ctx.exitCode = info?.ExitCode ?? 0;
    });
}
