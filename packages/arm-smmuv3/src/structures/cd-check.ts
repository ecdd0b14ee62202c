/**
 * Validity of a CD [SPEC 5.4.2 CdIllegal()] and its decoding into a typed {@link CdConfig}. The legality of
 * a CD depends on the STE that located it (S1STALLD, StreamWorld, a VMSAv8-32 LPAE stage 2) and on
 * SMMU_CR2.E2H for NS-EL2 streams.
 *
 * Model scope: SMMUv3.1 or later (an out-of-range TxSZ is always ILLEGAL), SMMU_IDR3.STT == 0 (TxSZ ≤ 39),
 * no VMSAv9-128 and no permission indirection. EPDx == 1 disables every check of that half
 * [SPEC 5.4.1.1]. With StreamWorld NS-EL2 (E2H == 0) EPDx are IGNORED (effective 0) and TTB1 is
 * unreachable, so only the TTB0 half is checked.
 * @packageDocumentation
 */
import { alignDown, IommuError } from '@viommu/core';
import { addressSizeBits } from './address-size';
import { readAddressField } from './address-field';
import { tableEndiannessSupported, type SmmuCapabilities } from './capabilities';
import { CD, CD_WORDS } from './cd';
import { CD_ILLEGAL_REASONS, type CdCheck, type CdIllegal, type CdIllegalReason, type CdTranslationTable } from './cd-config';
import { granuleFromTg0, granuleFromTg1, granuleSupported, type GranuleBits } from './granule';
import { stage1Geometry } from './stage1-geometry';
import type { SteConfig } from './ste-config';

const F = {
  T0SZ: CD.field('T0SZ'),
  TG0: CD.field('TG0'),
  IR0: CD.field('IR0'),
  OR0: CD.field('OR0'),
  SH0: CD.field('SH0'),
  EPD0: CD.field('EPD0'),
  ENDI: CD.field('ENDI'),
  T1SZ: CD.field('T1SZ'),
  TG1: CD.field('TG1'),
  IR1: CD.field('IR1'),
  OR1: CD.field('OR1'),
  SH1: CD.field('SH1'),
  EPD1: CD.field('EPD1'),
  V: CD.field('V'),
  IPS: CD.field('IPS'),
  AFFD: CD.field('AFFD'),
  WXN: CD.field('WXN'),
  UWXN: CD.field('UWXN'),
  TBI0: CD.field('TBI0'),
  TBI1: CD.field('TBI1'),
  PAN: CD.field('PAN'),
  AA64: CD.field('AA64'),
  HD: CD.field('HD'),
  HA: CD.field('HA'),
  S: CD.field('S'),
  R: CD.field('R'),
  A: CD.field('A'),
  ASET: CD.field('ASET'),
  ASID: CD.field('ASID'),
  HAD0: CD.field('HAD0'),
  E0PD0: CD.field('E0PD0'),
  HAFT: CD.field('HAFT'),
  HAD1: CD.field('HAD1'),
  E0PD1: CD.field('E0PD1'),
  DS: CD.field('DS'),
  MAIR0: CD.field('MAIR0'),
  MAIR1: CD.field('MAIR1'),
  AMAIR0: CD.field('AMAIR0'),
  AMAIR1: CD.field('AMAIR1'),
  PARTID: CD.field('PARTID'),
  PMG: CD.field('PMG'),
};

/** Options of {@link checkCd}. */
export interface CdCheckOptions {
  /** SMMU_CR2.E2H: with STRW = EL2, selects the EL2-E2H StreamWorld (two halves, ASIDs). Default false. */
  readonly e2h?: boolean;
}

function illegal(reason: CdIllegalReason, detail = ''): CdIllegal {
  return { illegal: true, reason, message: detail ? `${CD_ILLEGAL_REASONS[reason]}: ${detail}` : CD_ILLEGAL_REASONS[reason] };
}

/** TxSZ range for VMSAv8-64 [SPEC 5.4 T0SZ, CDTxSZInvalid()]: max 39; min 12 with 52-bit VAs and (64KB or DS), else 16. */
export function stage1TxszRange(
  granuleBits: GranuleBits | undefined,
  ds: boolean,
  vax: number,
): {
  /** Smallest legal TxSZ (largest VA space): 12 with 52-bit VAs (SMMU_IDR5.VAX) and 64KB or DS, else 16. */
  readonly min: number;
  /** Largest legal TxSZ: always 39 (a 25-bit VA space). */
  readonly max: number;
} {
  const wide = vax !== 0 && (granuleBits === 16 || ds);
  return { min: wide ? 12 : 16, max: 39 };
}

