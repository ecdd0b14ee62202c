/**
 * SMMU_STRTAB_BASE and SMMU_STRTAB_BASE_CFG [SPEC 6.3.24, 6.3.25] and the effective Stream table
 * configuration they select: effective LOG2SIZE = MIN(LOG2SIZE, IDR1.SIDSIZE), reserved SPLIT values behave
 * as 6, reserved FMT values (or FMT with ST_LEVEL = 0) behave as linear, and the base address is aligned by
 * the SMMU to the table size (using the literal LOG2SIZE).
 * @packageDocumentation
 */
import { alignDown, defineStructure, halvesToBigInt, IommuError, type U64 } from '@viommu/core';
import { readAddressField } from './address-field';
import type { SmmuCapabilities } from './capabilities';

/** SMMU_STRTAB_BASE (offset 0x80, 64 bits). */
export const STRTAB_BASE = defineStructure({
  name: 'SMMU_STRTAB_BASE',
  bits: 64,
  fields: [
    {
      name: 'ADDR',
      hi: 55,
      lo: 6,
      shift: 6,
      big: true,
      doc: 'Physical address of the Stream table, bits [55:6]; aligned by the SMMU to the table size (see effective base).',
    },
    { name: 'RA', hi: 62, lo: 62, values: { 0: 'no read-allocate', 1: 'read-allocate' }, doc: 'Read-allocate hint for table fetches.' },
  ],
  reserved: [
    [5, 0],
    [61, 56],
    [63, 63],
  ],
});

/** SMMU_STRTAB_BASE_CFG (offset 0x88, 32 bits). */
export const STRTAB_BASE_CFG = defineStructure({
  name: 'SMMU_STRTAB_BASE_CFG',
  bits: 32,
  fields: [
    { name: 'LOG2SIZE', hi: 5, lo: 0, doc: 'Table size as log2(StreamIDs); effective MIN(LOG2SIZE, SMMU_IDR1.SIDSIZE).' },
    {
      name: 'SPLIT',
      hi: 10,
      lo: 6,
      values: { 6: '6 bits (4KB leaf tables)', 8: '8 bits (16KB leaf tables)', 10: '10 bits (64KB leaf tables)' },
      doc: 'StreamID split point of a 2-level table: L2 index = SID[SPLIT-1:0]. Other values reserved, behave as 6.',
    },
    { name: 'FMT', hi: 17, lo: 16, values: { 0: 'linear', 1: '2-level', 2: 'reserved (linear)', 3: 'reserved (linear)' }, doc: 'Stream table format.' },
  ],
  reserved: [
    [15, 11],
    [31, 18],
  ],
});

/** The Stream table format in effect. */
export type StreamTableFormat = 'linear' | '2-level';

/** The effective Stream table configuration an SMMU derives from its registers. */
export interface StreamTableConfig {
  /** Linear or 2-level, after reserved FMT values and ST_LEVEL are applied. */
  readonly format: StreamTableFormat;
  /** Effective base PA: ADDR with the low bits the table alignment ignores cleared. */
  readonly base: number;
  /** ADDR as programmed (bits [55:6]). */
  readonly programmedBase: number;
  /** Effective log2 of the StreamID range: MIN(LOG2SIZE, SIDSIZE). StreamIDs ≥ 2^log2Size are out of range. */
  readonly log2Size: number;
  /** LOG2SIZE as programmed (used for base alignment, not limited by SIDSIZE). */
  readonly programmedLog2Size: number;
  /** Effective SPLIT: 6, 8 or 10 (reserved values behave as 6). Meaningful for 2-level tables only. */
  readonly split: number;
  /** log2 of the base alignment the SMMU applies, in bytes. */
  readonly alignBits: number;
  /** Number of L1STDs in a 2-level table, MAX(1, 2^(log2Size − split)); 0 for a linear table. */
  readonly l1Entries: number;
  /** Output address size in bits; a table fetch at or above 2^oasBits is F_STE_FETCH. */
  readonly oasBits: number;
  /** STRTAB_BASE.RA. */
  readonly readAllocate: boolean;
}

/** Effective SPLIT [SPEC 6.3.25]: 6, 8 and 10 are defined, other values behave as 6. */
export function effectiveSplit(split: number): number {
  return split === 8 || split === 10 ? split : 6;
}

/**
 * log2 of the base alignment the SMMU imposes [SPEC 6.3.24]: linear ADDR[LOG2SIZE+5:0] = 0, 2-level
 * ADDR[MAX(5, LOG2SIZE − SPLIT − 1 + 3):0] = 0, using the literal LOG2SIZE.
 */
export function streamTableAlignBits(format: StreamTableFormat, programmedLog2Size: number, split: number): number {
  return format === 'linear' ? programmedLog2Size + 6 : Math.max(5, programmedLog2Size - split - 1 + 3) + 1;
}

function baseToWords(strtabBase: bigint | U64): Uint32Array {
  const big = typeof strtabBase === 'bigint' ? BigInt.asUintN(64, strtabBase) : halvesToBigInt(strtabBase.hi, strtabBase.lo);
  return Uint32Array.of(Number(big & 0xffff_ffffn), Number(big >> 32n));
}

/**
 * The effective Stream table configuration for register values.
 * @param strtabBase SMMU_STRTAB_BASE as a bigint or halves.
 * @param strtabBaseCfg SMMU_STRTAB_BASE_CFG.
 * @throws IommuError `ARGUMENT` when `strtabBaseCfg` is not a 32-bit unsigned integer.
 */
export function decodeStreamTableConfig(
  strtabBase: bigint | U64,
  strtabBaseCfg: number,
  caps: Pick<SmmuCapabilities, 'sidSize' | 'stLevel' | 'oasBits'>,
): StreamTableConfig {
  if (!Number.isInteger(strtabBaseCfg) || strtabBaseCfg < 0 || strtabBaseCfg > 0xffff_ffff) {
    throw new IommuError('ARGUMENT', `STRTAB_BASE_CFG must be a 32-bit value, got ${strtabBaseCfg}`);
  }
  const baseWords = baseToWords(strtabBase);
  const cfgWords = Uint32Array.of(strtabBaseCfg);
  const programmedBase = readAddressField(baseWords, 6, 50, 6);
  const programmedLog2Size = STRTAB_BASE_CFG.get(cfgWords, 'LOG2SIZE');
  const fmt = STRTAB_BASE_CFG.get(cfgWords, 'FMT');
  // FMT is RES0 when ST_LEVEL == 0 (linear only); reserved encodings behave as linear.
  const format: StreamTableFormat = caps.stLevel !== 0 && fmt === 1 ? '2-level' : 'linear';
  const split = effectiveSplit(STRTAB_BASE_CFG.get(cfgWords, 'SPLIT'));
  const log2Size = Math.min(programmedLog2Size, caps.sidSize);
  const alignBits = streamTableAlignBits(format, programmedLog2Size, split);
  return {
    format,
    base: alignBits >= 56 ? 0 : alignDown(programmedBase, alignBits),
    programmedBase,
    log2Size,
    programmedLog2Size,
    split,
    alignBits,
    l1Entries: format === 'linear' ? 0 : 2 ** Math.max(0, log2Size - split),
    oasBits: caps.oasBits,
    readAllocate: STRTAB_BASE.get(baseWords, 'RA') === 1,
  };
}
