/**
 * Malformed input matrix, SMMUv3 configuration structures: every bit of every STE, CD, L1CD and L1STD of a
 * working configuration is flipped on its own, enumerated from the structures' layouts (fields and reserved
 * ranges, so a new field is flipped too), and the transaction is translated uncached. The outcome must equal
 * what the independent reference SMMU of support-reliability.ts derives from the same memory — the
 * architected fault with its StreamID, SSV/SubstreamID, S2, CLASS, IPA and FetchAddr, a silent abort, or a
 * translation — and restoring the bit must give back the original translation. Hand-worked known answers pin
 * the most important rows independently of the reference.
 *
 * RES0 policy [SPEC 5 introduction]: for non-specified (RES0) fields an implementation either treats the
 * structure as invalid or ignores the field. The model ignores them (checkSte/checkCd implement SteIllegal()
 * and CdIllegal() only), and so does the reference; fields that are RES0 because a feature is absent
 * (S1PIE, S2PIE, S2POE, DPT_VMATCH, S2DS, DS, PIE, …) are ignored the same way. The tests below assert that
 * setting any such bit leaves the translation unchanged.
 */
import { describe, expect, it } from 'vitest';
import { Access, type StructureSpec } from '@viommu/core';
import { CD, L1CD, L1STD, STE, STRTAB_BASE_CFG } from '../src/structures/index';
import { Cr0, SmmuReg, type SmmuTransaction } from '../src/model/index';
import {
  CD_IGNORED,
  CD_USED,
  DATA_IPA,
  FULL,
  MINIMAL,
  STAGE1_ONLY,
  STE_IGNORED,
  STE_USED,
  Sid,
  buildWorld,
  layoutBits,
  outcomeName,
  outcomeOf,
  probesOf,
  refOf,
  refTranslate,
  sameOutcome,
  toggleBit,
  variant,
  type Outcome,
  type Profile,
  type World,
} from './support-reliability';
import { Layout, s2SteFields, stage2Tables } from './model-fixture';

/** One flip whose model outcome differs from the reference (collected so one assertion shows them all). */
interface Mismatch {
  readonly structure: string;
  readonly sid: number;
  readonly bit: number;
  readonly owner: string;
  readonly probe: number;
  readonly model: Outcome;
  readonly reference: Outcome;
}

/** Per-structure statistics for the report: bits flipped, and outcomes by name. */
const stats: Record<string, { bits: number; outcomes: Record<string, number> }> = {};

/**
 * Flips every bit of the structure at `at` (layout `layout`) one at a time and translates `probes` after each
 * flip; returns the disagreements with the reference. After each field (and each reserved range) has been
 * flipped and restored, the probes must translate as before.
 */
function flipMatrix(w: World, layout: { readonly spec: StructureSpec }, at: number, sid: number, probes: readonly SmmuTransaction[]): Mismatch[] {
  const smmu = w.fx.smmu;
  const ref = refOf(w);
  const before = probes.map((p) => outcomeOf(smmu.translate(p, { uncached: true })));
  expect(before).toEqual(probes.map((p) => refTranslate(ref, p)));
  const out: Mismatch[] = [];
  const key = `${w.profile.name} ${layout.spec.name}`;
  const s = (stats[key] ??= { bits: 0, outcomes: {} });
  const bits = layoutBits(layout);
  for (const { bit, owner } of bits) {
    toggleBit(w.fx.mem, at, bit);
    s.bits++;
    probes.forEach((p, i) => {
      const model = outcomeOf(smmu.translate(p, { uncached: true }));
      const reference = refTranslate(ref, p);
      const name = outcomeName(model);
      s.outcomes[name] = (s.outcomes[name] ?? 0) + 1;
      if (!sameOutcome(model, reference)) out.push({ structure: layout.spec.name, sid, bit, owner, probe: i, model, reference });
    });
    toggleBit(w.fx.mem, at, bit);
    if (bits[bit + 1]?.owner !== owner) {
      probes.forEach((p, i) => {
        const again = outcomeOf(smmu.translate(p, { uncached: true }));
        if (!sameOutcome(again, before[i]!)) out.push({ structure: `${layout.spec.name} (restored)`, sid, bit, owner, probe: i, model: again, reference: before[i]! });
      });
    }
  }
  return out;
}

