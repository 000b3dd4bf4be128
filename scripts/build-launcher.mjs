#!/usr/bin/env node
/**
 * The weft-cni and weft-ipam executables (dist/bin): src/cni/launcher/launcher.c compiled
 * once per plugin, with this Node and the plugin's script baked in. Without a C compiler
 * each becomes a shell script that execs the Node plugin on every call: it works, but
 * never reaches a running daemon (see the README, "weft as CNI plugins").
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const OUT = 'dist/bin';
const PLUGINS = [['weft-cni', 'main.js'], ['weft-ipam', 'ipam-main.js']];
const cc = process.env.CC || 'gcc';

fs.mkdirSync(OUT, { recursive: true });
for (const [name, script] of PLUGINS) {
  const out = path.join(OUT, name);
  const rel = `../src/cni/${script}`;
  const defs = [`-DPLUGIN_NAME="${name}"`, `-DPLUGIN_SCRIPT="${rel}"`, `-DNODE_BIN="${process.execPath}"`];
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', ...defs, '-o', out, 'src/cni/launcher/launcher.c'], { encoding: 'utf8' });
  if (r.status === 0) continue;
  if (!r.error) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  process.stderr.write(`warning: no C compiler (${cc}): ${out} execs the Node plugin on every call and never reaches a daemon\n`);
  fs.rmSync(out, { force: true });
  fs.writeFileSync(out, `#!/bin/sh\nexec ${process.execPath} "$(dirname "$(readlink -f "$0")")/${rel}" "$@"\n`, { mode: 0o755 });
}
