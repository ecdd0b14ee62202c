#!/usr/bin/env node
// Sums the vitest JSON results every package wrote (restored by nx from its cache when the run was
// cached) into the one closing line CI reads: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const dirs = [...readdirSync(join(repo, 'packages')).map((name) => join(repo, 'packages', name)), join(repo, 'tools')];
let passed = 0;
let failed = 0;
let skipped = 0;
let packages = 0;
for (const dir of dirs) {
  const file = join(dir, '.vitest-results.json');
  if (!existsSync(file)) continue;
  const result = JSON.parse(readFileSync(file, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + (result.numTodoTests ?? 0);
  packages += 1;
}
if (packages === 0) {
  console.error('test-summary: no package wrote test results');
  process.exit(1);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