/** Largest address a TTBx may hold [SPEC 5.4 TTB0, CDTTBxValidRange()]: the effective IPS, capped at 48 bits for 4KB/16KB without DS. */
function ttbLimitBits(aa64: boolean, granuleBits: GranuleBits | undefined, ds: boolean, outputBits: number): number {
  return aa64 && granuleBits !== 16 && !ds ? Math.min(outputBits, 48) : outputBits;
}

/**
 * Checks a CD in the context of the STE that located it and decodes it [SPEC 5.4.2].
 * Returns a {@link CdConfig} for a legal CD or a {@link CdIllegal} naming the first failed rule (C_BAD_CD).
 * @param words The CD's 16 words.
 * @param ste The legal STE that located the CD (kind `s1` or `nested`).
 * @throws IommuError `ARGUMENT` when fewer than 16 words are given or the STE does not enable stage 1.
 */
export function checkCd(
  words: ArrayLike<number>,
  ste: Pick<SteConfig, 'streamWorld' | 's1' | 's2'>,
  caps: SmmuCapabilities,
  options: CdCheckOptions = {},
): CdCheck {
  if (words.length < CD_WORDS) throw new IommuError('ARGUMENT', `a CD has ${CD_WORDS} words, got ${words.length}`);
  if (!ste.s1) throw new IommuError('ARGUMENT', 'checkCd needs an STE with stage 1 enabled (Config 0b1x1)');
  const w = words;
  if (F.V.get(w) === 0) return illegal('V_ZERO');
  const s = F.S.get(w) === 1;
  if (ste.s1.stallDisable && s) return illegal('STALL_DISABLED_BY_STE');
  if (caps.termModel === 1 && F.A.get(w) === 0) return illegal('ABORT_REQUIRED');
  if (caps.stallModel === 1 && s) return illegal('STALL_UNSUPPORTED');
  if (caps.stallModel === 2 && !s) return illegal('STALL_FORCED');

  const el2 = ste.streamWorld === 'NS-EL2' && !options.e2h;
  const el2e2h = ste.streamWorld === 'NS-EL2' && options.e2h === true;
  // EPDx are IGNORED (effective 0) for any-EL2; TTB1 is then unreachable.
  const enabled0 = el2 || F.EPD0.get(w) === 0;
  const enabled1 = !el2 && F.EPD1.get(w) === 0;
  const bigEndian = F.ENDI.get(w) === 1;
  if ((enabled0 || enabled1) && !tableEndiannessSupported(caps, bigEndian)) {
    return illegal('ENDI_UNSUPPORTED', `ENDI = ${+bigEndian}, TTENDIAN = ${caps.ttEndian}`);
  }
  const aa64 = F.AA64.get(w) === 1;
  if (!aa64 && (!caps.ttfAArch32 || el2e2h)) return illegal('AA32_UNSUPPORTED');
  if (aa64 && (!caps.ttfAArch64 || ste.s2?.format === 'aarch32')) return illegal('AA64_UNSUPPORTED');
  const ha = F.HA.get(w) === 1;
  const hd = F.HD.get(w) === 1;
  const haft = caps.httu === 3 && F.HAFT.get(w) === 1; // RES0 unless HTTU == 0b11
  if (aa64) {
    if ((ha || hd) && caps.httu === 0) return illegal('HTTU_UNSUPPORTED', `HA = ${+ha}, HD = ${+hd}, HTTU = 0`);
    if (hd && caps.httu === 1) return illegal('HTTU_UNSUPPORTED', 'HD = 1 but HTTU supports the Access flag only');
    if (haft && !ha) return illegal('HAFT_WITHOUT_HA');
  }
  const asid = F.ASID.get(w);
  if (!el2 && !caps.asid16 && asid > 0xff) return illegal('ASID_16BIT', `ASID = 0x${asid.toString(16)}`);

  const ds = aa64 && caps.ds && F.DS.get(w) === 1;
  const t0sz = F.T0SZ.get(w);
  const t1sz = F.T1SZ.get(w);
  const g0 = aa64 ? granuleFromTg0(F.TG0.get(w)) : 12;
  const g1 = aa64 ? granuleFromTg1(F.TG1.get(w)) : 12;
  if (aa64) {
    const r0 = stage1TxszRange(g0, ds, caps.vax);
    if (enabled0 && (t0sz < r0.min || t0sz > r0.max)) return illegal('T0SZ_RANGE', `T0SZ ${t0sz} outside ${r0.min}..${r0.max}`);
    const r1 = stage1TxszRange(g1, ds, caps.vax);
    if (enabled1 && (t1sz < r1.min || t1sz > r1.max)) return illegal('T1SZ_RANGE', `T1SZ ${t1sz} outside ${r1.min}..${r1.max}`);
  }
  const ips = F.IPS.get(w);
  const outputBits = aa64 ? Math.min(addressSizeBits(ips), caps.oasBits) : 40;
  const ttb0 = readAddressField(w, 68, 52, 4);
  const ttb1 = readAddressField(w, 132, 52, 4);
  if (enabled0) {
    if (aa64 && (g0 === undefined || !granuleSupported(caps, g0))) return illegal('TG0_UNSUPPORTED', `TG0 = ${F.TG0.get(w)}`);
    const limit = ttbLimitBits(aa64, g0, ds, outputBits);
    if (ttb0 >= 2 ** limit) return illegal('TTB0_RANGE', `TTB0 0x${ttb0.toString(16)} needs more than ${limit} bits`);
  }
  if (enabled1) {
    if (aa64 && (g1 === undefined || !granuleSupported(caps, g1))) return illegal('TG1_UNSUPPORTED', `TG1 = ${F.TG1.get(w)}`);
    const limit = ttbLimitBits(aa64, g1, ds, outputBits);
    if (ttb1 >= 2 ** limit) return illegal('TTB1_RANGE', `TTB1 0x${ttb1.toString(16)} needs more than ${limit} bits`);
  }

  const half = (
    enabled: boolean,
    txsz: number,
    granuleBits: GranuleBits | undefined,
    ttb: number,
    ir: number,
    or: number,
    sh: number,
    tbi: boolean,
    had: boolean,
    e0pd: boolean,
  ): CdTranslationTable => {
    const inputBits = aa64 ? 64 - txsz : 32 - (txsz & 7);
    const geo = enabled && granuleBits !== undefined ? stage1Geometry(inputBits, granuleBits) : undefined;
    const alignBits = geo ? Math.max(geo.tableAlignBits, outputBits === 52 ? 6 : 0) : 0;
    return { enabled, txsz, inputBits, granuleBits, startLevel: geo?.startLevel, ttb, tableBase: alignDown(ttb, alignBits), ir, or, sh, tbi, had, e0pd };
  };

  return {
    illegal: false,
    format: aa64 ? 'aarch64' : 'aarch32',
    ttb0: half(enabled0, t0sz, g0, ttb0, F.IR0.get(w), F.OR0.get(w), F.SH0.get(w), F.TBI0.get(w) === 1, F.HAD0.get(w) === 1, F.E0PD0.get(w) === 1),
    ttb1: half(enabled1, t1sz, g1, ttb1, F.IR1.get(w), F.OR1.get(w), F.SH1.get(w), F.TBI1.get(w) === 1, F.HAD1.get(w) === 1, F.E0PD1.get(w) === 1),
    ips,
    outputBits,
    asid: el2 ? undefined : asid,
    aset: F.ASET.get(w) === 1,
    affd: F.AFFD.get(w) === 1,
    wxn: F.WXN.get(w) === 1,
    uwxn: F.UWXN.get(w) === 1,
    pan: F.PAN.get(w) === 1,
    ha: aa64 && ha,
    hd: aa64 && hd,
    haft,
    stall: s,
    record: F.R.get(w) === 1,
    abort: F.A.get(w) === 1,
    bigEndian,
    ds,
    mair: { hi: F.MAIR1.get(w), lo: F.MAIR0.get(w) },
    amair: { hi: F.AMAIR1.get(w), lo: F.AMAIR0.get(w) },
    partid: F.PARTID.get(w),
    pmg: F.PMG.get(w),
  };
}
