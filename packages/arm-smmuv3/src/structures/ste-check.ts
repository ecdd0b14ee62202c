/**
 * Validity of an STE [SPEC 5.2.2 SteIllegal()] and its decoding into a typed {@link SteConfig}.
 *
 * Model scope: a Non-secure STE on an SMMUv3.1-or-later implementation (out-of-range S2T0SZ is always
 * ILLEGAL; EATS == 0b01 with S2S == 1 is ILLEGAL only with stage 2 enabled), without the SMMU_IDR3 features
 * (STT, DPT, PBHA, S1PI/S2PI/S2PO, MPAM/VMS, FWB checks) — fields they govern are RES0 and IGNORED here.
 * Where the architecture leaves a choice (an S1ContextPtr IPA beyond the IAS may be C_BAD_STE or a stage 2
 * fault [SPEC 3.4.3 (2)]), this model reports C_BAD_STE.
 * @packageDocumentation
 */
import { alignDown, getField, IommuError } from '@viommu/core';
import { addressSizeBits } from './address-size';
import { readAddressField } from './address-field';
import { tableEndiannessSupported, type SmmuCapabilities } from './capabilities';
import { granuleFromTg0, granuleSupported, type GranuleBits } from './granule';
import { checkStage2Geometry } from './stage2-geometry';
import { STE, STE_WORDS } from './ste';
import {
  STE_ILLEGAL_REASONS,
  type CdTableFormat,
  type S1Dss,
  type SteAttributes,
  type SteCheck,
  type SteIllegal,
  type SteIllegalReason,
  type SteKind,
  type SteStage1,
  type SteStage2,
  type StreamWorld,
} from './ste-config';

const F = {
  V: STE.field('V'),
  Config: STE.field('Config'),
  S1Fmt: STE.field('S1Fmt'),
  S1CDMax: STE.field('S1CDMax'),
  S1DSS: STE.field('S1DSS'),
  S1CIR: STE.field('S1CIR'),
  S1COR: STE.field('S1COR'),
  S1CSH: STE.field('S1CSH'),
  DRE: STE.field('DRE'),
  CONT: STE.field('CONT'),
  DCP: STE.field('DCP'),
  PPAR: STE.field('PPAR'),
  MEV: STE.field('MEV'),
  S2FWB: STE.field('S2FWB'),
  S1MPAM: STE.field('S1MPAM'),
  S1STALLD: STE.field('S1STALLD'),
  EATS: STE.field('EATS'),
  STRW: STE.field('STRW'),
  MemAttr: STE.field('MemAttr'),
  MTCFG: STE.field('MTCFG'),
  ALLOCCFG: STE.field('ALLOCCFG'),
  SHCFG: STE.field('SHCFG'),
  NSCFG: STE.field('NSCFG'),
  PRIVCFG: STE.field('PRIVCFG'),
  INSTCFG: STE.field('INSTCFG'),
  S2VMID: STE.field('S2VMID'),
  S2T0SZ: STE.field('S2T0SZ'),
  S2SL0: STE.field('S2SL0'),
  S2IR0: STE.field('S2IR0'),
  S2OR0: STE.field('S2OR0'),
  S2SH0: STE.field('S2SH0'),
  S2TG: STE.field('S2TG'),
  S2PS: STE.field('S2PS'),
  S2AA64: STE.field('S2AA64'),
  S2ENDI: STE.field('S2ENDI'),
  S2AFFD: STE.field('S2AFFD'),
  S2PTW: STE.field('S2PTW'),
  S2HD: STE.field('S2HD'),
  S2HA: STE.field('S2HA'),
  S2S: STE.field('S2S'),
  S2R: STE.field('S2R'),
  S2HAFT: STE.field('S2HAFT'),
  S2SL0_2: STE.field('S2SL0_2'),
  S2DS: STE.field('S2DS'),
};

const S1DSS_NAMES: readonly S1Dss[] = ['terminate', 'bypass', 'substream0', 'reserved'];
const KINDS: Readonly<Record<number, SteKind>> = { 4: 'bypass', 5: 's1', 6: 's2', 7: 'nested' };

function illegal(reason: SteIllegalReason, detail = ''): SteIllegal {
  return { illegal: true, reason, message: detail ? `${STE_ILLEGAL_REASONS[reason]}: ${detail}` : STE_ILLEGAL_REASONS[reason] };
}

/** Effective CD table format [SPEC 5.2 S1Fmt]. */
function cdTableFormat(substreams: boolean, s1fmt: number): CdTableFormat {
  if (!substreams) return 'single';
  return s1fmt === 1 ? '2-level-4k' : s1fmt === 2 ? '2-level-64k' : 'linear';
}

