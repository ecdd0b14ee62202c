import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wordsFromU64s } from '@viommu/core';
import {
  DEFAULT_SMMU_CAPABILITIES,
  STE,
  STE_ILLEGAL_REASONS,
  checkStage2Geometry,
  checkSte,
  stage2StartLevel,
  type SmmuCapabilities,
  type SteIllegalReason,
} from '../src/structures/index';

const caps = DEFAULT_SMMU_CAPABILITIES;
type SteFields = Parameters<typeof STE.encode>[0];

/** A legal nested STE: stage 1 with a 2-level 64KB CD table, stage 2 4KB granule, 48-bit IPA from level 0. */
const NESTED: SteFields = {
  V: 1,
  Config: 7,
  S1Fmt: 2,
  S1ContextPtr: 0x8000_0000n,
  S1CDMax: 10,
  S1DSS: 2,
  S1CIR: 1,
  S1COR: 1,
  S1CSH: 3,
  S2VMID: 5,
  S2T0SZ: 16,
  S2SL0: 2,
  S2IR0: 1,
  S2OR0: 1,
  S2SH0: 3,
  S2TG: 0,
  S2PS: 5,
  S2AA64: 1,
  S2R: 1,
  S2TTB: 0x9000_0000n,
};
const ste = (overrides: SteFields = {}, base: SteFields = NESTED) => STE.encode({ ...base, ...overrides });
const reasonOf = (words: Uint32Array, c: SmmuCapabilities = caps) => {
  const r = checkSte(words, c);
  return r.illegal ? r.reason : 'legal';
};

describe('STE layout', () => {
  it('decodes the known-answer STE 0x4306200b 0x2 as a valid stage-1 STE with S1DSS = substream0', () => {
    const words = wordsFromU64s([0x4306200bn, 0x2n], 512);
    const f = STE.decode(words);
    expect(f.V).toBe(1);
    expect(f.Config).toBe(5);
    expect(f.S1Fmt).toBe(0);
    expect(f.S1ContextPtr).toBe(0x4306_2000n);
    expect(f.S1CDMax).toBe(0);
    expect(f.S1DSS).toBe(2);
    const r = checkSte(words, caps);
    expect(r.illegal).toBe(false);
    if (r.illegal) return;
    expect(r.kind).toBe('s1');
    expect(r.streamWorld).toBe('NS-EL1');
    expect(r.vmid).toBe(0);
    expect(r.s2).toBeUndefined();
    expect(r.s1).toEqual({
      contextPtr: 0x4306_2000,
      contextPtrIsIpa: false,
      cdMax: 0,
      substreams: false,
      cdTableFormat: 'single',
      s1dss: 'substream0',
      cir: 0,
      cor: 0,
      csh: 0,
      stallDisable: false,
      mpam: false,
    });
  });

  it('puts every reference field at its exact bits', () => {
    const at = (name: string) => {
      const f = STE.spec.fields.find((x) => x.name === name)!;
      return [f.hi, f.lo];
    };
    expect(at('S1ContextPtr')).toEqual([55, 6]);
    expect(at('S1CDMax')).toEqual([63, 59]);
    expect(at('S1DSS')).toEqual([65, 64]);
    expect(at('CONT')).toEqual([80, 77]);
    expect(at('S1STALLD')).toEqual([91, 91]);
    expect(at('EATS')).toEqual([93, 92]);
    expect(at('STRW')).toEqual([95, 94]);
    expect(at('SHCFG')).toEqual([109, 108]);
    expect(at('S2VMID')).toEqual([143, 128]);
    expect(at('S2T0SZ')).toEqual([165, 160]);
    expect(at('S2TG')).toEqual([175, 174]);
    expect(at('S2PS')).toEqual([178, 176]);
    expect(at('S2HD')).toEqual([183, 183]);
    expect(at('S2HA')).toEqual([184, 184]);
    expect(at('S2S')).toEqual([185, 185]);
    expect(at('S2R')).toEqual([186, 186]);
    expect(at('S2TTB')).toEqual([247, 196]);
    // Fields and reserved ranges tile the whole 512 bits.
    const covered = new Set<number>();
    for (const f of STE.spec.fields) for (let b = f.lo; b <= f.hi; b++) covered.add(b);
    for (const [hi, lo] of STE.spec.reserved ?? []) for (let b = lo; b <= hi; b++) covered.add(b);
    expect(covered.size).toBe(512);
  });

  it('encode/decode round-trips any field values', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 16, maxLength: 16 }), (raw) => {
        // Clear reserved bits, then decode → encode must reproduce the words.
        const words = Uint32Array.from(raw);
        for (const [hi, lo] of STE.spec.reserved ?? []) for (let b = lo; b <= hi; b++) words[b >>> 5] = words[b >>> 5]! & ~(1 << (b & 31));
        expect(STE.encode(STE.decode(words))).toEqual(words);
      }),
      { numRuns: 200 },
    );
  });
});

