/**
 * The built-in `busybox` image: a root filesystem made from Debian's busybox-static
 * binary, one symlink per applet. Built once under the state root, atomically (into a
 * temporary directory, then renamed), so a crash never leaves half an image.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

export function ensureBusyboxRootfs(dir: string): string {
  if (fs.existsSync(path.join(dir, 'bin', 'busybox'))) return dir;
  const src = CANDIDATES.find((p) => fs.existsSync(p));
  if (!src) throw new Error('busybox is not installed: run scripts/setup (or apt-get install busybox-static)');
  const applets = execFileSync(src, ['--list'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);

  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'root', 'var/www', 'var/run', 'home']) {
      fs.mkdirSync(path.join(tmp, d), { recursive: true, mode: 0o755 });
    }
    fs.mkdirSync(path.join(tmp, 'tmp'));
    fs.chmodSync(path.join(tmp, 'tmp'), 0o1777);
    fs.copyFileSync(src, path.join(tmp, 'bin', 'busybox'));
    fs.chmodSync(path.join(tmp, 'bin', 'busybox'), 0o755);
    for (const a of applets) {
      if (a === 'busybox' || a.includes('/')) continue;
      fs.symlinkSync('busybox', path.join(tmp, 'bin', a));
    }
    const etc = (name: string, text: string) => fs.writeFileSync(path.join(tmp, 'etc', name), text);
    etc('passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    etc('group', 'root:x:0:\nnogroup:x:65534:\n');
    etc('hosts', '');
    etc('resolv.conf', '');
    etc('hostname', '');
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another daemon (or a concurrent request) may have won the rename: that is fine.
    if (fs.existsSync(path.join(dir, 'bin', 'busybox'))) return dir;
    throw err;
  }
  return dir;
}
