/**
 * Stage 1 walk geometry a CD implies [ARMARM D8.2; reference §4]: the start level from TxSZ and the granule,
 * the number of input bits the start-level table resolves, and the alignment of that table.
 * @packageDocumentation
 */
import type { GranuleBits } from './granule';

/** Where a stage 1 walk starts and how big its first table is. */
export interface Stage1Geometry {
  /** Input address size in bits (64 − TxSZ for VMSAv8-64, 32 − TxSZ for VMSAv8-32 LPAE). */
  readonly inputBits: number;
  /** Start level: 4 − ceil((inputBits − granuleBits) / stride). */
  readonly startLevel: number;
  /** Input bits resolved by the start-level table. */
  readonly bitsAtStartLevel: number;
  /** log2 of the start-level table size in bytes (the TTB alignment before the 64-byte minimum). */
  readonly tableAlignBits: number;
}

/**
 * Stage 1 geometry for an input size and granule: stride = granuleBits − 3, start level =
 * 4 − ceil((inputBits − granuleBits) / stride), resolving inputBits − (granuleBits + (3 − level) × stride)
 * bits at the start level.
 */
export function stage1Geometry(inputBits: number, granuleBits: GranuleBits): Stage1Geometry {
  const stride = granuleBits - 3;
  const startLevel = 4 - Math.ceil((inputBits - granuleBits) / stride);
  const bitsAtStartLevel = inputBits - (granuleBits + (3 - startLevel) * stride);
  return { inputBits, startLevel, bitsAtStartLevel, tableAlignBits: bitsAtStartLevel + 3 };
}
