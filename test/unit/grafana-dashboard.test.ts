/** The dashboard in contrib/grafana queries only metrics /metrics exposes. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../src/metrics/scrape.js';
import { REPO } from '../helpers/daemon.js';

describe('Grafana dashboard', () => {
  it('names exposed metrics in every panel query', async () => {
    const dash = JSON.parse(fs.readFileSync(path.join(REPO, 'contrib/grafana/weft.json'), 'utf8'));
    const registered = new Set([...(await renderMetrics()).text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    const queried = new Set<string>();
    for (const p of dash.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) for (const m of String(t.expr).matchAll(/weft_[a-z0-9_]+/g)) queried.add(m[0]);
    }
    const base = (n: string) => n.replace(/_(bucket|count|sum)$/, '');
    expect([...queried].filter((n) => !registered.has(n) && !registered.has(base(n)))).toEqual([]);
    // Every series weft itself defines has a panel (of prom-client's process metrics, a few are shown).
    const own = [...registered].filter((n) => !/^weft_(process|nodejs)_/.test(n));
    const shown = new Set([...queried].map(base));
    expect(own.filter((n) => !shown.has(n))).toEqual([]);
    expect(queried.size).toBeGreaterThan(15);
  });
});
