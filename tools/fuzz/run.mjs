#!/usr/bin/env node
// The fuzz soak: `npm run fuzz -- --runs N [--seed S] [--vendor smmuv3|vtd|example] [--property NAME]`.
// N cases per vendor, split evenly over the properties. Runs the conformance properties (isolation with determinism and no exception, coherence) and structure
// round trips for many more cases than the unit tests, sharded by seed over every core (worker threads),
// with progress on a terminal and one closing line `N passed, M failed`. A failure prints its seed and
// shrunk counterexample and is written to tools/fuzz/regressions/, which the unit tests replay forever.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const here = new URL('.', import.meta.url);
const TARGETS = ['smmuv3', 'vtd'];
const PROPERTIES = ['isolation', 'coherence', 'structures'];

let args;
try {
  args = parseArgs({
    options: {
      runs: { type: 'string', default: '1000' },
      seed: { type: 'string' },
      vendor: { type: 'string' },
      property: { type: 'string' },
      workers: { type: 'string' },
      'no-save': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
} catch (e) {
  console.error(`fuzz: ${e.message}`);
  process.exit(2);
}
if (args.help) {
  console.log('Usage: npm run fuzz -- --runs N [--seed S] [--vendor smmuv3|vtd|example] [--property isolation|coherence|structures] [--workers N]\n  N cases per vendor, split evenly over the properties; the last line is "<passed> passed, <failed> failed".');
  process.exit(0);
}
const runs = Number(args.runs);
const seed = args.seed === undefined ? Date.now() % 2 ** 31 : Number(args.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('fuzz: --runs must be a positive integer and --seed an integer');
  process.exit(2);
}
const targets = args.vendor ? [args.vendor] : TARGETS;
const properties = args.property ? [args.property] : PROPERTIES;
function usageError(message) {
  console.error(`fuzz: ${message}`);
  process.exit(2);
}
for (const t of targets) if (![...TARGETS, 'example'].includes(t)) usageError(`unknown vendor '${t}'`);
for (const p of properties) if (!PROPERTIES.includes(p)) usageError(`unknown property '${p}'`);

// Shards: every target gets `runs` cases, split evenly over the properties, cut into chunks with their own
// derived seeds (so a run is reproducible from --seed alone, whatever the number of workers).
const shards = [];
for (const target of targets) {
  properties.forEach((property, p) => {
    const share = Math.floor(runs / properties.length) + (p < runs % properties.length ? 1 : 0);
    const chunk = Math.max(1, Math.min(250, Math.ceil(share / 8)));
    for (let done = 0, i = 0; done < share; done += chunk, i++) {
      shards.push({ target, property, seed: (seed + i * 7919 + property.length * 104729 + target.length * 1299709) % 2 ** 31, runs: Math.min(chunk, share - done) });
    }
  });
}

const total = shards.reduce((n, s) => n + s.runs, 0);
const workerCount = Math.max(1, Math.min(Number(args.workers ?? availableParallelism()), shards.length));
const tty = process.stderr.isTTY;
const started = Date.now();
let passed = 0;
let failed = 0;
let next = 0;
const failures = [];

function progress() {
  if (!tty) return;
  const pct = (((passed + failed) / total) * 100).toFixed(1);
  process.stderr.write(`\rfuzz seed ${seed}: ${passed + failed}/${total} cases (${pct}%), ${failed} failed`);
}

await new Promise((resolve) => {
  let live = workerCount;
  for (let w = 0; w < workerCount; w++) {
    const worker = new Worker(new URL('./boot.mjs', here), {
      workerData: { entry: new URL('./worker.ts', here).href },
      execArgv: ['--conditions=@viommu/source'],
    });
    const feed = () => {
      if (next < shards.length) worker.postMessage(shards[next++]);
      else {
        worker.terminate();
        if (--live === 0) resolve();
      }
    };
    worker.on('message', (result) => {
      passed += result.passed;
      failed += result.failed;
      if (result.failure) failures.push({ ...result.failure, target: result.shard.target, property: result.shard.property });
      progress();
      feed();
    });
    worker.on('error', (e) => {
      failed += 1;
      failures.push({ target: '?', property: '?', seed: 0, path: '', counterexample: '', error: `worker error: ${e.message}` });
      if (--live === 0) resolve();
    });
    feed();
  }
});
if (tty) process.stderr.write('\r\x1b[K');

for (const f of failures) {
  console.log(`FAILED ${f.target} ${f.property} seed=${f.seed} path=${f.path}`);
  console.log(`  counterexample: ${f.counterexample}`);
  console.log(`  ${f.error.split('\n').join('\n  ')}`);
  if (!args['no-save'] && f.target !== '?') {
    const dir = new URL('./regressions/', here);
    mkdirSync(dir, { recursive: true });
    const file = new URL(`${f.target}-${f.property}-${f.seed}.json`, dir);
    writeFileSync(file, JSON.stringify({ target: f.target, property: f.property, seed: f.seed, path: f.path, counterexample: f.counterexample, error: f.error }, null, 2) + '\n');
    console.log(`  saved ${file.pathname} (replayed by the unit tests)`);
  }
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`fuzz: seed ${seed}, ${targets.join('+')}, ${properties.join('+')}, ${workerCount} workers, ${seconds} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
