/**
 * Runs the CLI as a user does: src/cli.ts bundled once with esbuild into a temporary directory (workspace
 * packages from their sources, so no prior build is needed and dist/ is left alone), then run with node.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect } from 'vitest';

/** What a run printed and its exit status. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Bundles the CLI before the file's tests and removes it after; returns a runner. */
export function useBundledCli(prefix: string): { run: (args: string[], input?: string) => CliRun; dir: () => string } {
  let dir = '';
  let cli = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `viommu-${prefix}-`));
    cli = join(dir, 'viommu.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('../../src/cli.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@viommu/source'],
      outfile: cli,
      logLevel: 'silent',
    });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    run(args, input) {
      const r = spawnSync(process.execPath, [cli, ...args], {
        encoding: 'utf8',
        input,
        env: { ...process.env, NO_COLOR: '1' },
        maxBuffer: 64 * 1024 * 1024,
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    dir: () => dir,
  };
}

/** Exit status 2, nothing on stdout, one `viommu: …` line on stderr that matches `pattern`. */
export function expectUsageError(result: CliRun, pattern: RegExp): void {
  expect(result.status).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^viommu: /);
  expect(lines[0]).toMatch(pattern);
}