/** The model's outcome with bit `bit` of the structure at `at` flipped (restored afterwards). */
function flipped(w: World, at: number, bit: number, probe: SmmuTransaction): Outcome {
  toggleBit(w.fx.mem, at, bit);
  try {
    return outcomeOf(w.fx.smmu.translate(probe, { uncached: true }));
  } finally {
    toggleBit(w.fx.mem, at, bit);
  }
}

/** The structure bit holding address bit `a` of a pointer field (`lo` = field's first bit, `shift` = its first address bit). */
function addressBit(layout: { readonly spec: StructureSpec }, field: string, a: number): number {
  const f = layout.spec.fields.find((x) => x.name === field)!;
  return f.lo + a - (f.shift ?? 0);
}

/** Bit number of a one-bit (or the `i`-th bit of a) field. */
function fieldBit(layout: { readonly spec: StructureSpec }, field: string, i = 0): number {
  return layout.spec.fields.find((x) => x.name === field)!.lo + i;
}

const PROFILES: readonly Profile[] = [FULL, MINIMAL];

/** STE matrix streams per profile (the AFFD/HA variants differ only in their CD / S2 flags: see the descriptor tests). */
function steStreams(p: Profile): number[] {
  if (!p.caps.s2p) return [Sid.S1, Sid.BYPASS];
  return p === FULL ? [Sid.S1, Sid.NESTED, Sid.NESTED_SS, Sid.S2, Sid.BYPASS] : [Sid.S1, Sid.NESTED_SS, Sid.S2, Sid.BYPASS];
}

/** Probes of the matrix: the stream's probes without the block one (blocks are the descriptor tests' business). */
function matrixProbes(sid: number): SmmuTransaction[] {
  const all = probesOf(sid);
  return sid === Sid.S1 || sid === Sid.NESTED ? all.slice(0, 2) : all;
}

describe('field classification', () => {
  it('every STE and CD field is read by the reference or ignored for a stated reason', () => {
    const check = (layout: { readonly spec: StructureSpec }, used: readonly string[], ignored: Readonly<Record<string, string>>) => {
      const names = layout.spec.fields.map((f) => f.name).sort();
      expect([...used, ...Object.keys(ignored)].sort()).toEqual(names);
    };
    check(STE, STE_USED, STE_IGNORED);
    check(CD, CD_USED, CD_IGNORED);
  });
});

describe.each([...PROFILES, STAGE1_ONLY])('STE: every bit of a working STE (%s)', (p) => {
  it('gives the reference outcome, and translates again once restored', () => {
    const w = buildWorld(p);
    const mismatches = steStreams(p).flatMap((sid) => flipMatrix(w, STE, w.ste.get(sid)!, sid, matrixProbes(sid)));
    expect(mismatches).toEqual([]);
  });
});