describe('checkSte: legal configurations', () => {
  it('decodes a nested STE', () => {
    const r = checkSte(ste(), caps);
    expect(r.illegal).toBe(false);
    if (r.illegal) return;
    expect(r.kind).toBe('nested');
    expect(r.vmid).toBe(5);
    expect(r.s1).toMatchObject({ contextPtr: 0x8000_0000, contextPtrIsIpa: true, cdMax: 10, substreams: true, cdTableFormat: '2-level-64k', s1dss: 'substream0' });
    expect(r.s2).toMatchObject({
      format: 'aarch64',
      vmid: 5,
      inputBits: 48,
      startLevel: 0,
      concatenatedTables: 1,
      granuleBits: 12,
      outputBits: 48,
      ttb: 0x9000_0000,
      tableBase: 0x9000_0000,
      record: true,
      stall: false,
    });
  });

  it('concatenates stage 2 start tables: 4KB, 40-bit IPA from level 1 needs two tables (8KB aligned)', () => {
    const r = checkSte(ste({ S2T0SZ: 24, S2SL0: 1, S2TTB: 0x9000_1ff0n }), caps);
    if (r.illegal) throw new Error(r.message);
    expect(r.s2!.startLevel).toBe(1);
    expect(r.s2!.concatenatedTables).toBe(2);
    expect(r.s2!.tableBase).toBe(0x9000_0000);
  });

  it('Config 0b0xx is never ILLEGAL: it aborts silently whatever the other fields hold', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 3 }), (raw, config) => {
        const words = Uint32Array.from(raw);
        STE.set(words, 'V', 1);
        STE.set(words, 'Config', config);
        expect(checkSte(words, { ...caps, s1p: false, s2p: false })).toMatchObject({ illegal: false, kind: 'abort', config });
      }),
      { numRuns: 100 },
    );
  });

  it('never throws on arbitrary STE contents', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 16, maxLength: 16 }), (words) => {
        const r = checkSte(words, caps);
        if (r.illegal) expect(Object.keys(STE_ILLEGAL_REASONS)).toContain(r.reason);
        else expect(['abort', 'bypass', 's1', 's2', 'nested']).toContain(r.kind);
      }),
      { numRuns: 300 },
    );
  });

  it('bypass STEs ignore stage fields and S2VMID', () => {
    const r = checkSte(ste({ Config: 4, S2VMID: 0x1234, S2TG: 3, S1CDMax: 31 }), { ...caps, vmid16: false });
    expect(r).toMatchObject({ illegal: false, kind: 'bypass', vmid: undefined, s1: undefined, s2: undefined, streamWorld: undefined });
  });
});

