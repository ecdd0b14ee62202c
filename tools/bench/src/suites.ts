/** Every bench suite, in the order they run and print. */
import { invalidateBench, scaleBench } from './core-benches';
import type { Comparison, HarnessOptions } from './harness';
import { vtdFirstLevelBench, vtdIotlbBench, vtdNestedBench } from './vtd-benches';

/** A group of comparisons sharing a setup. */
export interface Suite {
  /** The names of the lines it prints (for `--only`). */
  readonly names: readonly string[];
  /** Builds the setup and measures. */
  readonly run: (options: HarnessOptions) => Comparison[];
}

/** All suites. */
export const suites: readonly Suite[] = [
  { names: ['vtd-iotlb-hit', 'core-iotlb-hit'], run: vtdIotlbBench },
  { names: ['vtd-nested-walk-cold', 'core-nested-walk-cold'], run: vtdNestedBench },
  { names: ['vtd-fl-walk-cold', 'core-s1-walk-cold'], run: vtdFirstLevelBench },
  { names: ['iotlb-invalidate-asid'], run: (o) => [invalidateBench(o)] },
  { names: ['scale-mapped-pages'], run: (o) => [scaleBench(o)] },
];
