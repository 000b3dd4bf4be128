/**
 * A long-lived process inside an exec'd peer's host namespace that execs the plugins on
 * request and times each exec itself (fork to exit), as containerd or podman exec them:
 * no nsenter/ip-netns-exec per operation in the figure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { log, pct, results } from './harness.js';
import { children } from './lab.js';

export interface ExecResult { ms: number; status: number; stdout: string; stderr: string }

const SCRIPT = 'const {spawnSync}=require(\'child_process\');const rl=require(\'readline\').createInterface({input:process.stdin});'
  + 'rl.on(\'line\',(l)=>{const r=JSON.parse(l);const t=process.hrtime.bigint();'
  + 'const p=spawnSync(r.bin,r.args,{input:r.input,env:r.env,encoding:\'utf8\',maxBuffer:1<<26});'
  + 'const ms=Number(process.hrtime.bigint()-t)/1e6;process.stdout.write(JSON.stringify({ms,status:p.status===null?-1:p.status,'
  + 'stdout:p.stdout||\'\',stderr:(p.stderr||\'\')+(p.error?String(p.error):\'\')})+\'\\n\')});';

export class Runner {
  private readonly p: ChildProcess;
  private readonly waiting: ((r: ExecResult) => void)[] = [];

  constructor(host: string) {
    this.p = spawn('nsenter', [`--net=/run/netns/${host}`, process.execPath, '-e', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.add(this.p);
    readline.createInterface({ input: this.p.stdout! }).on('line', (l) => this.waiting.shift()?.(JSON.parse(l)));
  }

  exec(bin: string, args: string[], env: Record<string, string>, input = ''): Promise<ExecResult> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      const fullEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env };
      this.p.stdin!.write(`${JSON.stringify({ bin, args, env: fullEnv, input })}\n`);
    });
  }

  async must(bin: string, args: string[], env: Record<string, string>, input = ''): Promise<{ ms: number; stdout: string }> {
    const r = await this.exec(bin, args, env, input);
    if (r.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (${r.status}): ${r.stdout} ${r.stderr}`);
    return r;
  }

  close(): void {
    this.p.stdin!.end();
    children.delete(this.p);
  }
}

/** What one exec of a trivial binary costs from the runner: the floor under every peer figure (measured once). */
export async function execFloor(runner: Runner): Promise<void> {
  if (results.execFloorMs !== undefined) return;
  const xs: number[] = [];
  for (let i = 0; i < 30; i++) xs.push((await runner.must('/bin/true', [], {})).ms);
  results.execFloorMs = pct(xs, 50);
  log(`  exec floor (/bin/true from the runner): p50 ${results.execFloorMs.toFixed(2)} ms`);
}