describe('checkSte: every ILLEGAL rule [SPEC 5.2.2]', () => {
  const cases: [SteIllegalReason, Uint32Array, SmmuCapabilities?][] = [
    ['V_ZERO', ste({ V: 0 })],
    ['STAGE1_NOT_IMPLEMENTED', ste({ Config: 5 }), { ...caps, s1p: false }],
    ['STAGE2_NOT_IMPLEMENTED', ste({ Config: 6 }), { ...caps, s2p: false }],
    ['EATS_SPLIT_STAGE', ste({ Config: 5, EATS: 2 })],
    ['EATS_SPLIT_STAGE', ste({ EATS: 2, S2S: 1 })],
    ['EATS_SPLIT_STAGE', ste({ EATS: 2 }), { ...caps, ns1ats: true }],
    ['EATS_FULL_WITH_STALL', ste({ Config: 6, EATS: 1, S2S: 1 })],
    ['STRW_RESERVED', ste({ Config: 5, STRW: 1 })],
    ['STRW_RESERVED', ste({ Config: 5, STRW: 3 })],
    ['S1STALLD_NOT_CONFIGURABLE', ste({ S1STALLD: 1 }), { ...caps, stallModel: 1 }],
    ['S1CDMAX_RANGE', ste({ S1CDMax: 21 })],
    ['S1FMT_TWO_LEVEL_UNSUPPORTED', ste({ S1Fmt: 1 }), { ...caps, cd2l: false }],
    ['S1CONTEXTPTR_RANGE', ste({ Config: 5, S1ContextPtr: 1n << 48n })],
    ['S1CONTEXTPTR_RANGE', ste({ S1ContextPtr: 1n << 48n })],
    ['S2S_STALL_UNSUPPORTED', ste({ S2S: 1 }), { ...caps, stallModel: 1 }],
    ['S2S_STALL_FORCED', ste({ S2S: 0 }), { ...caps, stallModel: 2 }],
    ['S2AA64_UNSUPPORTED', ste({ S2AA64: 0 })],
    ['S2AA64_UNSUPPORTED', ste({ S2AA64: 1 }), { ...caps, ttfAArch32: true, ttfAArch64: false }],
    ['S2HTTU_UNSUPPORTED', ste({ S2HA: 1 }), { ...caps, httu: 0 }],
    ['S2HTTU_UNSUPPORTED', ste({ S2HA: 1, S2HD: 1 }), { ...caps, httu: 1 }],
    ['S2HTTU_UNSUPPORTED', ste({ S2AA64: 0, S2HA: 1, S2T0SZ: 8, S2SL0: 1 }), { ...caps, ttfAArch32: true }],
    ['S2HAFT_WITHOUT_S2HA', ste({ S2HAFT: 1 }), { ...caps, httu: 3 }],
    ['S2TG_UNSUPPORTED', ste({ S2TG: 3 })],
    ['S2TG_UNSUPPORTED', ste({ S2TG: 2, S2SL0: 2 }), { ...caps, gran16k: false }],
    ['S2TTB_RANGE', ste({ S2TTB: 1n << 48n })],
    ['S2TTB_RANGE', ste({ S2PS: 4, S2TTB: 1n << 44n })],
    ['S2TTB_RANGE', ste({ S2TTB: (1n << 52n) | 0x9000_0000n })],
    ['S2TTB_RANGE', ste({ S2PS: 6, S2TTB: 1n << 48n }), { ...caps, oas: 6, oasBits: 52, ias: 52 }],
    ['S2T0SZ_RANGE', ste({ S2T0SZ: 40 })],
    ['S2T0SZ_RANGE', ste({ S2T0SZ: 15 })],
    ['S2T0SZ_RANGE', ste({ S2T0SZ: 23, S2SL0: 1 }), { ...caps, oas: 2, oasBits: 40, ias: 40 }],
    ['S2SL0_INCONSISTENT', ste({ S2SL0: 0 })],
    ['S2SL0_INCONSISTENT', ste({ S2SL0: 3 })],
    ['S2SL0_INCONSISTENT', ste({ S2T0SZ: 20, S2SL0: 1 })],
    ['S2SL0_INCONSISTENT', ste({ S2TG: 1, S2SL0: 3 })],
    ['S2ENDI_UNSUPPORTED', ste({ S2ENDI: 1 })],
    ['S2ENDI_UNSUPPORTED', ste({ S2ENDI: 0 }), { ...caps, ttEndian: 3 }],
    ['S2VMID_16BIT', ste({ S2VMID: 0x100 }), { ...caps, vmid16: false }],
    ['S2VMID_16BIT', ste({ Config: 5, S2VMID: 0x100 }), { ...caps, vmid16: false }],
  ];
  for (const [reason, words, c] of cases) {
    it(`${reason}: ${STE_ILLEGAL_REASONS[reason]}`, () => {
      const r = checkSte(words, c ?? caps);
      expect(r).toMatchObject({ illegal: true, reason });
      if (r.illegal) expect(r.message.startsWith(STE_ILLEGAL_REASONS[reason])).toBe(true);
    });
  }

  it('the neighbouring legal cases of those rules', () => {
    // Full ATS with S2S is only ILLEGAL with stage 2 enabled (SMMUv3.1+).
    expect(reasonOf(ste({ Config: 5, EATS: 1, S2S: 1 }))).toBe('legal');
    // EATS is IGNORED without ATS, and 0b11 behaves as 0b00 without DPT.
    expect(reasonOf(ste({ Config: 5, EATS: 2 }), { ...caps, ats: false })).toBe('legal');
    expect(checkSte(ste({ EATS: 3 }), caps)).toMatchObject({ illegal: false, eats: 0 });
    expect(checkSte(ste({ EATS: 2 }), caps)).toMatchObject({ illegal: false, eats: 2 });
    // STRW is IGNORED with stage 2 enabled, and RES0 without Hyp.
    expect(reasonOf(ste({ STRW: 1 }))).toBe('legal');
    expect(reasonOf(ste({ Config: 5, STRW: 1 }), { ...caps, hyp: false })).toBe('legal');
    expect(checkSte(ste({ Config: 5, STRW: 2, S2VMID: 0x100 }), { ...caps, vmid16: false })).toMatchObject({
      illegal: false,
      streamWorld: 'NS-EL2',
      vmid: undefined,
    });
    // S1Fmt is IGNORED without substreams.
    expect(reasonOf(ste({ S1Fmt: 1, S1CDMax: 0 }), { ...caps, cd2l: false })).toBe('legal');
    // S1CDMax is IGNORED without substream support.
    expect(reasonOf(ste({ S1CDMax: 31 }), { ...caps, ssidSize: 0 })).toBe('legal');
    // Stage 2 fields are IGNORED when stage 2 bypasses (Config 0b101).
    expect(reasonOf(ste({ Config: 5, S2TG: 3, S2T0SZ: 63, S2TTB: 1n << 51n }))).toBe('legal');
    // A 64KB granule may use a 52-bit S2TTB with a 52-bit S2PS.
    const caps52 = { ...caps, oas: 6, oasBits: 52, ias: 52 };
    expect(reasonOf(ste({ S2PS: 6, S2TG: 1, S2T0SZ: 12, S2SL0: 2, S2TTB: 1n << 48n }), caps52)).toBe('legal');
    // S2PS is capped to the OAS: a 52-bit S2PS on a 48-bit SMMU is 48 bits.
    expect(checkSte(ste({ S2PS: 7 }), caps)).toMatchObject({ illegal: false, s2: { ps: 7, outputBits: 48 } });
    // VMSAv8-32 LPAE stage 2 where supported: 4-bit signed T0SZ, 40-bit output.
    const aa32 = checkSte(ste({ S2AA64: 0, S2T0SZ: 0x8, S2SL0: 1, S2TG: 3 }), { ...caps, ttfAArch32: true, ias: 48 });
    expect(aa32).toMatchObject({ illegal: false, s2: { format: 'aarch32', inputBits: 40, startLevel: 1, granuleBits: 12, outputBits: 40 } });
  });
});