describe('STE known answers (hand-worked from SteIllegal() [SPEC 5.2.2])', () => {
  const badSte = (sid: number) => ({ ok: false, event: 'C_BAD_STE', fields: { StreamID: sid, SSV: 0, SubstreamID: 0 } });
  const probe0 = (sid: number) => probesOf(sid)[0]!;

  it('stage 1 stream, FULL: V, Config, EATS, STRW, S1STALLD, S1ContextPtr, S1CDMax', () => {
    const w = buildWorld(FULL);
    const at = w.ste.get(Sid.S1)!;
    const pr = probe0(Sid.S1);
    const base = outcomeOf(w.fx.smmu.translate(pr, { uncached: true }));
    expect(base).toMatchObject({ ok: true });
    expect(flipped(w, at, fieldBit(STE, 'V'), pr)).toEqual(badSte(Sid.S1));
    expect(flipped(w, at, fieldBit(STE, 'Config', 0), pr)).toEqual({ ok: true, output: 0x123, ipa: 0x123 }); // 0b100 bypass
    expect(flipped(w, at, fieldBit(STE, 'Config', 1), pr)).toEqual(badSte(Sid.S1)); // 0b111 with S2AA64 = 0
    expect(flipped(w, at, fieldBit(STE, 'Config', 2), pr)).toEqual({ ok: false, silent: 'STE_ABORT' }); // 0b001
    expect(flipped(w, at, fieldBit(STE, 'EATS', 1), pr)).toEqual(badSte(Sid.S1)); // split-stage ATS needs Config 0b111
    expect(flipped(w, at, fieldBit(STE, 'EATS', 0), pr)).toEqual(base);
    expect(flipped(w, at, fieldBit(STE, 'STRW', 0), pr)).toEqual(badSte(Sid.S1)); // STRW 0b01 with Hyp
    expect(flipped(w, at, fieldBit(STE, 'STRW', 1), pr)).toEqual(base); // NS-EL2, TTB0 still translates
    expect(flipped(w, at, fieldBit(STE, 'S1STALLD'), pr)).toMatchObject({ event: 'C_BAD_CD' }); // the CD has S = 1
    expect(flipped(w, at, fieldBit(STE, 'S1CDMax', 0), pr)).toEqual({ ok: false, event: 'F_STREAM_DISABLED', fields: { StreamID: Sid.S1 } });
    const cd = w.cd.get(Sid.S1)![0]!;
    expect(flipped(w, at, addressBit(STE, 'S1ContextPtr', 48), pr)).toEqual(badSte(Sid.S1)); // beyond the OAS
    expect(flipped(w, at, addressBit(STE, 'S1ContextPtr', 30), pr)).toMatchObject({ event: 'F_CD_FETCH', fields: { FetchAddr: BigInt(cd + 2 ** 30) } });
    expect(flipped(w, at, addressBit(STE, 'S1ContextPtr', 12), pr)).toMatchObject({ event: 'C_BAD_CD' }); // an empty slot
    for (const [hi, lo] of STE.spec.reserved!) for (let b = lo; b <= hi; b++) expect(flipped(w, at, b, pr)).toEqual(base);
  });

  it('nested stream, FULL: stage 2 rules, S2TTB, Config', () => {
    const w = buildWorld(FULL);
    const at = w.ste.get(Sid.NESTED)!;
    const pr = probe0(Sid.NESTED);
    const base = outcomeOf(w.fx.smmu.translate(pr, { uncached: true }));
    expect(base).toMatchObject({ ok: true, ipa: DATA_IPA + 0x123 });
    for (const f of ['S2AA64', 'S2ENDI', 'S2HD']) expect(flipped(w, at, fieldBit(STE, f), pr), f).toEqual(badSte(Sid.NESTED));
    for (const [f, i] of [['S2TG', 0], ['S2TG', 1], ['S2SL0', 0], ['S2SL0', 1], ['EATS', 0], ['EATS', 1]] as const) {
      expect(flipped(w, at, fieldBit(STE, f, i), pr), `${f}[${i}]`).toEqual(badSte(Sid.NESTED));
    }
    // S2T0SZ 24 from level 0: 25 needs level 1 (inconsistent), 16 is a legal 48-bit IPA space.
    expect(flipped(w, at, fieldBit(STE, 'S2T0SZ', 0), pr)).toEqual(badSte(Sid.NESTED));
    expect(flipped(w, at, fieldBit(STE, 'S2T0SZ', 3), pr)).toEqual(base);
    for (const f of ['S2HA', 'S2S', 'S2AFFD', 'S2R', 'S2PTW', 'S2FWB']) expect(flipped(w, at, fieldBit(STE, f), pr), f).toEqual(base);
    expect(flipped(w, at, addressBit(STE, 'S2TTB', 40), pr)).toEqual(badSte(Sid.NESTED)); // beyond S2PS (40 bits)
    const cdIpa = w.cd.get(Sid.NESTED)![0]!;
    expect(flipped(w, at, addressBit(STE, 'S2TTB', 12), pr)).toMatchObject({ event: 'F_TRANSLATION', fields: { S2: 1, CLASS: 0, IPA: cdIpa } });
    expect(flipped(w, at, addressBit(STE, 'S2TTB', 30), pr)).toMatchObject({ event: 'F_WALK_EABT', fields: { S2: 1, CLASS: 0, FetchAddr: BigInt(w.s2.root + 2 ** 30) } });
    expect(flipped(w, at, fieldBit(STE, 'Config', 0), pr)).toMatchObject({ event: 'F_TRANSLATION', fields: { S2: 1, CLASS: 2, IPA: 0 } }); // 0b110: the VA is an IPA
    expect(flipped(w, at, fieldBit(STE, 'Config', 1), pr)).toEqual({ ok: true, output: DATA_IPA + 0x123, ipa: DATA_IPA + 0x123 }); // 0b101: IPAs read as PAs
  });

  it('substream stream: S1DSS, S1Fmt, S1CDMax (FULL) and the capability rules (MINIMAL)', () => {
    const full = buildWorld(FULL);
    const at = full.ste.get(Sid.NESTED_SS)!;
    const pr = probe0(Sid.NESTED_SS); // no SubstreamID: S1DSS = Substream0 uses CD 0
    const disabled = { ok: false, event: 'F_STREAM_DISABLED', fields: { StreamID: Sid.NESTED_SS } };
    expect(flipped(full, at, fieldBit(STE, 'S1DSS', 0), pr)).toEqual(disabled); // 0b11 reserved = terminate
    expect(flipped(full, at, fieldBit(STE, 'S1DSS', 1), pr)).toEqual(disabled); // 0b00 terminate
    expect(flipped(full, at, fieldBit(STE, 'S1Fmt', 0), pr)).toMatchObject({ event: 'C_BAD_CD' }); // linear: the L1CD table read as a CD
    expect(flipped(full, at, fieldBit(STE, 'S1CDMax', 3), pr)).toMatchObject({ event: 'C_BAD_CD' }); // 8 → 0: a single CD, the L1CD table
    expect(flipped(full, at, fieldBit(STE, 'S1CDMax', 4), pr)).toEqual(badSte(Sid.NESTED_SS)); // 24 > SSIDSIZE 20

    const min = buildWorld(MINIMAL);
    const mat = min.ste.get(Sid.NESTED_SS)!;
    for (const [f, i] of [['S2S', 0], ['S2HA', 0], ['S1STALLD', 0], ['S2VMID', 8], ['S2VMID', 15], ['S1Fmt', 0], ['S1Fmt', 1], ['S1CDMax', 3]] as const) {
      expect(flipped(min, mat, fieldBit(STE, f, i), pr), `${f}[${i}]`).toEqual(badSte(Sid.NESTED_SS));
    }
    const base = outcomeOf(min.fx.smmu.translate(pr, { uncached: true }));
    for (const f of ['EATS', 'STRW']) expect(flipped(min, mat, fieldBit(STE, f), pr), f).toEqual(base); // no ATS, Config 0b111
  });

  it('stage-1-only SMMU: Config 0b11x is ILLEGAL and S2VMID is ignored', () => {
    const w = buildWorld(STAGE1_ONLY);
    const at = w.ste.get(Sid.S1)!;
    const pr = probe0(Sid.S1);
    const base = outcomeOf(w.fx.smmu.translate(pr, { uncached: true }));
    expect(flipped(w, at, fieldBit(STE, 'Config', 1), pr)).toEqual(badSte(Sid.S1));
    for (let i = 0; i < 16; i++) expect(flipped(w, at, fieldBit(STE, 'S2VMID', i), pr)).toEqual(base);
  });
});

