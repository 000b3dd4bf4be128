/**
 * The layer rule (.dependency-cruiser.cjs) run by the same CLI as `npm run lint:layers`, over
 * a miniature of the layout in test/fixtures/layers: it must flag exactly the three upward
 * imports there (a value import, a type-only one, a controller naming a concrete driver) and
 * pass once they are left out.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/layers');
const CLI = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function depcruise(outputType: 'err' | 'json', extra: string[]) {
  const args = [CLI, 'src', 'drivers', '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', outputType, ...extra];
  return spawnSync(process.execPath, args, { cwd: FIXTURE, encoding: 'utf8' });
}

/** What `npm run lint:layers` prints and exits with: one "rule: from -> to" per violation. */
function lint(...extra: string[]): { status: number | null; violations: string[] } {
  const run = depcruise('err', extra);
  const violations = [...run.stdout.matchAll(/^\s*error (\S+): (\S+) → (\S+)$/gm)].map(([, rule, from, to]) => `${rule}: ${from} -> ${to}`);
  return { status: run.status, violations: violations.sort() };
}

/** Every import edge the cruise saw, as "from -> to". */
function edges(...extra: string[]): string[] {
  const result = JSON.parse(depcruise('json', extra).stdout) as { modules: { source: string; dependencies: { resolved: string }[] }[] };
  return result.modules.flatMap((m) => m.dependencies.map((d) => `${m.source} -> ${d.resolved}`));
}

describe('layer rule', () => {
  it('fails on upward imports, type-only ones included', () => {
    const r = lint();
    expect(r.status).not.toBe(0);
    expect(r.violations).toEqual([
      'controller: src/controller/upward-concrete.ts -> drivers/demo/demo.ts',
      'machinery: src/kernel/upward.ts -> src/controller/controller.ts',
      'machinery: src/store/upward-type.ts -> src/controller/controller.ts',
    ]);
  }, 30_000);

  it('passes on the same tree without them', () => {
    const r = lint('--exclude', 'upward');
    expect(r.violations).toEqual([]);
    expect(r.status).toBe(0);
    // The pass is not vacuous: the allowed edges, type-only ones too, were seen.
    expect(edges('--exclude', 'upward')).toEqual(expect.arrayContaining([
      'src/cli/main.ts -> src/api/types.ts',
      'drivers/demo/demo.ts -> src/contracts/driver.ts',
      'src/daemon/daemon.ts -> drivers/demo/demo.ts',
      'src/controller/controller.ts -> src/contracts/driver.ts',
    ]));
  }, 30_000);
});
