/**
 * The minimal runtime's contract with the daemon. The daemon owns networking (it creates
 * the sandbox namespace first) and hands the runtime a ready namespace path; the runtime
 * owns processes: start, signal, wait, exec, logs, and re-adoption after a daemon restart.
 */
import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

export interface ProcessSpec {
  /** Full container id (64 hex). */
  id: string;
  name: string;
  /** Root filesystem directory, or an image's layer directories (top first) joined by ':': overlay's read-only lowerdir. */
  rootfs: string;
  cmd: string[];
  /** "KEY=value" entries. */
  env: string[];
  workdir: string;
  hostname: string;
  /** Network namespace to run in: a bind-mounted netns file, or 'host'. */
  netns: string;
  /** Host files bind-mounted over /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  etcFiles: { hosts: string; resolvConf: string; hostname: string };
  /** Per-container state directory (logs, overlay upper/work, pid and exit files). */
  dir: string;
  /** An nft script to apply inside the container's network namespace before its command. */
  netSetup?: string;
  /** The command runs on a terminal of its own (output unframed, stderr in stdout). */
  tty?: boolean;
  /** stdin of the command: none (/dev/null), open (until it exits) or once (until closeStdin). */
  stdin?: 'none' | 'open' | 'once';
  /** HostConfig.Tmpfs: container path → mount options (size=, mode=, ...). */
  tmpfs?: { [path: string]: string };
  /** Supplementary groups of the command and of exec: gids, or names in the image's /etc/group. */
  groups?: string[];
  /** The host's pid / UTS namespace instead of one of the container's own. */
  hostPid?: boolean;
  hostUts?: boolean;
  /** An init (tini) as pid 1 that reaps and forwards signals, the command its child. */
  init?: boolean;
}

export interface ProcessState {
  /** PID (in the daemon's pid namespace) of the container's init process. */
  pid: number;
  startedAt: string;
}

export interface ExecOptions {
  env?: string[];
  workdir?: string;
  /** On a terminal of its own (stdout carries stderr too). */
  tty?: boolean;
}

export interface Runtime {
  /** Start the container's process. Resolves once it is running (pid known). */
  start(spec: ProcessSpec): Promise<ProcessState>;
  /**
   * Re-attach to a container started by an earlier daemon (after a restart or kill -9).
   * Returns the state if its process still runs, undefined if it has exited meanwhile
   * (the exit code is then available from exitCode()).
   */
  adopt(spec: ProcessSpec): Promise<ProcessState | undefined>;
  /** Register the callback that learns of every container exit (exactly once per start). */
  onExit(cb: (id: string, exitCode: number) => void): void;
  /** The recorded exit code of the last run, if it has exited. */
  exitCode(spec: ProcessSpec): number | undefined;
  kill(spec: ProcessSpec, signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after timeoutSec; resolves once the process is gone. onSignal learns of each signal sent. */
  stop(spec: ProcessSpec, timeoutSec: number, onSignal?: (signal: NodeJS.Signals) => void): Promise<void>;
  /** Run a command inside the running container's namespaces and root. */
  exec(spec: ProcessSpec, cmd: string[], opts: ExecOptions): ChildProcess;
  /** Where to write the command's stdin while it runs, if it has one. */
  stdin(spec: ProcessSpec): Writable | undefined;
  /** EOF on the command's stdin once what was written is delivered. */
  closeStdin(spec: ProcessSpec): void;
  /** The size of the command's terminal (Tty); nothing without one. */
  resize(spec: ProcessSpec, rows: number, cols: number): Promise<void>;
  /** Paths of the stdout and stderr logs. */
  logFiles(spec: ProcessSpec): { stdout: string; stderr: string };
  /**
   * After a daemon restart: SIGKILL what an earlier daemon started for the container whose
   * state directory is dir and that still runs (each pid checked to be that container's
   * process first); resolves once they are gone, with their pids.
   */
  killStrays(dir: string): Promise<number[]>;
  /** Remove the container's state directory (process must be gone). */
  remove(spec: ProcessSpec): Promise<void>;
}
