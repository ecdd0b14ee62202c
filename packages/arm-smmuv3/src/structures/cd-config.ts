/**
 * What a legal CD configures ({@link CdConfig}) and why a CD is ILLEGAL ({@link CdIllegalReason}), the
 * result types of {@link checkCd} [SPEC 5.4, 5.4.2].
 * @packageDocumentation
 */
import type { U64 } from '@viommu/core';
import type { GranuleBits } from './granule';

/** One of the two translation table halves of a CD (TTB0 for VA[55] == 0, TTB1 for VA[55] == 1). */
export interface CdTranslationTable {
  /**
   * False when the effective EPDx is 1 (a TLB miss is F_TRANSLATION, its fields were not checked) or when
   * the half is unreachable (TTB1 with StreamWorld NS-EL2).
   */
  readonly enabled: boolean;
  /** TxSZ as programmed. */
  readonly txsz: number;
  /** Input size in bits: 64 − TxSZ (VMSAv8-64) or 32 − TxSZ[2:0] (VMSAv8-32 LPAE). */
  readonly inputBits: number;
  /** Granule, or undefined when TGx is reserved (only possible for a disabled half). */
  readonly granuleBits: GranuleBits | undefined;
  /** Start level of the walk (undefined for a disabled half with a reserved granule). */
  readonly startLevel: number | undefined;
  /** TTBx as programmed (address bits [55:4]). */
  readonly ttb: number;
  /** Effective start-level table base: TTBx aligned to the start-level table size (64 bytes minimum with a 52-bit IPS). */
  readonly tableBase: number;
  /** IRx: inner cacheability of walks. */
  readonly ir: number;
  /** ORx: outer cacheability of walks. */
  readonly or: number;
  /** SHx: shareability of walks. */
  readonly sh: number;
  /** TBIx: top byte ignore. */
  readonly tbi: boolean;
  /** HADx: hierarchical attributes disabled. */
  readonly had: boolean;
  /** E0PDx. */
  readonly e0pd: boolean;
}

/** A legal CD, decoded. */
export interface CdConfig {
  /** Discriminant: this CD is legal. */
  readonly illegal: false;
  /** Translation table format (CD.AA64). */
  readonly format: 'aarch64' | 'aarch32';
  /** TTB0 half. */
  readonly ttb0: CdTranslationTable;
  /** TTB1 half. */
  readonly ttb1: CdTranslationTable;
  /** IPS as programmed. */
  readonly ips: number;
  /** Effective stage 1 output size in bits: MIN(IPS, OAS) for VMSAv8-64, 40 for VMSAv8-32 LPAE. */
  readonly outputBits: number;
  /** ASID, or undefined when IGNORED (StreamWorld NS-EL2 without E2H). */
  readonly asid: number | undefined;
  /** ASET: non-shared ASID set. */
  readonly aset: boolean;
  /** AFFD. */
  readonly affd: boolean;
  /** WXN. */
  readonly wxn: boolean;
  /** UWXN (VMSAv8-32 LPAE only). */
  readonly uwxn: boolean;
  /** PAN. */
  readonly pan: boolean;
  /** HA. */
  readonly ha: boolean;
  /** HD (effective only with HA). */
  readonly hd: boolean;
  /** HAFT. */
  readonly haft: boolean;
  /** S: stage 1 faults stall. */
  readonly stall: boolean;
  /** R: stage 1 faults are recorded. */
  readonly record: boolean;
  /** A: terminated transactions abort (else RAZ/WI). */
  readonly abort: boolean;
  /** ENDI: big-endian tables. */
  readonly bigEndian: boolean;
  /** Effective DS (SMMU_IDR5.DS and CD.DS). */
  readonly ds: boolean;
  /** MAIR as halves: `hi` = MAIR1, `lo` = MAIR0; attribute n is byte n of {MAIR1, MAIR0}. */
  readonly mair: U64;
  /** AMAIR as halves. */
  readonly amair: U64;
  /** PARTID. */
  readonly partid: number;
  /** PMG. */
  readonly pmg: number;
}

/**
 * Why a CD is ILLEGAL (C_BAD_CD, event 0x0A) [SPEC 5.4.2], in the order CdIllegal() checks them.
 */
