/**
 * What a legal STE configures ({@link SteConfig}) and why an STE is ILLEGAL ({@link SteIllegalReason}),
 * the result types of {@link checkSte} [SPEC 5.2, 5.2.2].
 * @packageDocumentation
 */
import type { GranuleBits } from './granule';

/**
 * The stream configuration an STE selects (Config [SPEC 5.2]):
 * - `abort`: Config 0b0xx, traffic is terminated silently (no event; never ILLEGAL);
 * - `bypass`: Config 0b100, both stages bypassed;
 * - `s1`: Config 0b101, stage 1 translates, stage 2 bypassed;
 * - `s2`: Config 0b110, stage 1 bypassed, stage 2 translates;
 * - `nested`: Config 0b111, stage 1 then stage 2.
 */
export type SteKind = 'abort' | 'bypass' | 's1' | 's2' | 'nested';

/**
 * The StreamWorld of a translating Non-secure stream [SPEC 5.2 STRW, 3.3.3]: `NS-EL1`, or `NS-EL2` for
 * STRW = 0b10 (EL2 or EL2-E2H as SMMU_CR2.E2H selects).
 */
export type StreamWorld = 'NS-EL1' | 'NS-EL2';

/** How a transaction without a SubstreamID is treated when substreams are enabled [SPEC 5.2 S1DSS]. */
export type S1Dss = 'terminate' | 'bypass' | 'substream0' | 'reserved';

/**
 * The CD table layout S1ContextPtr points to [SPEC 5.2 S1Fmt]: `single` (one CD, substreams disabled),
 * `linear`, or 2-level with 4KB or 64KB leaf tables.
 */
export type CdTableFormat = 'single' | 'linear' | '2-level-4k' | '2-level-64k';

/** Stage 1 part of a legal STE (Config 0b1x1). */
export interface SteStage1 {
  /** S1ContextPtr: address of the CD or CD table (bits [55:6]). */
  readonly contextPtr: number;
  /** True when the context pointer (and L1CD.L2Ptr) are IPAs, i.e. stage 2 translates (Config 0b111). */
  readonly contextPtrIsIpa: boolean;
  /** S1CDMax: log2 of the number of CDs. */
  readonly cdMax: number;
  /** True when substreams are enabled: S1CDMax ≠ 0 and SMMU_IDR1.SSIDSIZE ≠ 0. */
  readonly substreams: boolean;
  /** Effective CD table format (S1Fmt is IGNORED without substreams; 0b11 behaves as linear). */
  readonly cdTableFormat: CdTableFormat;
  /** S1DSS as programmed (IGNORED unless substreams are enabled; `reserved` behaves as `terminate`). */
  readonly s1dss: S1Dss;
  /** S1CIR: inner cacheability of CD fetches. */
  readonly cir: number;
  /** S1COR: outer cacheability of CD fetches. */
  readonly cor: number;
  /** S1CSH: shareability of CD fetches. */
  readonly csh: number;
  /** S1STALLD: CDs may not select the stall model. */
  readonly stallDisable: boolean;
  /** S1MPAM. */
  readonly mpam: boolean;
}

/** Stage 2 part of a legal STE (Config 0b11x). */
export interface SteStage2 {
  /** Table format: VMSAv8-64 (`aarch64`) or VMSAv8-32 LPAE (`aarch32`). */
  readonly format: 'aarch64' | 'aarch32';
  /** S2VMID. */
  readonly vmid: number;
  /** S2T0SZ as programmed. */
  readonly t0sz: number;
  /** IPA size in bits. */
  readonly inputBits: number;
  /** S2SL0 as programmed. */
  readonly sl0: number;
  /** Start level of the walk (−1..3). */
  readonly startLevel: number;
  /** Number of concatenated start-level tables (1..16). */
  readonly concatenatedTables: number;
  /** Granule (always 4KB for VMSAv8-32 LPAE). */
  readonly granuleBits: GranuleBits;
  /** S2PS as programmed. */
  readonly ps: number;
  /** Effective output size in bits: MIN(S2PS, OAS) for VMSAv8-64, 40 for VMSAv8-32 LPAE. */
  readonly outputBits: number;
  /** S2TTB as programmed. */
  readonly ttb: number;
  /** Effective start-level table base: S2TTB aligned to the (concatenated) table size, 64 bytes minimum with a 52-bit output. */
  readonly tableBase: number;
  /** S2IR0. */
  readonly ir0: number;
  /** S2OR0. */
  readonly or0: number;
  /** S2SH0. */
  readonly sh0: number;
  /** S2ENDI: big-endian tables. */
  readonly bigEndian: boolean;
  /** S2AFFD. */
  readonly affd: boolean;
  /** S2PTW. */
  readonly ptw: boolean;
  /** S2HA. */
  readonly ha: boolean;
  /** S2HD (effective only with S2HA). */
  readonly hd: boolean;
  /** S2HAFT. */
  readonly haft: boolean;
  /** S2S: faults stall. */
  readonly stall: boolean;
  /** S2R: faults are recorded. */
  readonly record: boolean;
  /** S2FWB. */
  readonly fwb: boolean;
  /** Effective S2DS (52-bit addresses with 4KB/16KB granules). */
  readonly ds: boolean;
}

