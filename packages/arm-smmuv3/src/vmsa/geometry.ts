/**
 * VMSAv8-64 walk geometry: start level, levels, per-level shifts and index bits, for stage 1 (from TxSZ)
 * and stage 2 (from SL0 and T0SZ, with concatenated root tables) ([ARMARM] D8.2, pseudocode
 * AArch64.S1StartLevel / S2StartLevel / S2InvalidSL / S2InconsistentSL; [SPEC] 5.2 STE.S2SL0, 5.4 CD.TxSZ).
 *
 * Modelled without FEAT_LPA2 (TCR.DS = 0) and without small translation tables (FEAT_TTST / SMMU_IDR3.STT):
 * TxSZ is 16..39 (12..39 with the 64 KB granule, for 52-bit inputs), and level −1 does not exist.
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';
import { vmsaGranuleName, vmsaStride, type VmsaGranuleBits } from './granule';

/** The deepest level of every VMSAv8-64 walk. */
export const VMSA_FINAL_LEVEL = 3;

/** Largest TxSZ without small translation tables ([ARMARM] AArch64.MaxTxSZ; [SPEC] 5.4.2: 39). */
export const VMSA_TSZ_MAX = 39;

/** Most entries a stage-2 start level may have: 16 concatenated tables ([ARMARM] D8.2.7). */
export const STAGE2_MAX_CONCATENATED = 16;

/** The shape of one walk: what a `PageTableFormat` needs besides descriptor decoding. */
export interface VmsaGeometry {
  /** log2 of the granule size (12, 14 or 16). */
  readonly granuleBits: VmsaGranuleBits;
  /** Index bits per level below the start level (granuleBits − 3). */
  readonly stride: number;
  /** Input address size in bits (64 − TxSZ). */
  readonly inputBits: number;
  /** The architectural level the walk starts at (0..3). */
  readonly startLevel: number;
  /** Levels walked: 4 − startLevel. */
  readonly levels: number;
  /** log2 of the span one entry covers, per depth (depth 0 = start level). */
  readonly shifts: readonly number[];
  /** Index bits per depth; the root's may exceed `stride` for concatenated stage-2 tables. */
  readonly indexBits: readonly number[];
  /** Architectural level per depth: startLevel + depth. */
  readonly archLevels: readonly number[];
  /** Tables concatenated at the start level (1 when not concatenated). The root is their total size. */
  readonly concatenated: number;
  /** Root table size in bytes (8 × entries); the root must be aligned to it. */
  readonly rootBytes: number;
}

/**
 * log2 of the input span one entry at `level` covers: grainsize + (3 − level) × stride ([ARMARM] D8.2,
 * `level_shift`). E.g. 4 KB (12): L3 12, L2 21, L1 30, L0 39.
 */
export function vmsaLevelShift(granule: VmsaGranuleBits, level: number): number {
  return granule + (VMSA_FINAL_LEVEL - level) * vmsaStride(granule);
}

/**
 * Smallest stage-1 TxSZ the model walks: 16 (48-bit inputs), or 12 with the 64 KB granule (52-bit inputs,
 * FEAT_LVA / SMMU_IDR5.VAX = 1). Whether the SMMU allows below 16 is the CD checker's decision.
 */
export function stage1TszMin(granule: VmsaGranuleBits): number {
  return granule === 16 ? 12 : 16;
}

/**
 * Stage-1 start level for a TxSZ: 4 − ⌈(inputsize − grainsize) / stride⌉ ([ARMARM] D8.2,
 * AArch64.S1StartLevel). 4 KB: TxSZ 16–24 → 0, 25–33 → 1, 34–39 → 2; 16 KB: 16 → 0, 17–27 → 1, 28–38 → 2,
 * 39 → 3; 64 KB: 12–21 → 1, 22–34 → 2, 35–39 → 3.
 * @throws IommuError `ARGUMENT` when `tsz` is outside [{@link stage1TszMin}, 39].
 */
export function stage1StartLevel(granule: VmsaGranuleBits, tsz: number): number {
  checkTsz(granule, tsz, stage1TszMin(granule), 'stage-1 TxSZ');
  const stride = vmsaStride(granule);
  return 4 - Math.ceil((64 - tsz - granule) / stride);
}

/**
 * The stage-1 geometry for a granule and TxSZ (CD.T0SZ or T1SZ). The root has
 * inputsize − level_shift(start level) index bits (never more than a stride).
 * @throws IommuError `ARGUMENT` when `tsz` is out of range.
 */
export function stage1WalkGeometry(granule: VmsaGranuleBits, tsz: number): VmsaGeometry {
  return buildGeometry(granule, 64 - tsz, stage1StartLevel(granule, tsz));
}

/**
 * Smallest stage-2 T0SZ the model walks: 16, or 12 with the 64 KB granule (52-bit IPA). The SMMU's
 * IAS-dependent minimum (MAX(16, 64 − IAS)) is the STE checker's.
 */
export function stage2TszMin(granule: VmsaGranuleBits): number {
  return granule === 16 ? 12 : 16;
}

