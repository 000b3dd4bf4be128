/**
 * The layer rule: each layer imports only from the layers below it (README, "Architecture").
 *   1. src/contracts, src/util
 *   2. machinery: src/kernel, store, firewall, runtime, proxy, dns, hostports, cluster, plugins, metrics, images
 *   3. drivers/<name>, ipam/<name> (contracts, util and kernel only)
 *   4. src/controller   5. src/engine   6. src/api   7. src/daemon (only the daemon names concrete drivers)
 *   src/cni: the CNI plugins' composition root, beside the daemon (machinery, drivers, IPAM; no controller), served by it
 * src/cli sees only src/util and src/api/types.ts; scripts/ and test/ may import anything.
 * Type-only imports count: swc parses the TypeScript source as written, before erasure.
 */
const BOTTOM = '^src/(contracts|util)/';
const MACHINERY = '^src/(kernel|store|firewall|runtime|proxy|dns|hostports|cluster|plugins|metrics|images)/';
const PRODUCT = '^(src|drivers|ipam|scripts|test)/';

/** A layer may import only the paths in `allowed` (and npm packages or node builtins). */
function layer(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: PRODUCT, pathNot: allowed.join('|') },
  };
}

module.exports = {
  forbidden: [
    layer('bottom-layer', BOTTOM, [BOTTOM], 'contracts and util import nothing of the product but each other'),
    layer('machinery', MACHINERY, [BOTTOM, MACHINERY], 'machinery imports contracts, util and other machinery only'),
    layer('drivers', '^drivers/([^/]+)/', [BOTTOM, '^src/kernel/', '^drivers/$1/', '^drivers/passive/'],
      'a driver imports contracts, util, the kernel layer, its own folder and the no-op base (drivers/passive) only'),
    layer('ipam', '^ipam/([^/]+)/', [BOTTOM, '^src/kernel/', '^ipam/$1/'],
      'an IPAM driver imports contracts, util, the kernel layer and its own folder only'),
    layer('controller', '^src/controller/', [BOTTOM, MACHINERY, '^src/controller/'],
      'the network controller imports only the layers below it'),
    layer('engine', '^src/engine/', [BOTTOM, MACHINERY, '^src/(controller|engine)/'],
      'the container engine imports only the layers below it'),
    layer('api', '^src/api/', [BOTTOM, MACHINERY, '^src/(controller|engine|api)/'],
      'the HTTP API imports only the layers below it'),
    layer('daemon', '^src/daemon/', [BOTTOM, MACHINERY, '^drivers/', '^ipam/', '^src/(controller|engine|api|daemon|cni)/'],
      'the composition root imports every product layer except the CLI (the CNI plugins, to serve them)'),
    layer('cni', '^src/cni/', [BOTTOM, MACHINERY, '^drivers/', '^ipam/', '^src/cni/'],
      'the CNI plugins compose machinery, drivers and IPAM themselves, without the controller or the daemon'),
    layer('cli', '^src/cli/', ['^src/util/', '^src/api/types\\.ts$', '^src/cli/'],
      'the CLI is a client: it imports util and the API types only'),
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'import cycles make initialisation order and layering undefined',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'an import that does not resolve would slip past every rule above',
      from: { path: PRODUCT },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|test/fixtures)/' },
    parser: 'swc',
    tsPreCompilationDeps: false,
    moduleSystems: ['es6'],
    enhancedResolveOptions: {
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs'],
      conditionNames: ['import', 'node', 'default'],
      exportsFields: ['exports'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