/** Stream attributes every valid, non-abort STE carries [SPEC 5.2, 13]. */
export interface SteAttributes {
  /** MEV: events may be merged. */
  readonly mergeEvents: boolean;
  /** CONT: contiguous hint span (log2 StreamIDs). */
  readonly cont: number;
  /** DRE. */
  readonly dre: boolean;
  /** DCP. */
  readonly dcp: boolean;
  /** PPAR. */
  readonly ppar: boolean;
  /** MTCFG. */
  readonly mtcfg: boolean;
  /** MemAttr. */
  readonly memAttr: number;
  /** ALLOCCFG. */
  readonly allocCfg: number;
  /** SHCFG. */
  readonly shCfg: number;
  /** NSCFG. */
  readonly nsCfg: number;
  /** PRIVCFG. */
  readonly privCfg: number;
  /** INSTCFG. */
  readonly instCfg: number;
}

/** A legal STE, decoded. */
export interface SteConfig {
  /** Discriminant: this STE is legal. */
  readonly illegal: false;
  /** The configuration kind. */
  readonly kind: SteKind;
  /** Config as programmed. */
  readonly config: number;
  /** StreamWorld for translating streams (undefined for abort and bypass). */
  readonly streamWorld: StreamWorld | undefined;
  /** VMID tagging this stream's translations, undefined when S2VMID is IGNORED [SPEC 5.2.2 IgnoreSTES2VMID]. */
  readonly vmid: number | undefined;
  /**
   * Effective EATS: 0 when ATS is not implemented, Config[1:0] == 0b00, or EATS == 0b11 without DPT
   * (behaves as 0b00); otherwise as programmed.
   */
  readonly eats: number;
  /** Attribute overrides (undefined for `abort`). */
  readonly attributes: SteAttributes | undefined;
  /** Stage 1 configuration (kinds `s1` and `nested`). */
  readonly s1: SteStage1 | undefined;
  /** Stage 2 configuration (kinds `s2` and `nested`). */
  readonly s2: SteStage2 | undefined;
}

/**
 * Why an STE is ILLEGAL (C_BAD_STE) [SPEC 5.2.2], in the order the architecture's SteIllegal() checks them.
 * The value is a one-line description naming the fields involved.
 */