/**
 * The start level an STE.S2SL0 value encodes for a granule ([ARMARM] AArch64.S2StartLevel; [SPEC] 5.2):
 * 4 KB: 0 → L2, 1 → L1, 2 → L0, 3 → L3 (valid only with small translation tables); 16 KB: 0 → L3,
 * 1 → L2, 2 → L1, 3 → L0 (valid only with TCR.DS = 1); 64 KB: 0 → L3, 1 → L2, 2 → L1, 3 reserved
 * (`undefined`). Use {@link stage2GeometryValid} to know whether a value is usable.
 */
export function stage2StartLevelForSl0(granule: VmsaGranuleBits, sl0: number): number | undefined {
  if (!Number.isInteger(sl0) || sl0 < 0 || sl0 > 3) return undefined;
  if (granule === 12) return sl0 === 3 ? 3 : 2 - sl0;
  if (granule === 16 && sl0 === 3) return undefined;
  return 3 - sl0;
}

/**
 * The ARM rule for a usable stage-2 SL0 / T0SZ / granule combination; false means the SMMU treats the STE
 * as ILLEGAL (C_BAD_STE, [SPEC] 5.2.2 "S2SL0/S2T0SZ/S2TG inconsistent"). True when all of:
 * - T0SZ is within [{@link stage2TszMin}, 39];
 * - SL0 is not reserved for the granule ([ARMARM] AArch64.S2InvalidSL): 4 KB SL0 = 3 needs small
 *   translation tables and 16 KB SL0 = 3 needs TCR.DS = 1 (neither modelled, so both are rejected);
 *   64 KB SL0 = 3 is reserved; 4 KB SL0 = 2 (L0) and 64 KB SL0 = 2 (L1) need a PA size (`oasBits`) of at
 *   least 44 bits, 16 KB SL0 = 2 (L1) at least 42 bits;
 * - the IPA size is consistent with the start level ([ARMARM] AArch64.S2InconsistentSL): the start level
 *   resolves between 1 bit and stride + 4 bits (one full table, or up to 16 concatenated tables).
 *
 * The SMMU's IAS-dependent minimum T0SZ is a separate STE check.
 * @param granule the STE.S2TG granule.
 * @param t0sz STE.S2T0SZ.
 * @param sl0 STE.S2SL0.
 * @param oasBits the implemented output address size, SMMU_IDR5.OAS in bits (the ARM ARM's PAMax()).
 */
export function stage2GeometryValid(granule: VmsaGranuleBits, t0sz: number, sl0: number, oasBits: number): boolean {
  if (!Number.isInteger(t0sz) || t0sz < stage2TszMin(granule) || t0sz > VMSA_TSZ_MAX) return false;
  const start = stage2StartLevelForSl0(granule, sl0);
  if (start === undefined) return false;
  if (sl0 === 3) return false; // 4 KB: needs TTST; 16 KB: needs DS; 64 KB: reserved (already undefined).
  if (sl0 === 2 && oasBits < (granule === 14 ? 42 : 44)) return false;
  const rootBits = 64 - t0sz - vmsaLevelShift(granule, start);
  return rootBits >= 1 && rootBits <= vmsaStride(granule) + 4;
}

/**
 * The stage-2 geometry for a granule, T0SZ and SL0, with concatenated root tables where the start level
 * resolves more bits than one table holds (each extra bit doubles them, up to 16; the root is their
 * total size and is aligned to it, [ARMARM] D8.2.7).
 * @throws IommuError `ARGUMENT` when the combination is not usable (see {@link stage2GeometryValid};
 * the PA-size conditions are not checked here).
 */
export function stage2WalkGeometry(granule: VmsaGranuleBits, t0sz: number, sl0: number): VmsaGeometry {
  if (!stage2GeometryValid(granule, t0sz, sl0, 52)) {
    throw new IommuError('ARGUMENT', `stage-2 T0SZ ${t0sz} / SL0 ${sl0} is not a usable combination for the ${vmsaGranuleName(granule)} granule`, { t0sz, sl0, granule });
  }
  return buildGeometry(granule, 64 - t0sz, stage2StartLevelForSl0(granule, sl0)!);
}

function checkTsz(granule: VmsaGranuleBits, tsz: number, min: number, what: string): void {
  if (!Number.isInteger(tsz) || tsz < min || tsz > VMSA_TSZ_MAX) {
    throw new IommuError('ARGUMENT', `${what} ${tsz} is outside ${min}..${VMSA_TSZ_MAX} for the ${vmsaGranuleName(granule)} granule`, { tsz, granule });
  }
}

function buildGeometry(granule: VmsaGranuleBits, inputBits: number, startLevel: number): VmsaGeometry {
  const stride = vmsaStride(granule);
  const levels = VMSA_FINAL_LEVEL + 1 - startLevel;
  const shifts: number[] = [];
  const indexBits: number[] = [];
  const archLevels: number[] = [];
  for (let depth = 0; depth < levels; depth++) {
    const level = startLevel + depth;
    shifts.push(vmsaLevelShift(granule, level));
    indexBits.push(depth === 0 ? inputBits - vmsaLevelShift(granule, level) : stride);
    archLevels.push(level);
  }
  const rootBits = indexBits[0]!;
  return {
    granuleBits: granule,
    stride,
    inputBits,
    startLevel,
    levels,
    shifts,
    indexBits,
    archLevels,
    concatenated: rootBits > stride ? 2 ** (rootBits - stride) : 1,
    rootBytes: 8 * 2 ** rootBits,
  };
}
