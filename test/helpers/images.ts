/**
 * Images the tests build themselves: root filesystems from Debian's busybox-static, tarred
 * by GNU tar, and docker-archives / OCI layouts assembled from those tarballs by hand.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const APPLETS = ['sh', 'cat', 'ls', 'echo', 'env', 'pwd', 'httpd', 'sleep', 'test', 'id', 'wget', 'hostname', 'true'];

/** A minimal root in dir: /bin/busybox, applet links, /etc/passwd, plus the files given. */
export function busyboxRoot(dir: string, files: { [rel: string]: string } = {}): string {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  return withFiles(dir, files);
}

/** Writes files (relative path -> content; content '' with a trailing '/' in the path makes a directory). */
export function withFiles(dir: string, files: { [rel: string]: string }): string {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    if (rel.endsWith('/')) {
      fs.mkdirSync(p, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}

/** GNU tar of a directory's contents, as `tar -C dir -cf out .` writes it. */
export function tarDir(dir: string, out: string): string {
  execFileSync('tar', ['-C', dir, '--numeric-owner', '-cf', out, '.']);
  return out;
}

export const sha256 = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

export interface BuiltImage {
  /** The image id the archive must load as: the sha256 of its config. */
  id: string;
  diffIds: string[];
  file: string;
}

function configOf(layers: string[], run: object): { bytes: Buffer; diffIds: string[] } {
  const diffIds = layers.map((l) => sha256(fs.readFileSync(l)));
  const config = {
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z', config: run,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map(() => ({ created: '2024-01-02T03:04:05Z', created_by: 'weft test' })),
  };
  return { bytes: Buffer.from(JSON.stringify(config)), diffIds };
}

/** A docker-archive (manifest.json, repositories, <id>.json, <n>/layer.tar) of the layer tarballs, bottom first. */
export function dockerArchive(work: string, layers: string[], run: object, tags: string[], out: string): BuiltImage {
  const stage = fs.mkdtempSync(path.join(work, 'archive-'));
  const { bytes, diffIds } = configOf(layers, run);
  const id = sha256(bytes);
  fs.writeFileSync(path.join(stage, `${id.slice(7)}.json`), bytes);
  const names = layers.map((l, i) => {
    fs.mkdirSync(path.join(stage, `layer${i}`));
    fs.copyFileSync(l, path.join(stage, `layer${i}`, 'layer.tar'));
    return `layer${i}/layer.tar`;
  });
  fs.writeFileSync(path.join(stage, 'manifest.json'), JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: tags, Layers: names }]));
  fs.writeFileSync(path.join(stage, 'repositories'), '{}');
  tarDir(stage, out);
  return { id, diffIds, file: out };
}

/** An OCI image layout (oci-layout, index.json, blobs/sha256/...) with gzip layers, named by containerd's annotation. */
export function ociLayout(work: string, layers: string[], run: object, name: string, out: string): BuiltImage {
  const stage = fs.mkdtempSync(path.join(work, 'oci-'));
  fs.mkdirSync(path.join(stage, 'blobs', 'sha256'), { recursive: true });
  const blob = (b: Buffer) => {
    const digest = sha256(b);
    fs.writeFileSync(path.join(stage, 'blobs', 'sha256', digest.slice(7)), b);
    return { digest, size: b.length };
  };
  const { bytes, diffIds } = configOf(layers, run);
  const manifest = {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blob(bytes) },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob(execFileSync('gzip', ['-c', l])) })),
  };
  const m = blob(Buffer.from(JSON.stringify(manifest)));
  fs.writeFileSync(path.join(stage, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(path.join(stage, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: manifest.mediaType, ...m, annotations: { 'io.containerd.image.name': name } }],
  }));
  tarDir(stage, out);
  return { id: sha256(bytes), diffIds, file: out };
}
