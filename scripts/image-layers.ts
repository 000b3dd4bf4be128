/**
 * Layers are shared: the disk use of N containers of one loaded image. Loads a two-layer
 * image (busybox-static plus a 16 MiB file) into a TestDaemon, then runs N containers of it
 * and prints the state root's size (du) before and after, per container. Needs root and a
 * build: `npm run build && node dist/scripts/image-layers.js [N]` (default 100).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../test/helpers/daemon.js';
import { DockerCli } from '../test/helpers/docker-cli.js';
import { busyboxRoot, dockerArchive, tarDir, withFiles } from '../test/helpers/images.js';
import { makeNs } from '../test/helpers/lab.js';

const n = Number(process.argv[2] ?? 100);
const kib = (dir: string) => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wi-layers-'));
const d = new TestDaemon('nftables', makeNs('wi'));
try {
  await d.start();
  const docker = new DockerCli(d);
  const base = busyboxRoot(path.join(work, 'base'));
  const top = withFiles(path.join(work, 'top'), { 'data/blob': 'x'.repeat(16 << 20) });
  const image = dockerArchive(work, [tarDir(base, path.join(work, 'b.tar')), tarDir(top, path.join(work, 't.tar'))],
    { Cmd: ['sleep', '1000'], Env: ['PATH=/bin'] }, ['wi-big:1'], path.join(work, 'big.tar'));
  const before = kib(d.root);
  const load = docker.run(['load', '-i', image.file]);
  if (load.code !== 0) throw new Error(load.err);
  const loaded = kib(d.root);
  const started = Date.now();
  for (let i = 0; i < n; i++) {
    const r = docker.run(['run', '-d', '--network', 'none', 'wi-big:1']);
    if (r.code !== 0) throw new Error(r.err);
  }
  const after = kib(d.root);
  console.log(JSON.stringify({
    containers: n,
    imageKiB: loaded - before,
    stateRootKiB: { beforeLoad: before, afterLoad: loaded, afterContainers: after },
    perContainerKiB: Number(((after - loaded) / n).toFixed(1)),
    copiedImagesWouldAddKiB: n * (loaded - before),
    runSeconds: Number(((Date.now() - started) / 1000).toFixed(1)),
  }, null, 1));
  docker.run(['rm', '-f', ...docker.run(['ps', '-aq']).out.split('\n').filter(Boolean)]);
  docker.cleanup();
} finally {
  await d.destroy();
  fs.rmSync(work, { recursive: true, force: true });
}