describe('stage 2 start level and SL0/T0SZ/TG consistency', () => {
  it('maps SL0 to start levels per granule', () => {
    expect([0, 1, 2, 3].map((sl0) => stage2StartLevel(12, sl0, 0, false, 48))).toEqual([2, 1, 0, undefined]);
    expect([0, 1, 2, 3].map((sl0) => stage2StartLevel(14, sl0, 0, false, 48))).toEqual([3, 2, 1, undefined]);
    expect(stage2StartLevel(14, 3, 0, true, 52)).toBe(0);
    expect([0, 1, 2, 3].map((sl0) => stage2StartLevel(16, sl0, 0, false, 48))).toEqual([3, 2, 1, undefined]);
    // Level 0 (4KB) and level 1 (64KB) starts need a PA size of at least 44 bits; 16KB level 1 needs 42.
    expect(stage2StartLevel(12, 2, 0, false, 42)).toBeUndefined();
    expect(stage2StartLevel(16, 2, 0, false, 42)).toBeUndefined();
    expect(stage2StartLevel(14, 2, 0, false, 42)).toBe(1);
    // 4KB with DS: SL2:SL0 = 0b100 starts at level -1.
    expect(stage2StartLevel(12, 0, 1, true, 52)).toBe(-1);
    expect(stage2StartLevel(12, 1, 1, true, 52)).toBeUndefined();
  });

  const geo = (granuleBits: 12 | 14 | 16, t0sz: number, sl0: number) =>
    checkStage2Geometry({ t0sz, sl0, sl2: 0, granuleBits, ds: false, aarch64: true, iasBits: 48, paMaxBits: 48 });

  it('known configurations', () => {
    // 16KB, 48-bit IPA: two concatenated level-1 tables.
    expect(geo(14, 16, 2)).toEqual({ ok: true, geometry: { inputBits: 48, startLevel: 1, bitsAtStartLevel: 12, concatenatedTables: 2, tableAlignBits: 15 } });
    // 64KB, 42-bit IPA from level 2: one full table.
    expect(geo(16, 22, 1)).toEqual({ ok: true, geometry: { inputBits: 42, startLevel: 2, bitsAtStartLevel: 13, concatenatedTables: 1, tableAlignBits: 16 } });
    // 4KB, 39-bit IPA from level 1 resolves 9 bits: one table; from level 2 it would need 2^9 tables.
    expect(geo(12, 25, 1)).toMatchObject({ ok: true, geometry: { concatenatedTables: 1 } });
    expect(geo(12, 25, 0)).toMatchObject({ ok: false, problem: 'S2SL0_INCONSISTENT' });
    // 4KB, 34-bit IPA from level 2: 16 concatenated tables, the maximum; 35 bits would need 32.
    expect(geo(12, 30, 0)).toMatchObject({ ok: true, geometry: { concatenatedTables: 16 } });
    expect(geo(12, 29, 0)).toMatchObject({ ok: false, problem: 'S2SL0_INCONSISTENT' });
  });

  it('is consistent exactly when 1..16 start tables cover the IPA (reference by enumeration)', () => {
    fc.assert(
      fc.property(fc.constantFrom(12 as const, 14 as const, 16 as const), fc.integer({ min: 16, max: 39 }), fc.integer({ min: 0, max: 3 }), (g, t0sz, sl0) => {
        const level = stage2StartLevel(g, sl0, 0, false, 48);
        const r = geo(g, t0sz, sl0);
        if (level === undefined) {
          expect(r.ok).toBe(false);
          return;
        }
        // Reference: count the tables by walking the levels below the start level.
        let covered = BigInt(g);
        for (let l = 3; l > level; l--) covered += BigInt(g - 3);
        const ia = BigInt(64 - t0sz);
        const tablesNeeded = ia <= covered ? 0n : 1n << (ia - covered > BigInt(g - 3) ? ia - covered - BigInt(g - 3) : 0n);
        const ok = ia > covered && tablesNeeded <= 16n;
        expect(r.ok).toBe(ok);
        if (r.ok) expect(BigInt(r.geometry.concatenatedTables)).toBe(tablesNeeded);
      }),
      { numRuns: 300 },
    );
  });
});
