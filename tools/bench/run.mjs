#!/usr/bin/env node
/**
 * `npm run bench [-- --json] [-- --only NAME,…] [-- --rounds N] [-- --time MS] [-- --build-only]`
 *
 * Bundles the bench program (src/main.ts) with esbuild, resolving the workspace packages to their TypeScript
 * sources through the `@viommu/source` export condition (so no prior `npm run build` is needed and the
 * figures are those of the code in the tree), then runs it in a fresh Node with `--expose-gc` (the heap
 * figure is taken after a full collection). Arguments are passed through. `--build-only` stops after the
 * build, e.g. to profile one suite: `node --cpu-prof --expose-gc tools/bench/dist/bench.mjs --suite vtd-nested`.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, 'dist', 'bench.mjs');

await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@viommu/source'],
  sourcemap: 'linked',
  logLevel: 'warning',
});

const args = process.argv.slice(2);
if (args.includes('--build-only')) process.exit(0);
const result = spawnSync(process.execPath, ['--expose-gc', '--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
