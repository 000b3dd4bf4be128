#!/usr/bin/env node
/**
 * The `weft` command: a pure client of the daemon's Docker-Engine-shaped HTTP API.
 *
 * `main(argv, io)` is the whole CLI as a function — argv are the user arguments (no node,
 * no script path), io the streams/env/clock it uses — and resolves to the exit code, so
 * tests drive it in-process. Run as a program, this file calls it and exits with that code.
 *
 * Exit codes, as the docker CLI: 0 ok; 1 for daemon errors ("Error response from daemon:
 * MSG" on stderr), usage errors and an unreachable daemon; for run/create, 125 when weft or
 * the daemon fails (bad flags, create/start refused), otherwise the container's exit code.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { DEFAULT_HOST } from './client.js';
import { registerImageCommands } from './commands/images.js';
import { registerContainerCommands, registerNetworkCommands, registerSystemCommands } from './commands/index.js';
import { normalizeBoolFlags } from './commands/network-create.js';
import { cliVersion } from './commands/version.js';
import { Ctx, ExitError, type CliIO } from './context.js';

export type { CliIO } from './context.js';

/** A commander parse/usage failure, tagged with the command it happened in. */
class CommandFailure extends Error {
  constructor(readonly command: Command, override readonly cause: CommanderError) {
    super(cause.message);
  }
}

function defaultIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // Lazy: touching process.stdin creates a handle; only prune and exec -i need it.
    get stdin() { return process.stdin; },
    get stdinIsTTY() { return !!process.stdin.isTTY; },
    env: process.env,
    now: () => Date.now(),
    onSignal: (handler) => {
      const h = (sig: NodeJS.Signals) => handler(sig);
      process.on('SIGINT', h);
      process.on('SIGTERM', h);
      return () => {
        process.off('SIGINT', h);
        process.off('SIGTERM', h);
      };
    },
  };
}

function withIO(io: Partial<CliIO>): CliIO {
  const base = defaultIO();
  const merged = Object.create(base) as CliIO;
  for (const [k, v] of Object.entries(io)) if (v !== undefined) Object.defineProperty(merged, k, { value: v });
  return merged;
}

/** Index of the first command word in argv, skipping the global options (-H). */
function commandIndex(argv: string[]): number {
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '-H' || a === '--host') { i += 2; continue; }
    if (a.startsWith('-H') || a.startsWith('--host=')) { i += 1; continue; }
    if (a === '--') return i + 1;
    if (a.startsWith('-')) { i += 1; continue; }
    return i;
  }
  return argv.length;
}

/** Tokens that only need network create's `--flag=bool` rewrite (see normalizeBoolFlags). */
function normalizeArgv(argv: string[]): string[] {
  const i = commandIndex(argv);
  if (argv[i] === 'network' && argv[i + 1] === 'create') {
    const end = argv.indexOf('--', i + 2);
    const stop = end < 0 ? argv.length : end;
    return [...argv.slice(0, i + 2), ...normalizeBoolFlags(argv.slice(i + 2, stop)), ...argv.slice(stop)];
  }
  return argv;
}

/**
 * `weft daemon` is the composition root's command: registerDaemonCommand(program) from
 * ../daemon/command.js. It is loaded only when it can matter (the command is `daemon`, or
 * help is being shown), so ordinary client commands do not load the daemon's kernel
 * modules, and the CLI has no static import of the daemon. When the module is missing or
 * fails to load, a placeholder `daemon` command explains why instead of breaking every
 * other command.
 */
async function registerDaemon(program: Command, argv: string[]): Promise<void> {
  const word = argv[commandIndex(argv)];
  // Without a command word only help (asked for, or shown for a bare `weft`) lists it;
  // `weft --version` must stay as quick as any client command.
  const wantsHelp = argv.length === 0 || argv.some((a) => a === '-h' || a === '--help');
  if (word === undefined ? !wantsHelp : word !== 'daemon' && word !== 'help') return;
  const spec = '../daemon/command.js';
  let failure: string | undefined;
  try {
    const mod = (await import(spec)) as { registerDaemonCommand?: (p: Command) => void };
    if (typeof mod.registerDaemonCommand !== 'function') failure = `${spec} does not export registerDaemonCommand`;
    else mod.registerDaemonCommand(program);
  } catch (err) {
    failure = (err as Error).message;
  }
  if (failure !== undefined && !program.commands.some((c) => c.name() === 'daemon')) {
    program
      .command('daemon')
      .description('Run the weft daemon (not available in this build)')
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw new Error(`the weft daemon is not available: ${failure}`);
      });
  }
}

function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** run/create (top level or under `container`) use docker's 125 for their own failures. */
function isRunOrCreate(cmd: Command): boolean {
  const parent = cmd.parent;
  return (cmd.name() === 'run' || cmd.name() === 'create') &&
    !!parent && (parent.parent === null || parent.name() === 'container');
}

function configureTree(cmd: Command, io: CliIO): void {
  cmd.exitOverride((err) => { throw new CommandFailure(cmd, err); });
  cmd.configureOutput({
    writeOut: (s) => { io.stdout.write(s); },
    writeErr: (s) => { io.stderr.write(s); },
  });
  cmd.showHelpAfterError(`See '${fullName(cmd)} --help'.`);
  for (const sub of cmd.commands) configureTree(sub, io);
}

export async function main(argv: string[], ioOverrides: Partial<CliIO> = {}): Promise<number> {
  const io = withIO(ioOverrides);
  const program = new Command('weft');
  const ctx = new Ctx(io, () => (program.opts() as { host?: string }).host ?? io.env.WEFT_HOST ?? DEFAULT_HOST);

  program
    .description('weft: container networking, driven like docker')
    .usage('[-H HOST] COMMAND')
    .enablePositionalOptions()
    .option('-H, --host <host>', `Daemon socket to connect to (default: $WEFT_HOST, else ${DEFAULT_HOST})`)
    .version(cliVersion(), '-v, --version', 'Print version information and quit');

  registerContainerCommands(program, ctx);
  registerNetworkCommands(program, ctx);
  registerSystemCommands(program, ctx);
  registerImageCommands(program, ctx);
  const container = program.command('container').description('Manage containers').enablePositionalOptions();
  registerContainerCommands(container, ctx, true);
  await registerDaemon(program, argv);

  configureTree(program, io);

  try {
    await program.parseAsync(normalizeArgv(argv), { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommandFailure) {
      const code = err.cause.exitCode;
      return code !== 0 && isRunOrCreate(err.command) ? 125 : code;
    }
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ExitError) return err.code;
    ctx.report(err);
    return ctx.exitCode || 1;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // `weft ps | head -1`: a closed pipe ends the command quietly, as with docker.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
