/**
 * The bench's command line, parsed once from process.argv (importing this module prints
 * the usage and exits on --help).
 */

export const USAGE = `usage: sudo npm run bench -- [--n 100] [--systems weft,cni,weft-cni,weft-cni-daemon,netavark,docker]
       [--backend nftables|iptables|both] [--json bench-results.json]
       [--sections attach,network,e2e,ports,dns,overlay,metrics] [--e2e-runs 10] [--skip-install] [--profile]
       [--overlay-runs 10] [--iperf-seconds 5] [--iperf-runs 5]
       sudo npm run bench -- --compare a.json b.json   (two results side by side; runs nothing)`;

export type Backend = 'nftables' | 'iptables';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : def;
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

export const N = Number(opt('n', '100'));
export const SYSTEMS = opt('systems', 'weft,cni,weft-cni,weft-cni-daemon,netavark,docker').split(',');
export const BACKENDS = (opt('backend', 'nftables') === 'both' ? ['nftables', 'iptables'] : [opt('backend', 'nftables')]) as Backend[];
export const SECTIONS = opt('sections', 'attach,network,e2e,ports,dns,overlay').split(',');
export const JSON_OUT = opt('json', 'bench-results.json');
export const E2E_RUNS = Number(opt('e2e-runs', '10'));
export const OVERLAY_RUNS = Number(opt('overlay-runs', '10'));
export const IPERF_SECONDS = Number(opt('iperf-seconds', '5'));
export const IPERF_RUNS = Number(opt('iperf-runs', '5'));
/** Network create/delete pairs per system. */
export const NET_RUNS = 20;
export const SKIP_INSTALL = process.argv.includes('--skip-install');
export const PROFILE = process.argv.includes('--profile');
/** --compare A B: the two result files to put side by side instead of running. */
export const COMPARE = ((i) => (i > 0 ? [process.argv[i + 1], process.argv[i + 2]] : undefined))(process.argv.indexOf('--compare'));

if (COMPARE && (!COMPARE[0] || !COMPARE[1])) throw new Error('--compare: two result files, a.json b.json');

for (const b of BACKENDS) if (b !== 'nftables' && b !== 'iptables') throw new Error(`--backend: nftables, iptables or both, not ${b}`);
if (!Number.isInteger(N) || N < 1) throw new Error('--n: a positive integer');
for (const [flag, v] of [['overlay-runs', OVERLAY_RUNS], ['iperf-seconds', IPERF_SECONDS], ['iperf-runs', IPERF_RUNS]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${flag}: a positive integer`);
}
