/**
 * The vendor-plugin generator's test: generate into a temporary workspace that shares this repo's
 * node_modules, then typecheck, lint and build the generated package exactly as the repo's own packages are.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const repo = join(import.meta.dirname, '..', '..');
const { FsTree, flushChanges } = require('nx/src/generators/tree') as {
  FsTree: new (root: string, verbose: boolean) => { listChanges(): unknown[]; exists(p: string): boolean };
  flushChanges: (root: string, changes: unknown[]) => void;
};
const generator = require('../vendor-plugin/generator.cjs') as (tree: unknown, options: { name: string; modelId?: number }) => Promise<unknown>;

function makeWorkspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'viommu-gen-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'gen-test', private: true, type: 'module', workspaces: ['packages/*'] }));
  for (const f of ['tsconfig.base.json', 'eslint.config.mjs', 'vitest.shared.ts', 'tsup.shared.ts']) cpSync(join(repo, f), join(root, f));
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

const bin = (name: string) => join(repo, 'node_modules', '.bin', name);
const workspaces: string[] = [];
afterAll(() => {
  for (const w of workspaces) rmSync(w, { recursive: true, force: true });
});

describe('vendor-plugin generator', () => {
  it('creates a package that typechecks, lints, builds and passes the conformance suite', async () => {
    const root = makeWorkspace();
    workspaces.push(root);
    const tree = new FsTree(root, false);
    await generator(tree, { name: 'acme-iommu', modelId: 42 });
    flushChanges(root, tree.listChanges());
    const pkg = join(root, 'packages', 'acme-iommu');
    for (const f of ['package.json', 'README.md', 'tsconfig.json', 'tsup.config.ts', 'vitest.config.ts', 'src/index.ts', 'src/format.ts', 'src/plugin.ts', 'src/records.ts', 'test/conformance.test.ts']) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).name).toBe('@viommu/acme-iommu');
    expect(readFileSync(join(pkg, 'src/plugin.ts'), 'utf8')).toContain('ACME_IOMMU_MODEL_ID = 42');
    expect(readFileSync(join(pkg, 'test/conformance.test.ts'), 'utf8')).toContain('runConformanceSuite');
    expect(readFileSync(join(root, '.changeset', 'add-acme-iommu.md'), 'utf8')).toContain("'@viommu/acme-iommu': minor");
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: pkg, stdio: 'pipe', encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' } });
    run(bin('tsc'), ['-p', '.']);
    run(bin('eslint'), ['.']);
    run(bin('tsup'), []);
    expect(existsSync(join(pkg, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'index.cjs'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'index.d.ts'))).toBe(true);
    // The skeleton is a working plugin: the conformance suite passes out of the box.
    const out = run(bin('vitest'), ['run', '--reporter=default']);
    expect(out).toMatch(/Tests\s+\S*\d+ passed/);
    expect(out).not.toMatch(/failed/);
  });

  it('refuses bad names, taken model numbers and existing packages', async () => {
    const root = makeWorkspace();
    workspaces.push(root);
    const tree = new FsTree(root, false);
    await expect(generator(tree, { name: 'Bad Name' })).rejects.toThrow(/lower-case/);
    await expect(generator(tree, { name: 'ok', modelId: 2 })).rejects.toThrow(/modelId/);
    await generator(tree, { name: 'twice' });
    await expect(generator(tree, { name: 'twice' })).rejects.toThrow(/already exists/);
  });
});