export const CD_ILLEGAL_REASONS = {
  /** CD.V [31] is 0. Checked first; every other field is ignored. */
  V_ZERO: 'CD.V == 0',
  /** CD.S [44] asks for stall faults but the STE forbids them (STE.S1STALLD == 1). */
  STALL_DISABLED_BY_STE: 'CD.S == 1 but STE.S1STALLD == 1',
  /** CD.A [46] is 0 (RAZ/WI on terminate) on an SMMU that must abort terminated transactions (TERM_MODEL == 1). */
  ABORT_REQUIRED: 'CD.A == 0 but SMMU_IDR0.TERM_MODEL == 1',
  /** CD.S == 1 on an SMMU that cannot stall (STALL_MODEL == 0b01). */
  STALL_UNSUPPORTED: 'CD.S == 1 but SMMU_IDR0.STALL_MODEL == 0b01',
  /** CD.S == 0 on an SMMU that always stalls (STALL_MODEL == 0b10). */
  STALL_FORCED: 'CD.S == 0 but SMMU_IDR0.STALL_MODEL == 0b10',
  /** CD.ENDI [15] selects a table endianness SMMU_IDR0.TTENDIAN lacks. */
  ENDI_UNSUPPORTED: 'CD.ENDI selects an endianness SMMU_IDR0.TTENDIAN does not support',
  /** CD.AA64 [41] == 0 (VMSAv8-32 LPAE) without SMMU_IDR0.TTF[0], or under an EL2-E2H StreamWorld. */
  AA32_UNSUPPORTED: 'CD.AA64 == 0 without SMMU_IDR0.TTF[0], or with StreamWorld EL2-E2H',
  /** CD.AA64 == 1 (VMSAv8-64) without SMMU_IDR0.TTF[1], or over a VMSAv8-32 LPAE stage 2. */
  AA64_UNSUPPORTED: 'CD.AA64 == 1 without SMMU_IDR0.TTF[1], or over a VMSAv8-32 LPAE stage 2',
  /** CD.HA [43] / HD [42] request hardware Access flag / dirty updates SMMU_IDR0.HTTU does not offer. */
  HTTU_UNSUPPORTED: 'CD.HA/HD set without the SMMU_IDR0.HTTU support',
  /** CD.HAFT [67] (hardware Access flag for table descriptors) set without CD.HA. */
  HAFT_WITHOUT_HA: 'CD.HAFT == 1 with CD.HA == 0 (SMMU_IDR0.HTTU == 0b11)',
  /** CD.ASID [63:48] uses its upper byte on an SMMU with 8-bit ASIDs (SMMU_IDR0.ASID16 == 0). */
  ASID_16BIT: 'CD.ASID[15:8] != 0 but SMMU_IDR0.ASID16 == 0',
  /** T0SZ [5:0] outside the legal range (see {@link stage1TxszRange}) while TTB0 walks are enabled. */
  T0SZ_RANGE: 'T0SZ outside 16 (12 with 52-bit VAs)..39 with EPD0 == 0',
  /** T1SZ [21:16] outside the legal range while TTB1 walks are enabled. */
  T1SZ_RANGE: 'T1SZ outside 16 (12 with 52-bit VAs)..39 with EPD1 == 0',
  /** TG0 [7:6] is reserved or names a granule SMMU_IDR5 lacks, while TTB0 walks are enabled. */
  TG0_UNSUPPORTED: 'TG0 reserved or unsupported by SMMU_IDR5 with EPD0 == 0',
  /** TTB0 [119:68] lies beyond the effective IPS (or 48 bits for 4KB/16KB granules without DS). */
  TTB0_RANGE: 'TTB0 beyond the effective IPS, or beyond 48 bits with a 4KB/16KB granule and DS == 0',
  /** TG1 [23:22] is reserved or names a granule SMMU_IDR5 lacks, while TTB1 walks are enabled (TG1 encodes differently from TG0). */
  TG1_UNSUPPORTED: 'TG1 reserved or unsupported by SMMU_IDR5 with EPD1 == 0',
  /** TTB1 [183:132] lies beyond the effective IPS (or 48 bits for 4KB/16KB granules without DS). */
  TTB1_RANGE: 'TTB1 beyond the effective IPS, or beyond 48 bits with a 4KB/16KB granule and DS == 0',
} as const;

/** A reason code of {@link CD_ILLEGAL_REASONS}. */
export type CdIllegalReason = keyof typeof CD_ILLEGAL_REASONS;

/** An ILLEGAL CD: using it terminates the transaction and records C_BAD_CD. */
export interface CdIllegal {
  /** Discriminant: this CD is ILLEGAL. */
  readonly illegal: true;
  /** Which rule failed. */
  readonly reason: CdIllegalReason;
  /** A readable explanation with the offending values. */
  readonly message: string;
}

/** The result of {@link checkCd}. */
export type CdCheck = CdConfig | CdIllegal;