/** The CD matrix: each CD with the probes that reach it. */
function cdCases(w: World): [number, number, SmmuTransaction[]][] {
  const out: [number, number, SmmuTransaction[]][] = [[Sid.S1, w.cd.get(Sid.S1)![0]!, matrixProbes(Sid.S1)]];
  if (w.profile.caps.s2p) {
    out.push([Sid.NESTED, w.cd.get(Sid.NESTED)![0]!, matrixProbes(Sid.NESTED)]);
    const [cd0, cd5] = w.cd.get(Sid.NESTED_SS)!;
    const [noSsid, ssid5] = probesOf(Sid.NESTED_SS);
    out.push([Sid.NESTED_SS, cd0!, [noSsid!]], [Sid.NESTED_SS, cd5!, [ssid5!]]);
  }
  return out;
}

describe.each(PROFILES)('CD: every bit of a working CD (%s)', (p) => {
  it('gives the reference outcome, and translates again once restored', () => {
    const w = buildWorld(p);
    const mismatches = cdCases(w).flatMap(([sid, at, probes]) => flipMatrix(w, CD, at, sid, probes));
    expect(mismatches).toEqual([]);
  });
});

describe('CD known answers (hand-worked from CdIllegal() [SPEC 5.4.2])', () => {
  const badCd = (sid: number, ssid?: number) => ({ ok: false, event: 'C_BAD_CD', fields: { StreamID: sid, SSV: ssid === undefined ? 0 : 1, SubstreamID: ssid ?? 0 } });

  it('FULL, stage 1: V, TG0, TG1, ENDI, AA64, HD, TxSZ, TTBx range give C_BAD_CD; EPDx, PAN, E0PD fault the walk; A, S, HA are legal', () => {
    const w = buildWorld(FULL);
    const at = w.cd.get(Sid.S1)![0]!;
    const [priv0, user1] = probesOf(Sid.S1) as [SmmuTransaction, SmmuTransaction];
    const base0 = outcomeOf(w.fx.smmu.translate(priv0, { uncached: true }));
    const base1 = outcomeOf(w.fx.smmu.translate(user1, { uncached: true }));
    expect(base0).toMatchObject({ ok: true });
    expect(base1).toMatchObject({ ok: true });
    for (const [f, i] of [['V', 0], ['TG0', 0], ['TG0', 1], ['TG1', 0], ['TG1', 1], ['ENDI', 0], ['AA64', 0], ['HD', 0], ['T0SZ', 4], ['T0SZ', 5], ['T1SZ', 4]] as const) {
      expect(flipped(w, at, fieldBit(CD, f, i), priv0), `${f}[${i}]`).toEqual(badCd(Sid.S1));
    }
    expect(flipped(w, at, addressBit(CD, 'TTB0', 40), priv0)).toEqual(badCd(Sid.S1)); // beyond IPS (40 bits)
    expect(flipped(w, at, addressBit(CD, 'TTB1', 47), user1)).toEqual(badCd(Sid.S1));
    const tIn = { event: 'F_TRANSLATION', fields: { S2: 0, CLASS: 2 } };
    expect(flipped(w, at, fieldBit(CD, 'EPD0'), priv0)).toMatchObject(tIn);
    expect(flipped(w, at, fieldBit(CD, 'EPD1'), user1)).toMatchObject(tIn);
    expect(flipped(w, at, fieldBit(CD, 'E0PD1'), user1)).toMatchObject(tIn); // unprivileged through TTB1
    expect(flipped(w, at, fieldBit(CD, 'E0PD0'), priv0)).toEqual(base0); // privileged
    expect(flipped(w, at, fieldBit(CD, 'PAN'), priv0)).toMatchObject({ event: 'F_PERMISSION', fields: { S2: 0, CLASS: 2 } });
    expect(flipped(w, at, fieldBit(CD, 'T0SZ', 3), priv0)).toEqual(base0); // 24: still a level-0 walk
    expect(flipped(w, at, addressBit(CD, 'TTB0', 12), priv0)).toMatchObject(tIn); // an empty slot
    expect(flipped(w, at, addressBit(CD, 'TTB0', 30), priv0)).toMatchObject({ event: 'F_WALK_EABT', fields: { S2: 0, CLASS: 1 } });
    for (const f of ['A', 'S', 'HA', 'AFFD', 'R', 'ASET', 'WXN']) expect(flipped(w, at, fieldBit(CD, f), priv0), f).toEqual(base0);
    for (let i = 8; i < 16; i++) expect(flipped(w, at, fieldBit(CD, 'ASID', i), priv0)).toEqual(base0); // ASID16
    for (const [hi, lo] of CD.spec.reserved!) for (let b = lo; b <= hi; b++) expect(flipped(w, at, b, priv0)).toEqual(base0);
  });

  it('MINIMAL: A = 0 (TERM_MODEL), S = 1 (terminate model), HA (no HTTU), ASID[15:8] (no ASID16)', () => {
    const w = buildWorld(MINIMAL);
    const at = w.cd.get(Sid.S1)![0]!;
    const pr = probesOf(Sid.S1)[0]!;
    for (const [f, i] of [['A', 0], ['S', 0], ['HA', 0], ['ASID', 8], ['ASID', 15]] as const) {
      expect(flipped(w, at, fieldBit(CD, f, i), pr), `${f}[${i}]`).toEqual(badCd(Sid.S1));
    }
  });

  it('nested: a TTB0 IPA outside stage 2 is a stage-2 F_TRANSLATION with CLASS = TT and the descriptor IPA', () => {
    const w = buildWorld(FULL);
    const at = w.cd.get(Sid.NESTED)![0]!;
    const ttb = w.s1Ipa.root ^ 2 ** 20;
    expect(flipped(w, at, addressBit(CD, 'TTB0', 20), probesOf(Sid.NESTED)[0]!)).toMatchObject({ event: 'F_TRANSLATION', fields: { S2: 1, CLASS: 1, IPA: ttb } });
    const ss = w.cd.get(Sid.NESTED_SS)![1]!;
    expect(flipped(w, ss, fieldBit(CD, 'V'), probesOf(Sid.NESTED_SS)[1]!)).toEqual(badCd(Sid.NESTED_SS, 5));
  });
});

