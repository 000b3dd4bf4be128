#!/usr/bin/env node
/**
 * The CLI as one file: src/cli/main.ts and everything it imports statically (commander
 * included) bundled by esbuild over tsc's dist/src/cli/main.js, so that `weft` loads one
 * module instead of resolving and compiling ~60. The daemon stays outside the bundle: main
 * imports ../daemon/command.js by a computed specifier only for `weft daemon` and help,
 * which resolves next to the bundle as before.
 */
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/src/cli/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: true,
  // commander is CommonJS: its require() of node builtins needs a real require in an ES module.
  banner: { js: "import { createRequire as weftCreateRequire } from 'node:module'; const require = weftCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