function attributes(w: ArrayLike<number>): SteAttributes {
  return {
    mergeEvents: F.MEV.get(w) === 1,
    cont: F.CONT.get(w),
    dre: F.DRE.get(w) === 1,
    dcp: F.DCP.get(w) === 1,
    ppar: F.PPAR.get(w) === 1,
    mtcfg: F.MTCFG.get(w) === 1,
    memAttr: F.MemAttr.get(w),
    allocCfg: F.ALLOCCFG.get(w),
    shCfg: F.SHCFG.get(w),
    nsCfg: F.NSCFG.get(w),
    privCfg: F.PRIVCFG.get(w),
    instCfg: F.INSTCFG.get(w),
  };
}

/** Stage 2 checks for Config 0b11x, in SteIllegal() order; returns the decoded stage 2 or the failure. */
function checkStage2(w: ArrayLike<number>, caps: SmmuCapabilities): SteStage2 | SteIllegal {
  const aa64 = F.S2AA64.get(w) === 1;
  const s2s = F.S2S.get(w) === 1;
  if (s2s && caps.stallModel === 1) return illegal('S2S_STALL_UNSUPPORTED');
  if (!s2s && caps.stallModel === 2) return illegal('S2S_STALL_FORCED');
  if (aa64 ? !caps.ttfAArch64 : !caps.ttfAArch32) return illegal('S2AA64_UNSUPPORTED', `S2AA64 = ${aa64 ? 1 : 0}`);
  const ha = F.S2HA.get(w) === 1;
  const hd = F.S2HD.get(w) === 1;
  if ((ha || hd) && (!aa64 || caps.httu === 0)) return illegal('S2HTTU_UNSUPPORTED', `S2HA = ${+ha}, S2HD = ${+hd}, HTTU = ${caps.httu}`);
  if (hd && caps.httu === 1) return illegal('S2HTTU_UNSUPPORTED', 'S2HD = 1 but HTTU supports the Access flag only');
  // S2HAFT is RES0 unless HTTU == 0b11.
  const haft = caps.httu === 3 && F.S2HAFT.get(w) === 1;
  if (haft && !ha) return illegal('S2HAFT_WITHOUT_S2HA');
  let granuleBits: GranuleBits = 12; // VMSAv8-32 LPAE: S2TG is RES0, effective 4KB
  if (aa64) {
    const g = granuleFromTg0(F.S2TG.get(w));
    if (g === undefined || !granuleSupported(caps, g)) return illegal('S2TG_UNSUPPORTED', `S2TG = ${F.S2TG.get(w)}`);
    granuleBits = g;
  }
  // S2DS and S2SL0_2 are RES0 without SMMU_IDR5.DS, and S2DS is RES0 with a 64KB granule or VMSAv8-32.
  const ds = aa64 && caps.ds && granuleBits !== 16 && F.S2DS.get(w) === 1;
  const ps = F.S2PS.get(w);
  const outputBits = aa64 ? Math.min(addressSizeBits(ps), caps.oasBits) : 40;
  const ttb = readAddressField(w, 196, 52, 4);
  const ttbLimit = aa64 && granuleBits !== 16 && !ds ? Math.min(outputBits, 48) : outputBits;
  if (ttb >= 2 ** ttbLimit) return illegal('S2TTB_RANGE', `S2TTB 0x${ttb.toString(16)} needs more than ${ttbLimit} bits`);
  const t0sz = F.S2T0SZ.get(w);
  const sl0 = F.S2SL0.get(w);
  const geo = checkStage2Geometry({
    t0sz,
    sl0,
    sl2: ds && granuleBits === 12 ? F.S2SL0_2.get(w) : 0,
    granuleBits,
    ds,
    aarch64: aa64,
    iasBits: caps.ias,
    paMaxBits: caps.oasBits,
  });
  if (!geo.ok) return illegal(geo.problem, geo.message);
  const bigEndian = F.S2ENDI.get(w) === 1;
  if (!tableEndiannessSupported(caps, bigEndian)) return illegal('S2ENDI_UNSUPPORTED', `S2ENDI = ${+bigEndian}, TTENDIAN = ${caps.ttEndian}`);
  const alignBits = outputBits === 52 ? Math.max(6, geo.geometry.tableAlignBits) : geo.geometry.tableAlignBits;
  return {
    format: aa64 ? 'aarch64' : 'aarch32',
    vmid: F.S2VMID.get(w),
    t0sz,
    inputBits: geo.geometry.inputBits,
    sl0,
    startLevel: geo.geometry.startLevel,
    concatenatedTables: geo.geometry.concatenatedTables,
    granuleBits,
    ps,
    outputBits,
    ttb,
    tableBase: alignDown(ttb, alignBits),
    ir0: F.S2IR0.get(w),
    or0: F.S2OR0.get(w),
    sh0: F.S2SH0.get(w),
    bigEndian,
    affd: F.S2AFFD.get(w) === 1,
    ptw: F.S2PTW.get(w) === 1,
    ha,
    hd,
    haft,
    stall: s2s,
    record: F.S2R.get(w) === 1,
    fwb: F.S2FWB.get(w) === 1,
    ds,
  };
}