describe('L1CD: every bit (FULL, 2-level CD table with 4 KB leaf tables)', () => {
  it('gives the reference outcome; V == 0 and an L2Ptr beyond the IAS are C_BAD_SUBSTREAMID, reserved bits are ignored', () => {
    const w = buildWorld(FULL);
    const at = w.l1cd!;
    const probes = probesOf(Sid.NESTED_SS);
    expect(flipMatrix(w, L1CD, at, Sid.NESTED_SS, probes)).toEqual([]);
    const [noSsid, ssid5] = probes as [SmmuTransaction, SmmuTransaction];
    const base = outcomeOf(w.fx.smmu.translate(ssid5, { uncached: true }));
    // Substream0 traffic reports CD index 0 as its SubstreamID.
    expect(flipped(w, at, 0, noSsid)).toEqual({ ok: false, event: 'C_BAD_SUBSTREAMID', fields: { StreamID: Sid.NESTED_SS, SubstreamID: 0 } });
    expect(flipped(w, at, 0, ssid5)).toEqual({ ok: false, event: 'C_BAD_SUBSTREAMID', fields: { StreamID: Sid.NESTED_SS, SubstreamID: 5 } });
    expect(flipped(w, at, addressBit(L1CD, 'L2Ptr', 48), ssid5)).toMatchObject({ event: 'C_BAD_SUBSTREAMID' });
    expect(flipped(w, at, addressBit(L1CD, 'L2Ptr', 12), ssid5)).toMatchObject({ event: 'C_BAD_CD' });
    const l2 = w.cd.get(Sid.NESTED_SS)![0]!;
    expect(flipped(w, at, addressBit(L1CD, 'L2Ptr', 20), ssid5)).toMatchObject({ event: 'F_TRANSLATION', fields: { S2: 1, CLASS: 0, IPA: (l2 ^ 2 ** 20) } });
    for (const [hi, lo] of L1CD.spec.reserved!) for (let b = lo; b <= hi; b++) expect(flipped(w, at, b, ssid5)).toEqual(base);
  });
});

