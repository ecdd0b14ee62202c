/**
 * Package boundaries the design promises: core knows no vendor, and importing one vendor pulls in no other
 * vendor's code. Checked on what a bundler actually includes (esbuild's metafile), not on package.json alone.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');

async function bundledPackages(entry: string): Promise<Set<string>> {
  const result = await build({
    stdin: { contents: `export * from '${entry}';`, resolveDir: repo, loader: 'ts' },
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@viommu/source'],
    logLevel: 'silent',
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /packages\/([^/]+)\//.exec(input);
    if (m) packages.add(m[1]!);
  }
  return packages;
}

describe('package boundaries', () => {
  it('@viommu/core bundles for the browser and includes no vendor', async () => {
    expect([...(await bundledPackages('@viommu/core'))]).toEqual(['core']);
  });
  it('@viommu/arm-smmuv3 pulls in core and nothing of VT-d', async () => {
    expect([...(await bundledPackages('@viommu/arm-smmuv3'))].sort()).toEqual(['arm-smmuv3', 'core']);
  });
  it('@viommu/intel-vtd pulls in core and nothing of SMMUv3', async () => {
    expect([...(await bundledPackages('@viommu/intel-vtd'))].sort()).toEqual(['core', 'intel-vtd']);
  });
});
