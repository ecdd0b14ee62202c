/**
 * The viommu bench program: `npm run bench` prints a table, `npm run bench -- --json` one JSON object per
 * line. Options: `--only a,b` (names or prefixes), `--rounds N` (default 5), `--time MS` per case per round
 * (default 250), `--warmup MS` (default 100). See docs/performance.md.
 */
import type { Comparison, HarnessOptions } from './harness';
import { extras, jsonLine, machine, tableRows } from './report';
import { suites } from './suites';

interface Args extends HarnessOptions {
  json: boolean;
  only: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, only: [], rounds: 5, time: 250, warmupTime: 100 };
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
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

function main(): void {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const all = suites;
  const selected = args.only.length === 0 ? all : all.filter((s) => s.names.some((n) => args.only.some((o) => n.startsWith(o))));
  if (!args.json) process.stdout.write(`viommu bench — ${machine()}\n${args.rounds} rounds × ${args.time} ms per case\n\n`);
  const rows: Comparison[] = [];
  for (const suite of selected) {
    for (const c of suite.run(args)) {
      rows.push(c);
      if (args.json) process.stdout.write(`${jsonLine(c)}\n`);
      else if (process.stderr.isTTY) process.stderr.write(`  ${c.name}: ${c.ratio.toFixed(3)}\n`);
    }
  }
  if (!args.json) process.stdout.write(`\n${tableRows(rows)}\n\n${extras(rows)}\n`);
}

main();