describe('L1STD: every bit (2-level Stream table, SPLIT 6)', () => {
  it.each([3, 4])('from Span %i: the Span rules give C_BAD_STREAMID, L2Ptr flips land on empty or absent STEs, reserved bits are ignored', (span) => {
    const w = buildWorld(FULL, { split: 6 });
    const l1 = Layout.STRTAB;
    const words = new Uint32Array([w.fx.mem.read32(l1), w.fx.mem.read32(l1 + 4)]);
    L1STD.set(words, 'Span', span);
    w.fx.writeStruct(l1, words);
    const probes = [Sid.S1, Sid.NESTED, Sid.NESTED_SS].map((sid) => probesOf(sid)[0]!);
    expect(flipMatrix(w, L1STD, l1, 0, probes)).toEqual([]);
    const bad = (sid: number) => ({ ok: false, event: 'C_BAD_STREAMID', fields: { StreamID: sid, SSV: 0, SubstreamID: 0 } });
    const [p1, , p3] = probes as [SmmuTransaction, SmmuTransaction, SmmuTransaction];
    if (span === 3) {
      expect(flipped(w, l1, 0, p3)).toEqual(bad(Sid.NESTED_SS)); // Span 2: 2 STEs, SID 3 is beyond
      expect(flipped(w, l1, 3, p1)).toEqual(bad(Sid.S1)); // Span 11 > SPLIT + 1
      expect(flipped(w, l1, 4, p1)).toEqual(bad(Sid.S1)); // Span 19: reserved
      expect(flipped(w, l1, 2, p3)).toMatchObject({ ok: true }); // Span 7: 64 STEs
    } else {
      expect(flipped(w, l1, 2, p1)).toEqual(bad(Sid.S1)); // Span 0: invalid
      expect(flipped(w, l1, 3, p1)).toEqual(bad(Sid.S1)); // Span 12: reserved
    }
    const l2 = Number(L1STD.getBig(words, 'L2Ptr'));
    expect(flipped(w, l1, addressBit(L1STD, 'L2Ptr', 30), p1)).toMatchObject({ event: 'F_STE_FETCH', fields: { FetchAddr: BigInt(l2 + 2 ** 30 + 64) } });
    expect(flipped(w, l1, addressBit(L1STD, 'L2Ptr', 16), p1)).toMatchObject({ event: 'C_BAD_STE' });
    const base = outcomeOf(w.fx.smmu.translate(p1, { uncached: true }));
    for (const [hi, lo] of L1STD.spec.reserved!) for (let b = lo; b <= hi; b++) expect(flipped(w, l1, b, p1)).toEqual(base);
  });
});