export const STE_ILLEGAL_REASONS = {
  /** STE.V [0] is 0: the StreamID has no configuration. Checked first; every other field is ignored. */
  V_ZERO: 'STE.V == 0',
  /** Config enables stage 1 (0b101 or 0b111) on an SMMU without stage 1 (SMMU_IDR0.S1P == 0). */
  STAGE1_NOT_IMPLEMENTED: 'Config == 0b1x1 but SMMU_IDR0.S1P == 0',
  /** Config enables stage 2 (0b110 or 0b111) on an SMMU without stage 2 (SMMU_IDR0.S2P == 0). */
  STAGE2_NOT_IMPLEMENTED: 'Config == 0b11x but SMMU_IDR0.S2P == 0',
  /** EATS == 0b10 (split-stage ATS) outside its only legal use: nested Config, S2S == 0 and SMMU_IDR0.NS1ATS == 0. */
  EATS_SPLIT_STAGE: 'EATS == 0b10 (split-stage ATS) needs Config == 0b111, S2S == 0 and SMMU_IDR0.NS1ATS == 0',
  /** EATS == 0b01 (full ATS) with S2S == 1 (stall stage 2 faults) while stage 2 is enabled. */
  EATS_FULL_WITH_STALL: 'EATS == 0b01 (full ATS) with S2S == 1 and stage 2 enabled',
  /** STRW [95:94] holds a reserved encoding (0bx1 on the Non-secure side); ignored for Config 0b11x. */
  STRW_RESERVED: 'STRW == 0bx1 (reserved) where STRW is used',
  /** S1STALLD == 1 (forbid CD.S stalls) on an SMMU whose stall model is not configurable. */
  S1STALLD_NOT_CONFIGURABLE: 'S1STALLD == 1 but SMMU_IDR0.STALL_MODEL != 0b00',
  /** S1CDMax [63:59] asks for more SubstreamID bits than SMMU_IDR1.SSIDSIZE provides. */
  S1CDMAX_RANGE: 'S1CDMax > SMMU_IDR1.SSIDSIZE',
  /** S1Fmt [5:4] selects a 2-level CD table on an SMMU without SMMU_IDR0.CD2L. */
  S1FMT_TWO_LEVEL_UNSUPPORTED: 'S1Fmt selects a 2-level CD table but SMMU_IDR0.CD2L == 0',
  /** S1ContextPtr [55:6] lies beyond the address size it is interpreted in (PA: OAS; IPA when nested: IAS). */
  S1CONTEXTPTR_RANGE: 'S1ContextPtr beyond the OAS (stage 1 only) or the IAS (nested)',
  /** S2S == 1 (stall stage 2 faults) on an SMMU that cannot stall (STALL_MODEL == 0b01). */
  S2S_STALL_UNSUPPORTED: 'S2S == 1 but SMMU_IDR0.STALL_MODEL == 0b01 (no stall)',
  /** S2S == 0 on an SMMU that always stalls (STALL_MODEL == 0b10). */
  S2S_STALL_FORCED: 'S2S == 0 but SMMU_IDR0.STALL_MODEL == 0b10 (stall forced)',
  /** S2AA64 [179] selects a stage 2 table format (VMSAv8-64 or VMSAv8-32 LPAE) SMMU_IDR0.TTF lacks. */
  S2AA64_UNSUPPORTED: 'S2AA64 selects a table format SMMU_IDR0.TTF does not support',
  /** S2HA [184] / S2HD [183] request hardware Access flag / dirty updates SMMU_IDR0.HTTU does not offer. */
  S2HTTU_UNSUPPORTED: 'S2HA/S2HD set without the SMMU_IDR0.HTTU support (or with VMSAv8-32 LPAE)',
  /** S2HAFT (hardware Access flag for table descriptors) set without S2HA. */
  S2HAFT_WITHOUT_S2HA: 'S2HAFT == 1 with S2HA == 0 (SMMU_IDR0.HTTU == 0b11)',
  /** S2TG [175:174] is reserved (0b11) or names a granule SMMU_IDR5.GRAN4K/16K/64K lacks. */
  S2TG_UNSUPPORTED: 'S2TG reserved or a granule SMMU_IDR5 does not support',
  /** S2TTB [247:196] lies beyond the effective S2PS (or 48 bits for 4KB/16KB granules without S2DS). */
  S2TTB_RANGE: 'S2TTB beyond the effective S2PS, or beyond 48 bits with a 4KB/16KB granule and S2DS == 0',
  /** S2T0SZ [165:160] outside the legal range; see {@link stage2T0szRange}. */
  S2T0SZ_RANGE: 'S2T0SZ outside MAX(16 (12 for 64KB or DS), 64 − IAS)..39',
  /** S2SL0 [167:166] gives no valid start level for S2TG, or one that needs more than 16 concatenated tables for S2T0SZ. */
  S2SL0_INCONSISTENT: 'S2SL0 invalid for S2TG, or inconsistent with S2T0SZ (start level / more than 16 concatenated tables)',
  /** S2ENDI [180] selects a table endianness SMMU_IDR0.TTENDIAN lacks. */
  S2ENDI_UNSUPPORTED: 'S2ENDI selects an endianness SMMU_IDR0.TTENDIAN does not support',
  /** S2VMID [143:128] uses its upper byte on an SMMU with 8-bit VMIDs (SMMU_IDR0.VMID16 == 0). */
  S2VMID_16BIT: 'S2VMID[15:8] != 0 but SMMU_IDR0.VMID16 == 0',
} as const;

/** A reason code of {@link STE_ILLEGAL_REASONS}. */
export type SteIllegalReason = keyof typeof STE_ILLEGAL_REASONS;

/** An ILLEGAL STE: using it terminates the transaction and records C_BAD_STE (event 0x04). */
export interface SteIllegal {
  /** Discriminant: this STE is ILLEGAL. */
  readonly illegal: true;
  /** Which rule failed. */
  readonly reason: SteIllegalReason;
  /** A readable explanation with the offending values. */
  readonly message: string;
}

/** The result of {@link checkSte}. */
export type SteCheck = SteConfig | SteIllegal;
