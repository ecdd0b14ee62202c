/** Every bench suite, in the order they run and print. */
import { invalidateBench, scaleBench } from './core-benches';
import type { Comparison, HarnessOptions } from './harness';
import { coldWalkBench, iotlbHitBench } from './model-benches';
import { smmuModel, vtdModel } from './vendors';

/** A group of comparisons sharing a setup. */
export interface Suite {
  /** Short id (runs it alone with `--suite`). */
  readonly id: string;
  /** The names of the lines it prints (for `--only`). */
  readonly names: readonly string[];
  /** Builds the setup and measures. */
  readonly run: (options: HarnessOptions) => Comparison[];
}

/** All suites. */
export const suites: readonly Suite[] = [
  { id: 'smmuv3-iotlb', names: ['smmuv3-iotlb-hit'], run: iotlbHitBench('smmuv3', smmuModel, false) },
  { id: 'vtd-iotlb', names: ['vtd-iotlb-hit', 'core-iotlb-hit'], run: iotlbHitBench('vtd', vtdModel, true) },
  { id: 'smmuv3-nested', names: ['smmuv3-nested-walk-cold'], run: coldWalkBench('smmuv3-nested-walk-cold', smmuModel, true) },
  { id: 'vtd-nested', names: ['vtd-nested-walk-cold', 'core-nested-walk-cold'], run: coldWalkBench('vtd-nested-walk-cold', vtdModel, true, 'core-nested-walk-cold') },
  { id: 'smmuv3-s1', names: ['smmuv3-s1-walk-cold'], run: coldWalkBench('smmuv3-s1-walk-cold', smmuModel, false) },
  { id: 'vtd-fl', names: ['vtd-fl-walk-cold', 'core-s1-walk-cold'], run: coldWalkBench('vtd-fl-walk-cold', vtdModel, false, 'core-s1-walk-cold') },
  { id: 'invalidate', names: ['iotlb-invalidate-asid', 'iotlb-invalidate-where-scan'], run: invalidateBench },
  { id: 'scale', names: ['scale-mapped-pages', 'scale-mapped-pages-same-walks'], run: scaleBench },
];
