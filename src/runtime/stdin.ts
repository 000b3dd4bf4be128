/**
 * The main process's stdin and terminal. stdin is a FIFO in the container's directory: the
 * daemon holds it open read-write (so the process's open never waits for a writer) and
 * writes what attached clients send; closing the daemon's end gives the process EOF
 * (StdinOnce). With a stdin that stays open, the shim holds a writer too, so a daemon
 * restart does not end it. A terminal is util-linux `script`: it makes the pty, runs the
 * command on it and copies between the pty and its own stdin/stdout (the FIFO, the log).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export type StdinMode = 'none' | 'open' | 'once';

export function stdinFifo(dir: string): string {
  return path.join(dir, 'stdin');
}

/** A fresh FIFO for a start, opened by the daemon. */
export function createStdin(dir: string): net.Socket {
  const fifo = stdinFifo(dir);
  fs.rmSync(fifo, { force: true });
  execFileSync('/usr/bin/mkfifo', ['-m', '600', fifo]);
  return openStdin(fifo);
}

/** The daemon's end of an existing FIFO (a non-blocking pipe handle, so a full pipe never blocks the loop). */
export function openStdin(fifo: string): net.Socket {
  const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const s = new net.Socket({ fd, readable: false, writable: true });
  // A write after the process has gone, or the shutdown a FIFO does not support: only stdin's loss.
  s.on('error', () => s.destroy());
  return s;
}

/** Closes the daemon's end once what was written is out. */
export function closeStdin(s: net.Socket): void {
  if (s.destroyed) return;
  if (!s.writableLength) {
    s.destroy();
    return;
  }
  s.once('drain', () => s.destroy());
}

/** Sets the size of the terminal that pid's stdin is (SIGWINCH to its foreground group); a gone process is no error. */
export function resizeTerminal(pid: number, rows: number, cols: number): Promise<void> {
  return new Promise((resolve) => {
    execFile('/usr/bin/stty', ['-F', `/proc/${pid}/fd/0`, 'rows', String(rows), 'cols', String(cols)], () => resolve());
  });
}

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** argv that runs `argv` on a new terminal (script's exit status is the command's). */
export function onTerminal(argv: string[]): string[] {
  const command = `exec ${argv.map(quote).join(' ')}`;
  return ['/usr/bin/script', '--quiet', '--return', '--flush', '--echo', 'always', '--command', command, '/dev/null'];
}
