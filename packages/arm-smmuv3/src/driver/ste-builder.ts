/**
 * Building the STEs the driver installs (Arm IHI0070 §5.2), with the values the Linux driver programs:
 * abort (blocked), bypass (identity), stage 2 (paging and nesting-parent domains), stage 1 (host stage-1
 * contexts) and nested (a guest's CD table over the domain's stage 2). Translating STEs use incoming
 * shareability (SHCFG = 0b01); stage-2 walks are inner-shareable write-back, stage-2 faults are recorded
 * (S2R = 1) and stage-1 walks that land on stage-2 Device memory fault (S2PTW = 1); CD fetches are
 * inner-shareable write-back (S1CIR = S1COR = WB-RA, S1CSH = ISH).
 * @packageDocumentation
 */
import { addressSizeCode, STE, tg0FromGranule } from '../structures/index';
import type { SmmuPageTable } from './io-pgtable';

/** STE.Config values [SPEC 5.2]. */
export const SteConfigValue = {
  /** Abort without an event. */
  ABORT: 0b000,
  /** Both stages bypassed. */
  BYPASS: 0b100,
  /** Stage 1 translates, stage 2 bypassed. */
  STAGE1: 0b101,
  /** Stage 1 bypassed, stage 2 translates. */
  STAGE2: 0b110,
  /** Stage 1 then stage 2. */
  NESTED: 0b111,
} as const;

/** SHCFG = 0b01: use the incoming shareability. */
const SHCFG_INCOMING = 1;
/** Walk and fetch cacheability: write-back, read-allocate (0b01). */
const WB_RA = 1;
/** Walk and fetch shareability: inner shareable (0b11). */
const ISH = 3;

/** The stage-1 half of an STE: where the CD table is and how it is used. */
export interface SteStage1Fields {
  /** STE.S1ContextPtr (a PA, or an IPA when nested). */
  contextPtr: number | bigint;
  /** STE.S1CDMax. */
  cdMax: number;
  /** STE.S1Fmt. */
  s1fmt: number;
  /** STE.S1DSS. */
  s1dss: number;
  /** STE.S1CIR (default WB-RA). */
  cir?: number;
  /** STE.S1COR (default WB-RA). */
  cor?: number;
  /** STE.S1CSH (default inner shareable). */
  csh?: number;
  /** STE.S1STALLD (default 0). */
  stalld?: number;
  /** STE.EATS (default 0: ATS disabled). */
  eats?: number;
}

/** The stage-2 half of an STE. */
export interface SteStage2Fields {
  /** STE.S2VMID. */
  vmid: number;
  /** The stage-2 page table (S2TTB, S2T0SZ, S2SL0, S2TG, S2PS). */
  table: SmmuPageTable;
}

/** The blocked STE: V = 1, Config = abort. */
export function buildAbortSte(): Uint32Array {
  return STE.encode({ V: 1, Config: SteConfigValue.ABORT });
}

/** The identity STE: V = 1, Config = bypass, incoming shareability. */
export function buildBypassSte(): Uint32Array {
  return STE.encode({ V: 1, Config: SteConfigValue.BYPASS, SHCFG: SHCFG_INCOMING });
}

function stage2Values(s2: SteStage2Fields): Record<string, number | bigint> {
  const t = s2.table;
  return {
    S2VMID: s2.vmid,
    S2T0SZ: t.tsz,
    S2SL0: t.sl0,
    S2IR0: WB_RA,
    S2OR0: WB_RA,
    S2SH0: ISH,
    S2TG: tg0FromGranule(t.granuleBits),
    S2PS: addressSizeCode(t.outputBits),
    S2AA64: 1,
    S2PTW: 1,
    S2R: 1,
    S2TTB: BigInt(t.root),
  };
}

function stage1Values(s1: SteStage1Fields): Record<string, number | bigint> {
  return {
    S1Fmt: s1.s1fmt,
    S1ContextPtr: BigInt(s1.contextPtr),
    S1CDMax: s1.cdMax,
    S1DSS: s1.s1dss,
    S1CIR: s1.cir ?? WB_RA,
    S1COR: s1.cor ?? WB_RA,
    S1CSH: s1.csh ?? ISH,
    S1STALLD: s1.stalld ?? 0,
    EATS: s1.eats ?? 0,
  };
}

/**
 * A stage-2-only STE (Config 0b110): paging domains, and nesting domains without a bound guest table.
 * `mergeEvents` sets MEV, as for nested STEs: a nesting domain's STE carries it in both forms, so binding
 * and unbinding a guest table change only word 0 and stay hitless.
 */
export function buildStage2Ste(s2: SteStage2Fields, mergeEvents = false): Uint32Array {
  return STE.encode({ V: 1, Config: SteConfigValue.STAGE2, SHCFG: SHCFG_INCOMING, MEV: mergeEvents ? 1 : 0, ...stage2Values(s2) });
}

/**
 * A stage-1-only STE (Config 0b101) for a host stage-1 context, NS-EL1 StreamWorld; S2VMID tags its TLB
 * entries (the driver uses VMID 0, as Linux does).
 */
export function buildStage1Ste(s1: SteStage1Fields, vmid: number): Uint32Array {
  return STE.encode({ V: 1, Config: SteConfigValue.STAGE1, SHCFG: SHCFG_INCOMING, S2VMID: vmid, ...stage1Values(s1) });
}

/**
 * A nested STE (Config 0b111): a guest CD table (S1ContextPtr is an IPA) over the domain's stage 2.
 * MEV = 1 lets the SMMU merge the events a guest can provoke in bulk (Linux forces it for nested STEs).
 */
export function buildNestedSte(s1: SteStage1Fields, s2: SteStage2Fields): Uint32Array {
  return STE.encode({ V: 1, Config: SteConfigValue.NESTED, SHCFG: SHCFG_INCOMING, MEV: 1, ...stage2Values(s2), ...stage1Values(s1) });
}
