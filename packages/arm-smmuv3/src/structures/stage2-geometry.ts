/**
 * Stage 2 walk geometry from STE.{S2T0SZ, S2SL0, S2SL0_2, S2TG, S2DS} and the consistency rules that make an
 * STE ILLEGAL when they disagree [SPEC 5.2 S2T0SZ/S2SL0/S2TG, 5.2.2]. The SMMU applies the A-profile rules
 * (ARMARM AArch64.S2InvalidSL, AArch64.S2InconsistentSL) but reports a violation as C_BAD_STE instead of a
 * translation fault, with the SMMU's own S2T0SZ range.
 *
 * Start level from SL0: 4KB 0→L2, 1→L1, 2→L0 (needs a PA size ≥ 44), 3→L3 only with small translation
 * tables (SMMU_IDR3.STT, not modelled: invalid), SL2:SL0 = 0b100 → L−1 with DS; 16KB 0→L3, 1→L2, 2→L1
 * (PA size ≥ 42), 3→L0 only with DS; 64KB 0→L3, 1→L2, 2→L1 (PA size ≥ 44), 3 reserved.
 * Consistency: with levels = 3 − start level and stride = granule − 3, the input size must lie in
 * [levels × stride + granule + 1, levels × stride + granule + stride + 3]: at least one bit resolved at the
 * start level and at most 16 concatenated start-level tables.
 * @packageDocumentation
 */
import type { GranuleBits } from './granule';

/** Most tables that can be concatenated at the stage 2 start level. */
export const MAX_CONCATENATED_TABLES = 16;

/** Inputs of the stage 2 geometry check (effective values). */
export interface Stage2WalkParams {
  /** STE.S2T0SZ (6 bits for VMSAv8-64; for VMSAv8-32 LPAE bits [3:0] are a signed value). */
  readonly t0sz: number;
  /** STE.S2SL0. */
  readonly sl0: number;
  /** STE.S2SL0_2 (only meaningful with effective DS and a 4KB granule). */
  readonly sl2: number;
  /** The stage 2 granule (always 4KB for VMSAv8-32 LPAE). */
  readonly granuleBits: GranuleBits;
  /** Effective S2DS (SMMU_IDR5.DS and STE.S2DS, never with 64KB). */
  readonly ds: boolean;
  /** True for VMSAv8-64 tables, false for VMSAv8-32 LPAE. */
  readonly aarch64: boolean;
  /** The SMMU's IAS in bits. */
  readonly iasBits: number;
  /** The PA size the A-profile "PAMax()" checks use: the SMMU OAS in bits. */
  readonly paMaxBits: number;
}

/** A consistent stage 2 walk. */
export interface Stage2Geometry {
  /** IPA size in bits. */
  readonly inputBits: number;
  /** Start level (−1..3). */
  readonly startLevel: number;
  /** Input bits resolved at the start level, including concatenation. */
  readonly bitsAtStartLevel: number;
  /** Number of concatenated start-level tables (1..16). */
  readonly concatenatedTables: number;
  /** log2 of the (concatenated) start-level table size in bytes. */
  readonly tableAlignBits: number;
}

/** Why a stage 2 configuration is ILLEGAL. */
export type Stage2GeometryProblem = 'S2T0SZ_RANGE' | 'S2SL0_INCONSISTENT';

/** Result of {@link checkStage2Geometry}. */
export type Stage2GeometryCheck =
  | {
      /** Discriminant: S2T0SZ, S2SL0 and S2TG are consistent. */
      readonly ok: true;
      /** The stage 2 walk geometry they select. */
      readonly geometry: Stage2Geometry;
    }
  | {
      /** Discriminant: the STE is ILLEGAL (C_BAD_STE) [SPEC 5.2.2]. */
      readonly ok: false;
      /** Which rule failed; also a {@link SteIllegalReason}. */
      readonly problem: Stage2GeometryProblem;
      /** A readable explanation with the offending values. */
      readonly message: string;
    };

