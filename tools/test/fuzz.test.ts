/**
 * The fuzz soak inside the unit tests: every saved regression is replayed forever (its seed and shrink path
 * reproduce the counterexample), and a short fixed-seed soak runs as CI's smoke test of the harness.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProperty, type PropertyName } from '../fuzz/properties';
import { loadTarget } from '../fuzz/targets';

const regressions = join(import.meta.dirname, '..', 'fuzz', 'regressions');
const saved = readdirSync(regressions).filter((f) => f.endsWith('.json'));

describe('fuzz regressions (replayed forever)', () => {
  it.each(saved.length ? saved : ['(none saved)'])('%s', async (file) => {
    if (file === '(none saved)') return expect(saved).toEqual([]);
    const r = JSON.parse(readFileSync(join(regressions, file), 'utf8')) as { target: string; property: PropertyName; seed: number; path: string };
    const target = await loadTarget(r.target);
    fc.assert(buildProperty(target, r.property), { seed: r.seed, path: r.path, endOnFailure: true });
  });
});

describe('fuzz soak (short, fixed seed)', () => {
  it('runs every property on every target and ends with "N passed, 0 failed"', () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'fuzz', 'run.mjs'), '--runs', '30', '--seed', '20261124', '--no-save'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const last = out.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^(\d+) passed, 0 failed$/);
    expect(Number(last.split(' ')[0])).toBeGreaterThan(0);
  });
});
