/**
 * The kill -9 fault campaign (issue 13): random operations through the Engine API against a
 * TestDaemon, SIGKILL at random points (from outside, and inside at failpoints), restarts,
 * and invariant checks against the kernel. Prints a JSON summary per backend; exits 1 on any
 * violation or restart failure. Needs root and a build: `sudo npm run chaos -- --seed 1`.
 */
import { runCampaign, type Summary } from './chaos/campaign.js';

const USAGE = 'usage: npm run chaos -- [--seed 1] [--ops 1000] [--kills 100] [--backend nftables|iptables|both] [--findings FILE]';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const seed = Number(opt('seed', '1'));
const ops = Number(opt('ops', '1000'));
const kills = Number(opt('kills', '100'));
const backend = opt('backend', 'both');
const findings = opt('findings', '') || undefined;
for (const [flag, v] of [['seed', seed], ['ops', ops], ['kills', kills]] as const) {
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${flag}: a non-negative integer\n${USAGE}`);
}
if (!['nftables', 'iptables', 'both'].includes(backend)) throw new Error(`--backend: nftables, iptables or both\n${USAGE}`);

const summaries: Summary[] = [];
for (const b of backend === 'both' ? (['nftables', 'iptables'] as const) : [backend as 'nftables' | 'iptables']) {
  const s = await runCampaign({ seed, ops, kills, backend: b, findings });
  summaries.push(s);
  console.error(`${b}: ${s.killPoints.length} kill points, violations ${JSON.stringify(s.violations)}, ${s.restartFailures.length} restart failures`);
}
console.log(JSON.stringify(summaries, null, 1));
const bad = summaries.some((s) => Object.keys(s.violations).length > 0 || s.restartFailures.length > 0);
process.exit(bad ? 1 : 0);