/** The S2T0SZ range the SMMU accepts for VMSAv8-64 stage 2 (SMMU_IDR3.STT = 0) [SPEC 5.2 S2T0SZ]. */
export function stage2T0szRange(
  granuleBits: GranuleBits,
  ds: boolean,
  iasBits: number,
): {
  /** Smallest legal S2T0SZ (largest IPA space): MAX(12 for 64KB or DS else 16, 64 − IAS). */
  readonly min: number;
  /** Largest legal S2T0SZ: always 39 (a 25-bit IPA space). */
  readonly max: number;
} {
  const floor = granuleBits === 16 || ds ? 12 : 16;
  return { min: Math.max(floor, 64 - iasBits), max: 39 };
}

/**
 * The start level a VMSAv8-64 S2SL0 (with SL2) selects for a granule, or `undefined` when the encoding is
 * invalid for this SMMU (ARMARM AArch64.S2InvalidSL with PAMax = OAS).
 */
export function stage2StartLevel(granuleBits: GranuleBits, sl0: number, sl2: number, ds: boolean, paMaxBits: number): number | undefined {
  if (granuleBits === 12) {
    if (ds && sl2 === 1) return sl0 === 0 ? -1 : undefined;
    if (sl0 === 2) return paMaxBits < 44 ? undefined : 0;
    if (sl0 === 3) return undefined; // level 3 start needs SMMU_IDR3.STT, not modelled
    return 2 - sl0;
  }
  if (granuleBits === 14) {
    if (sl0 === 3) return ds ? 0 : undefined;
    if (sl0 === 2 && paMaxBits < 42) return undefined;
    return 3 - sl0;
  }
  if (sl0 === 3) return undefined;
  if (sl0 === 2 && paMaxBits < 44) return undefined;
  return 3 - sl0;
}

/** Signed value of a 4-bit field (VMSAv8-32 LPAE S2T0SZ). */
function signed4(v: number): number {
  const x = v & 0xf;
  return x >= 8 ? x - 16 : x;
}

/**
 * Checks S2T0SZ, S2SL0 and S2TG together and, when consistent, returns the walk geometry.
 * VMSAv8-32 LPAE: input size 32 − S2T0SZ[3:0] (signed), S2SL0 0 → L2, 1 → L1, others invalid.
 */
export function checkStage2Geometry(p: Stage2WalkParams): Stage2GeometryCheck {
  let inputBits: number;
  let startLevel: number | undefined;
  if (p.aarch64) {
    const range = stage2T0szRange(p.granuleBits, p.ds, p.iasBits);
    if (p.t0sz < range.min || p.t0sz > range.max) {
      return { ok: false, problem: 'S2T0SZ_RANGE', message: `S2T0SZ ${p.t0sz} outside ${range.min}..${range.max}` };
    }
    inputBits = 64 - p.t0sz;
    startLevel = stage2StartLevel(p.granuleBits, p.sl0, p.sl2, p.ds, p.paMaxBits);
  } else {
    inputBits = 32 - signed4(p.t0sz);
    startLevel = p.sl0 <= 1 ? 2 - p.sl0 : undefined;
  }
  if (startLevel === undefined) {
    return { ok: false, problem: 'S2SL0_INCONSISTENT', message: `S2SL0 ${p.sl0} (SL2 ${p.sl2}) is invalid for a ${2 ** (p.granuleBits - 10)}KB granule` };
  }
  const stride = p.granuleBits - 3;
  const levels = 3 - startLevel;
  const minInput = levels * stride + p.granuleBits + 1;
  const maxInput = minInput + (stride - 1) + 4;
  if (inputBits < minInput || inputBits > maxInput) {
    return {
      ok: false,
      problem: 'S2SL0_INCONSISTENT',
      message: `a ${inputBits}-bit IPA cannot start at level ${startLevel} (needs ${minInput}..${maxInput} bits)`,
    };
  }
  const bitsAtStartLevel = inputBits - (levels * stride + p.granuleBits);
  const concatenatedTables = 2 ** Math.max(0, bitsAtStartLevel - stride);
  return {
    ok: true,
    geometry: { inputBits, startLevel, bitsAtStartLevel, concatenatedTables, tableAlignBits: bitsAtStartLevel + 3 },
  };
}