describe('SMMU_STRTAB_BASE_CFG: reserved SPLIT and FMT values [SPEC 6.3.25]', () => {
  /**
   * One memory holding, for StreamID 0x555, a linear-table STE and the L1STD/L2 STE of each 2-level split
   * (6, 8, 10): each is a stage-2 STE mapping the probe IPA to its own PA, so the output names the table
   * interpretation the SMMU used.
   */
  function setup(p: Profile = FULL) {
    const w = buildWorld(p);
    const fx = w.fx;
    const sid = 0x555;
    const ipa = 0x7000_0000;
    const base = Layout.STRTAB;
    const stes: Record<string, number> = {};
    const place = (name: string, steAt: number, pa: number) => {
      const s2 = stage2Tables(fx.mem, fx.pool);
      s2.map(ipa, pa, 0x1000, { read: true, write: true });
      fx.writeStruct(steAt, STE.encode({ V: 1, Config: 6, ...s2SteFields(s2.root, 1) }));
      stes[name] = pa;
    };
    place('linear', base + sid * 64, 0x3800_0000);
    for (const split of [6, 8, 10]) {
      const bytes = 64 * 2 ** split;
      const l2 = fx.structAlloc(bytes, bytes);
      fx.writeStruct(base + Math.floor(sid / 2 ** split) * 8, L1STD.encode({ Span: split + 1, L2Ptr: BigInt(l2) }));
      place(`split${split}`, l2 + (sid % 2 ** split) * 64, 0x3800_0000 + split * 0x1000);
    }
    const program = (cfg: number) => {
      fx.smmu.writeRegister(SmmuReg.CR0, 0);
      fx.smmu.writeRegister(SmmuReg.STRTAB_BASE_CFG, cfg);
      fx.smmu.writeRegister(SmmuReg.CR0, Cr0.SMMUEN | Cr0.CMDQEN | Cr0.EVENTQEN);
    };
    const probe: SmmuTransaction = { streamId: sid, address: ipa + 0x42, access: Access.READ };
    return { fx, stes, program, probe };
  }

  it('every SPLIT × FMT encoding: FMT 1 is 2-level with SPLIT 6, 8 or 10 (others behave as 6); FMT 0, 2, 3 are linear', () => {
    const { fx, stes, program, probe } = setup();
    const splitField = STRTAB_BASE_CFG.spec.fields.find((f) => f.name === 'SPLIT')!;
    const fmtField = STRTAB_BASE_CFG.spec.fields.find((f) => f.name === 'FMT')!;
    const seen = new Set<string>();
    for (let split = 0; split < 2 ** (splitField.hi - splitField.lo + 1); split++) {
      for (let fmt = 0; fmt < 2 ** (fmtField.hi - fmtField.lo + 1); fmt++) {
        program(STRTAB_BASE_CFG.encode({ LOG2SIZE: 12, SPLIT: split, FMT: fmt })[0]!);
        const expected = fmt !== 1 ? 'linear' : `split${split === 8 || split === 10 ? split : 6}`;
        const r = fx.smmu.translate(probe, { uncached: true });
        expect(r, `SPLIT ${split} FMT ${fmt}`).toMatchObject({ ok: true, output: stes[expected]! + 0x42 });
        seen.add(expected);
      }
    }
    expect(seen.size).toBe(4);
  });

  it('FMT is RES0 without 2-level support (IDR0.ST_LEVEL = 0): FMT 1 is linear', () => {
    const { fx, stes, program, probe } = setup(variant('linear-only', FULL, { stLevel: 0 }));
    program(STRTAB_BASE_CFG.encode({ LOG2SIZE: 12, SPLIT: 8, FMT: 1 })[0]!);
    expect(fx.smmu.translate(probe, { uncached: true })).toMatchObject({ ok: true, output: stes['linear']! + 0x42 });
  });

  it('each reserved bit is ignored; LOG2SIZE bounds the StreamIDs and aligns the base', () => {
    const { fx, stes, program, probe } = setup();
    const good = STRTAB_BASE_CFG.encode({ LOG2SIZE: 12, SPLIT: 8, FMT: 1 })[0]!;
    for (const [hi, lo] of STRTAB_BASE_CFG.spec.reserved!) {
      for (let b = lo; b <= hi; b++) {
        program((good | (1 << b)) >>> 0);
        expect(fx.smmu.translate(probe, { uncached: true }), `bit ${b}`).toMatchObject({ ok: true, output: stes['split8']! + 0x42 });
      }
    }
    const lo2 = STRTAB_BASE_CFG.spec.fields.find((f) => f.name === 'LOG2SIZE')!;
    const results: string[] = [];
    for (let i = 0; i <= lo2.hi - lo2.lo; i++) {
      program((good ^ (1 << (lo2.lo + i))) >>> 0);
      results.push(outcomeName(outcomeOf(fx.smmu.translate(probe, { uncached: true }))));
    }
    // 13, 14: still covers 0x555; 8, 4: 0x555 out of range; 28, 44: capped at SIDSIZE 16 but the base is
    // aligned to the literal size (ADDR[LOG2SIZE−SPLIT+2:0] = 0), moving the L1 table to address 0 (zero: Span 0).
    expect(results).toEqual(['ok', 'ok', 'C_BAD_STREAMID', 'C_BAD_STREAMID', 'C_BAD_STREAMID', 'C_BAD_STREAMID']);
  });
});

describe('report', () => {
  it('bits exercised per structure and outcome counts', () => {
    // Runs last in this file: a summary for the reviewer, with a sanity floor on each matrix.
    for (const [k, v] of Object.entries(stats)) {
      expect(v.bits, k).toBeGreaterThan(0);
      console.info(`${k}: ${v.bits} bit flips`, JSON.stringify(v.outcomes));
    }
  });
});