/**
 * Checks an STE against the SMMU's capabilities and decodes it [SPEC 5.2.2].
 * Returns an {@link SteConfig} for a legal STE (including Config 0b0xx, which aborts silently and is never
 * ILLEGAL), or an {@link SteIllegal} naming the first failed rule (C_BAD_STE).
 * @param words The STE's 16 words (little-endian 32-bit, word 0 = bits 31:0).
 * @throws IommuError `ARGUMENT` when fewer than 16 words are given.
 */
export function checkSte(words: ArrayLike<number>, caps: SmmuCapabilities): SteCheck {
  if (words.length < STE_WORDS) throw new IommuError('ARGUMENT', `an STE has ${STE_WORDS} words, got ${words.length}`);
  const w = words;
  if (F.V.get(w) === 0) return illegal('V_ZERO');
  const config = F.Config.get(w);
  if ((config & 4) === 0) {
    return { illegal: false, kind: 'abort', config, streamWorld: undefined, vmid: undefined, eats: 0, attributes: undefined, s1: undefined, s2: undefined };
  }
  const kind = KINDS[config]!;
  const s1on = (config & 1) === 1;
  const s2on = (config & 2) === 2;
  if (s1on && !caps.s1p) return illegal('STAGE1_NOT_IMPLEMENTED');
  if (s2on && !caps.s2p) return illegal('STAGE2_NOT_IMPLEMENTED');
  // IgnoreSTESTRW(): STRW matters only for Config 0b101 with stage 1 and Hyp implemented.
  const strwUsed = caps.s1p && caps.hyp && config === 5;
  const strw = F.STRW.get(w);
  const s2sBit = getField(w, 185, 1) === 1;
  let eats = F.EATS.get(w);
  if (caps.ats && (config & 3) !== 0) {
    if (eats === 2 && (config !== 7 || s2sBit || caps.ns1ats)) return illegal('EATS_SPLIT_STAGE', `Config = ${config}, S2S = ${+s2sBit}, NS1ATS = ${+caps.ns1ats}`);
    if (eats === 1 && s2sBit && s2on) return illegal('EATS_FULL_WITH_STALL');
    if (eats === 3) eats = 0; // without SMMU_IDR3.DPT, 0b11 is reserved and behaves as 0b00
  } else {
    eats = 0;
  }
  if (strwUsed && (strw & 1) === 1) return illegal('STRW_RESERVED', `STRW = ${strw}`);

  let s1: SteStage1 | undefined;
  if (s1on) {
    const stallDisable = F.S1STALLD.get(w) === 1;
    if (stallDisable && caps.stallModel !== 0) return illegal('S1STALLD_NOT_CONFIGURABLE', `STALL_MODEL = ${caps.stallModel}`);
    const cdMax = F.S1CDMax.get(w);
    if (caps.ssidSize !== 0 && cdMax > caps.ssidSize) return illegal('S1CDMAX_RANGE', `S1CDMax ${cdMax} > SSIDSIZE ${caps.ssidSize}`);
    const substreams = caps.ssidSize !== 0 && cdMax !== 0;
    const s1fmt = F.S1Fmt.get(w);
    if (substreams && !caps.cd2l && (s1fmt === 1 || s1fmt === 2)) return illegal('S1FMT_TWO_LEVEL_UNSUPPORTED', `S1Fmt = ${s1fmt}`);
    const contextPtr = readAddressField(w, 6, 50, 6);
    const limit = s2on ? caps.ias : caps.oasBits;
    if (contextPtr >= 2 ** limit) return illegal('S1CONTEXTPTR_RANGE', `0x${contextPtr.toString(16)} needs more than ${limit} bits`);
    s1 = {
      contextPtr,
      contextPtrIsIpa: s2on,
      cdMax,
      substreams,
      cdTableFormat: cdTableFormat(substreams, s1fmt),
      s1dss: S1DSS_NAMES[F.S1DSS.get(w)]!,
      cir: F.S1CIR.get(w),
      cor: F.S1COR.get(w),
      csh: F.S1CSH.get(w),
      stallDisable,
      mpam: F.S1MPAM.get(w) === 1,
    };
  }

  let s2: SteStage2 | undefined;
  if (s2on) {
    const r = checkStage2(w, caps);
    if ('illegal' in r) return r;
    s2 = r;
  }

  // IgnoreSTES2VMID(): no stage 2, bypass, or a non-EL1 StreamWorld.
  const vmidIgnored = !caps.s2p || config === 4 || (strwUsed && strw !== 0);
  const vmidRaw = F.S2VMID.get(w);
  if (!vmidIgnored && !caps.vmid16 && vmidRaw > 0xff) return illegal('S2VMID_16BIT', `S2VMID = 0x${vmidRaw.toString(16)}`);

  const streamWorld: StreamWorld | undefined = config === 4 ? undefined : strwUsed && strw === 2 ? 'NS-EL2' : 'NS-EL1';
  return {
    illegal: false,
    kind,
    config,
    streamWorld,
    vmid: vmidIgnored ? undefined : vmidRaw,
    eats,
    attributes: attributes(w),
    s1,
    s2,
  };
}
