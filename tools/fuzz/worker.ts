/** A fuzz worker: runs one shard (target, property, seed, runs) and posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { buildProperty, type PropertyName } from './properties.ts';
import { loadTarget } from './targets.ts';

/** A shard of work. */
export interface Shard {
  target: string;
  property: PropertyName;
  seed: number;
  runs: number;
}

/** A shard's outcome. */
export interface ShardResult {
  shard: Shard;
  passed: number;
  failed: number;
  failure?: { seed: number; path: string; counterexample: string; error: string };
}

const port = parentPort!;
port.on('message', async (shard: Shard) => {
  try {
    const target = await loadTarget(shard.target);
    const property = buildProperty(target, shard.property);
    const details = fc.check(property, { seed: shard.seed, numRuns: shard.runs });
    const result: ShardResult = { shard, passed: details.failed ? details.numRuns - 1 : details.numRuns, failed: details.failed ? 1 : 0 };
    if (details.failed) {
      result.failure = {
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        counterexample: fc.stringify(details.counterexample),
        error: details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance),
      };
    }
    port.postMessage(result);
  } catch (e) {
    port.postMessage({ shard, passed: 0, failed: 1, failure: { seed: shard.seed, path: '', counterexample: '', error: `worker crashed: ${e instanceof Error ? e.stack : String(e)}` } } satisfies ShardResult);
  }
});
void workerData;
