/**
 * Stray container processes after a crash: only a pid whose process is provably the
 * container's (its command line names the container's directory, or its root is the
 * container's merged root) is killed; a recorded pid now used by another process is not.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRunning, killPids, strayPids } from '../../src/runtime/strays.js';

describe('stray container processes', () => {
  const dirs: string[] = [];
  const children: number[] = [];
  afterEach(() => {
    for (const pid of children.splice(0)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  const containerDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-strays-'));
    dirs.push(d);
    return d;
  };

  it('finds and kills the process whose command line names the directory, from init.pid or state.json', async () => {
    const dir = containerDir();
    // Like the shim and init before the chroot: the directory is one of the arguments.
    const p = spawn('/bin/sh', ['-c', 'sleep 30; true', 'weft-init', dir], { stdio: 'ignore' });
    children.push(p.pid!);
    fs.writeFileSync(path.join(dir, 'init.pid'), `${p.pid}\n`);
    expect(strayPids(dir)).toEqual([p.pid]);
    fs.rmSync(path.join(dir, 'init.pid'));
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ pid: p.pid }));
    expect(strayPids(dir)).toEqual([p.pid]);
    const exited = new Promise((r) => p.once('exit', r));
    await killPids(strayPids(dir));
    await exited;
    expect(strayPids(dir)).toEqual([]);
  });

  it('leaves a recorded pid alone when its process is not the container\'s', () => {
    const dir = containerDir();
    fs.writeFileSync(path.join(dir, 'pid'), `${process.pid}\n`);
    fs.writeFileSync(path.join(dir, 'init.pid'), 'garbage\n');
    expect(strayPids(dir)).toEqual([]);
    expect(isRunning(process.pid)).toBe(true);
    expect(strayPids(path.join(dir, 'no-such-container'))).toEqual([]);
  });
});
