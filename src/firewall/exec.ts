/**
 * Running the packet-filter tools: optionally inside a network namespace (through
 * `nsenter --net=`), with a batch fed on stdin.
 */
import { spawn } from 'node:child_process';

export class CommandError extends Error {
  constructor(readonly argv: string[], readonly code: number | null, readonly stderr: string) {
    super(`${argv.join(' ')} failed (${code ?? 'signal'}): ${stderr.trim() || 'no output'}`);
    this.name = 'CommandError';
  }
}

/** Run argv (in netnsPath's network namespace when given); resolve stdout, reject on failure. */
export function runCommand(argv: string[], opts: { input?: string; netnsPath?: string } = {}): Promise<string> {
  const full = opts.netnsPath ? ['nsenter', `--net=${opts.netnsPath}`, ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new CommandError(full, code, stderr));
    });
    // EPIPE when the tool exits early is reported through 'close' with its own message.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
