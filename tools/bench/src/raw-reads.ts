/**
 * The walk baselines `raw-reads-N`: the same 8-byte reads a translation makes (addresses taken from its
 * trace), in the same order, from the same memory object, without decoding anything.
 */
import type { PhysicalMemory, TraceEntry } from '@viommu/core';
import { sink, type Case } from './harness';

/** The descriptor (stage 1 and stage 2, not configuration, not A/D write) addresses of a trace. */
export function descriptorReads(trace: readonly TraceEntry[]): number[] {
  return trace.filter((t) => (t.stage === 1 || t.stage === 2) && !t.write).map((t) => t.address);
}

/**
 * A case reading, per operation, the `perOp` addresses recorded for it: `addresses` holds `perOp` addresses
 * for each operation, in order.
 */
export function rawReadsCase(memory: PhysicalMemory, addresses: readonly number[], perOp: number): Case {
  if (addresses.length % perOp !== 0) throw new Error(`raw-reads-${perOp}: ${addresses.length} addresses`);
  const list = Float64Array.from(addresses);
  const out = { hi: 0, lo: 0 };
  return {
    name: `raw-reads-${perOp}`,
    opsPerCall: list.length / perOp,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < list.length; i++) {
        if (!memory.read64(list[i]!, out)) throw new Error('raw read aborted');
        acc += out.lo;
      }
      sink.value += acc;
    },
  };
}
