/**
 * Building the CD of an io-pgtable stage-1 context, with the values the Linux driver programs
 * (Arm IHI0070 §5.4): TTB0 walks only (EPD1 = 1), inner-shareable write-back walks, AArch64 tables,
 * faults recorded (R = 1) and terminated with an abort (A = 1), a non-shared ASID set (ASET = 1), IPS
 * from the table's output size, and a MAIR whose index 0 is Normal write-back (what
 * {@link SmmuPageTable.map} uses by default).
 * @packageDocumentation
 */
import { addressSizeCode, CD, tg0FromGranule } from '../structures/index';
import type { SmmuPageTable } from './io-pgtable';

/**
 * The MAIR the driver programs, as {CD.MAIR1, CD.MAIR0}: AttrIndx 0 = 0xFF (Normal, inner/outer
 * write-back read/write-allocate), 1 = 0x04 (Device-nGnRE), 2 = 0x44 (Normal non-cacheable).
 */
export const DRIVER_MAIR = {
  /** CD.MAIR0: AttrIndx 0..3. */
  mair0: 0x0044_04ff,
  /** CD.MAIR1: AttrIndx 4..7 (unused). */
  mair1: 0,
} as const;

/** Walk cacheability the driver programs: write-back, read/write-allocate (TCR IRGN/ORGN = 0b01). */
const WALK_WBWA = 1;
/** Walk shareability: inner shareable. */
const WALK_ISH = 3;

/** Options of {@link buildStage1Cd}. */
export interface Stage1CdOptions {
  /** CD.ASID. */
  asid: number;
  /** CD.S: stall on faults (default false). */
  stall?: boolean;
}

/**
 * The CD words for a stage-1 page table (its root is TTB0; under nesting that root is an IPA).
 * @throws IommuError `FIELD_RANGE` when a value does not fit (e.g. a 17-bit ASID).
 */
export function buildStage1Cd(table: SmmuPageTable, options: Stage1CdOptions): Uint32Array {
  return CD.encode({
    T0SZ: table.tsz,
    TG0: tg0FromGranule(table.granuleBits),
    IR0: WALK_WBWA,
    OR0: WALK_WBWA,
    SH0: WALK_ISH,
    EPD1: 1,
    V: 1,
    IPS: addressSizeCode(table.outputBits),
    AA64: 1,
    S: options.stall ? 1 : 0,
    R: 1,
    A: 1,
    ASET: 1,
    ASID: options.asid,
    TTB0: BigInt(table.root),
    MAIR0: DRIVER_MAIR.mair0,
    MAIR1: DRIVER_MAIR.mair1,
  });
}
