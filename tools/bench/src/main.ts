/**
 * The viommu bench program: `npm run bench` prints a table, `npm run bench -- --json` one JSON object per
 * line. Options: `--only a,b` (line names or prefixes), `--rounds N` (default 5), `--time MS` per case per
 * round (default 250), `--warmup MS` (default 100), `--in-process` (run every suite in this process).
 *
 * By default each suite runs in its own Node process, so that no suite's figures depend on which suites
 * ran before it (V8 specialises shared code such as the walker for what it has seen: a walker that has
 * served four vendors' formats is slower than one that has served one). See docs/performance.md.
 */
import { spawnSync } from 'node:child_process';
import type { Comparison, HarnessOptions } from './harness';
import { extras, jsonLine, machine, tableRows } from './report';
import { suites, type Suite } from './suites';

interface Args extends HarnessOptions {
  json: boolean;
  only: string[];
  inProcess: boolean;
  /** Internal: run this one suite and print its comparisons as JSON for the parent. */
  suite: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, only: [], rounds: 5, time: 250, warmupTime: 100, inProcess: false, suite: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = () => {
      const v = Number(value());
      if (!(v > 0)) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--only') args.only.push(...value().split(','));
    else if (a === '--rounds') args.rounds = Math.floor(num());
    else if (a === '--time') args.time = num();
    else if (a === '--warmup') args.warmupTime = num();
    else if (a === '--in-process') args.inProcess = true;
    else if (a === '--suite') args.suite = value();
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Runs one suite in a child Node process (same flags) and returns its comparisons. */
function runIsolated(suite: Suite, args: Args): Comparison[] {
  const argv = [...process.execArgv, process.argv[1]!, '--suite', suite.id, '--rounds', String(args.rounds), '--time', String(args.time), '--warmup', String(args.warmupTime)];
  const child = spawnSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`suite ${suite.id} exited with status ${String(child.status)}`);
  return child.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Comparison);
}

function main(): void {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (args.suite !== undefined) {
    const suite = suites.find((s) => s.id === args.suite);
    if (!suite) throw new Error(`no suite ${args.suite}`);
    for (const c of suite.run(args)) process.stdout.write(`${JSON.stringify(c)}\n`);
    return;
  }
  const selected = args.only.length === 0 ? suites : suites.filter((s) => s.names.some((n) => args.only.some((o) => n.startsWith(o))));
  if (!args.json) {
    const mode = args.inProcess ? 'one process' : 'one process per suite';
    process.stdout.write(`viommu bench — ${machine()}\n${args.rounds} rounds × ${args.time} ms per case, ${mode}\n\n`);
  }
  const rows: Comparison[] = [];
  for (const suite of selected) {
    for (const c of args.inProcess ? suite.run(args) : runIsolated(suite, args)) {
      rows.push(c);
      if (args.json) process.stdout.write(`${jsonLine(c)}\n`);
      else if (process.stderr.isTTY) process.stderr.write(`  ${c.name}: ${c.ratio.toFixed(3)}\n`);
    }
  }
  if (!args.json) process.stdout.write(`\n${tableRows(rows)}\n\n${extras(rows)}\n`);
}

main();
