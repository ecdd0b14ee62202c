import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wordsFromU64s } from '@viommu/core';
import {
  CD,
  CD_ILLEGAL_REASONS,
  DEFAULT_SMMU_CAPABILITIES,
  STE,
  checkCd,
  checkSte,
  type CdIllegalReason,
  type SmmuCapabilities,
  type SteConfig,
} from '../src/structures/index';

const caps = DEFAULT_SMMU_CAPABILITIES;
type CdFields = Parameters<typeof CD.encode>[0];

const steOf = (fields: Parameters<typeof STE.encode>[0], c: SmmuCapabilities = caps): SteConfig => {
  const r = checkSte(STE.encode({ V: 1, Config: 5, S1ContextPtr: 0x8000_0000n, ...fields }), c);
  if (r.illegal) throw new Error(r.message);
  return r;
};
const S1 = steOf({});

/** A Linux-style CD: TTB0 only, 48-bit VA, 4KB granule, WB walks, IPS 48 bits, ASID 0x42. */
const LINUX: CdFields = {
  T0SZ: 16,
  TG0: 0,
  IR0: 1,
  OR0: 1,
  SH0: 3,
  EPD1: 1,
  V: 1,
  IPS: 5,
  AA64: 1,
  R: 1,
  A: 1,
  ASET: 1,
  ASID: 0x42,
  TTB0: 0x4_1234_5000n,
  MAIR0: 0x0404ff44,
};
const cd = (o: CdFields = {}, base: CdFields = LINUX) => CD.encode({ ...base, ...o });
const reasonOf = (words: Uint32Array, ste: SteConfig = S1, c: SmmuCapabilities = caps, e2h = false) => {
  const r = checkCd(words, ste, c, { e2h });
  return r.illegal ? r.reason : 'legal';
};

describe('CD layout', () => {
  it('encodes the Linux-style CD to the hand-worked words', () => {
    // word0: T0SZ 0x10 | IR0 1<<8 | OR0 1<<10 | SH0 3<<12 | EPD1 1<<30 | V 1<<31.
    // word1: IPS 5 | AA64 1<<9 | R 1<<13 | A 1<<14 | ASET 1<<15 | ASID 0x42<<16.
    // words 2-3: TTB0 holds address[55:4] at bit 68, so the second 64-bit word is the address itself.
    expect(Array.from(cd().subarray(0, 7))).toEqual([0xc000_3510, 0x0042_e205, 0x1234_5000, 0x4, 0, 0, 0x0404ff44]);
    expect(CD.decode(wordsFromU64s([0x0042_e205_c000_3510n, 0x4_1234_5000n], 512))).toMatchObject({ T0SZ: 16, V: 1, ASID: 0x42, TTB0: 0x4_1234_5000n });
  });

  it('tiles 512 bits and round-trips', () => {
    const covered = new Set<number>();
    for (const f of CD.spec.fields) for (let b = f.lo; b <= f.hi; b++) covered.add(b);
    for (const [hi, lo] of CD.spec.reserved ?? []) for (let b = lo; b <= hi; b++) covered.add(b);
    expect(covered.size).toBe(512);
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 16, maxLength: 16 }), (raw) => {
        const words = Uint32Array.from(raw);
        for (const [hi, lo] of CD.spec.reserved ?? []) for (let b = lo; b <= hi; b++) words[b >>> 5] = words[b >>> 5]! & ~(1 << (b & 31));
        expect(CD.encode(CD.decode(words))).toEqual(words);
      }),
      { numRuns: 200 },
    );
  });
});

describe('checkCd: legal configurations', () => {
  it('decodes the Linux-style CD', () => {
    const r = checkCd(cd(), S1, caps);
    expect(r.illegal).toBe(false);
    if (r.illegal) return;
    expect(r).toMatchObject({ format: 'aarch64', ips: 5, outputBits: 48, asid: 0x42, aset: true, record: true, abort: true, stall: false, mair: { hi: 0, lo: 0x0404ff44 } });
    expect(r.ttb0).toEqual({
      enabled: true,
      txsz: 16,
      inputBits: 48,
      granuleBits: 12,
      startLevel: 0,
      ttb: 0x4_1234_5000,
      tableBase: 0x4_1234_5000,
      ir: 1,
      or: 1,
      sh: 3,
      tbi: false,
      had: false,
      e0pd: false,
    });
    expect(r.ttb1.enabled).toBe(false);
  });

  it('TG1 uses its own encoding: 2 = 4KB, 1 = 16KB, 3 = 64KB', () => {
    const both = (tg1: number) => checkCd(cd({ EPD1: 0, T1SZ: 25, TG1: tg1, TTB1: 0x5000_0000n }), S1, caps);
    expect(both(2)).toMatchObject({ illegal: false, ttb1: { enabled: true, granuleBits: 12, inputBits: 39, startLevel: 1 } });
    expect(both(1)).toMatchObject({ illegal: false, ttb1: { granuleBits: 14, startLevel: 1 } }); // 16KB, TnSZ 17..27 → L1
    expect(both(3)).toMatchObject({ illegal: false, ttb1: { granuleBits: 16, startLevel: 2 } });
    expect(both(0)).toMatchObject({ illegal: true, reason: 'TG1_UNSUPPORTED' });
  });

  it('IPS is capped to the OAS', () => {
    expect(checkCd(cd({ IPS: 6 }), S1, caps)).toMatchObject({ illegal: false, ips: 6, outputBits: 48 });
    expect(checkCd(cd({ IPS: 2 }), S1, caps)).toMatchObject({ illegal: false, outputBits: 40 });
  });

  it('EPDx == 1 disables every check of that half [SPEC 5.4.1.1]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 3 }),
        fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }),
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 3 }),
        fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }),
        (t0sz, tg0, ttb0, t1sz, tg1, ttb1) => {
          const words = cd({ EPD0: 1, EPD1: 1, T0SZ: t0sz, TG0: tg0, TTB0: ttb0 << 4n, T1SZ: t1sz, TG1: tg1, TTB1: ttb1 << 4n });
          expect(reasonOf(words)).toBe('legal');
          // Re-enabling TTB0 brings its checks back.
          const r = checkCd(cd({ EPD0: 0, EPD1: 1, T0SZ: t0sz, TG0: tg0, TTB0: ttb0 << 4n }), S1, caps);
          const ok = t0sz >= 16 && t0sz <= 39 && tg0 !== 3 && ttb0 << 4n < 1n << 48n;
          expect(r.illegal).toBe(!ok);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary CD contents', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 16, maxLength: 16 }), (words) => {
        const r = checkCd(words, S1, caps);
        if (r.illegal) expect(Object.keys(CD_ILLEGAL_REASONS)).toContain(r.reason);
      }),
      { numRuns: 300 },
    );
  });

  it('StreamWorld NS-EL2: EPDx are IGNORED, TTB1 unreachable, ASID IGNORED; EL2-E2H keeps both halves', () => {
    const el2 = steOf({ STRW: 2 });
    expect(el2.streamWorld).toBe('NS-EL2');
    const r = checkCd(cd({ EPD0: 1, ASID: 0x1234 }), el2, { ...caps, asid16: false });
    expect(r).toMatchObject({ illegal: false, asid: undefined, ttb0: { enabled: true }, ttb1: { enabled: false } });
    // With E2H the ASID is used, so its upper byte is checked.
    expect(reasonOf(cd({ ASID: 0x1234 }), el2, { ...caps, asid16: false }, true)).toBe('ASID_16BIT');
  });

  it('52-bit TTB0 with a 64KB granule and a 52-bit OAS', () => {
    const caps52 = { ...caps, oas: 6, oasBits: 52, ias: 52, vax: 1 };
    expect(reasonOf(cd({ IPS: 6, TG0: 1, T0SZ: 12, TTB0: 1n << 48n }), S1, caps52)).toBe('legal');
    expect(reasonOf(cd({ IPS: 6, TG0: 0, TTB0: 1n << 48n }), S1, caps52)).toBe('TTB0_RANGE');
    // T0SZ 12 needs 52-bit VAs (VAX) and a 64KB granule.
    expect(reasonOf(cd({ IPS: 6, TG0: 1, T0SZ: 12 }), S1, { ...caps52, vax: 0 })).toBe('T0SZ_RANGE');
    expect(reasonOf(cd({ IPS: 6, TG0: 0, T0SZ: 12 }), S1, caps52)).toBe('T0SZ_RANGE');
  });
});

describe('checkCd: every ILLEGAL rule [SPEC 5.4.2]', () => {
  const stallDisabled = steOf({ S1STALLD: 1 });
  const overAarch32 = (() => {
    const c = { ...caps, ttfAArch32: true };
    const r = checkSte(
      STE.encode({ V: 1, Config: 7, S1ContextPtr: 0x8000_0000n, S2AA64: 0, S2T0SZ: 8, S2SL0: 1, S2TTB: 0x9000_0000n }),
      c,
    );
    if (r.illegal) throw new Error(r.message);
    return r;
  })();
  const cases: [CdIllegalReason, Uint32Array, SteConfig?, SmmuCapabilities?, boolean?][] = [
    ['V_ZERO', cd({ V: 0 })],
    ['STALL_DISABLED_BY_STE', cd({ S: 1 }), stallDisabled],
    ['ABORT_REQUIRED', cd({ A: 0 }), S1, { ...caps, termModel: 1 }],
    ['STALL_UNSUPPORTED', cd({ S: 1 }), S1, { ...caps, stallModel: 1 }],
    ['STALL_FORCED', cd({ S: 0 }), S1, { ...caps, stallModel: 2 }],
    ['ENDI_UNSUPPORTED', cd({ ENDI: 1 })],
    ['ENDI_UNSUPPORTED', cd({ ENDI: 0 }), S1, { ...caps, ttEndian: 3 }],
    ['AA32_UNSUPPORTED', cd({ AA64: 0 })],
    ['AA32_UNSUPPORTED', cd({ AA64: 0 }), steOf({ STRW: 2 }), { ...caps, ttfAArch32: true }, true],
    ['AA64_UNSUPPORTED', cd({ AA64: 1 }), S1, { ...caps, ttfAArch32: true, ttfAArch64: false }],
    ['AA64_UNSUPPORTED', cd({ AA64: 1 }), overAarch32, { ...caps, ttfAArch32: true }],
    ['HTTU_UNSUPPORTED', cd({ HA: 1 }), S1, { ...caps, httu: 0 }],
    ['HTTU_UNSUPPORTED', cd({ HA: 1, HD: 1 }), S1, { ...caps, httu: 1 }],
    ['HAFT_WITHOUT_HA', cd({ HAFT: 1 }), S1, { ...caps, httu: 3 }],
    ['ASID_16BIT', cd({ ASID: 0x100 }), S1, { ...caps, asid16: false }],
    ['T0SZ_RANGE', cd({ T0SZ: 40 })],
    ['T0SZ_RANGE', cd({ T0SZ: 15 })],
    ['T1SZ_RANGE', cd({ EPD1: 0, T1SZ: 0, TG1: 2 })],
    ['TG0_UNSUPPORTED', cd({ TG0: 3 })],
    ['TG0_UNSUPPORTED', cd({ TG0: 2 }), S1, { ...caps, gran16k: false }],
    ['TTB0_RANGE', cd({ TTB0: 1n << 48n })],
    ['TTB0_RANGE', cd({ IPS: 4, TTB0: 1n << 44n })],
    ['TTB0_RANGE', cd({ TTB0: (1n << 52n) | 0x1000n })],
    ['TG1_UNSUPPORTED', cd({ EPD1: 0, T1SZ: 16, TG1: 0 })],
    ['TTB1_RANGE', cd({ EPD1: 0, T1SZ: 16, TG1: 2, TTB1: 1n << 48n })],
  ];
  for (const [reason, words, ste, c, e2h] of cases) {
    it(`${reason}: ${CD_ILLEGAL_REASONS[reason]}`, () => {
      const r = checkCd(words, ste ?? S1, c ?? caps, { e2h: e2h ?? false });
      expect(r).toMatchObject({ illegal: true, reason });
    });
  }

  it('the neighbouring legal cases of those rules', () => {
    // ENDI is IGNORED when both halves are disabled.
    expect(reasonOf(cd({ ENDI: 1, EPD0: 1, EPD1: 1 }))).toBe('legal');
    // HA/HD are IGNORED for VMSAv8-32 LPAE tables.
    expect(reasonOf(cd({ AA64: 0, HA: 1, HD: 1 }), S1, { ...caps, ttfAArch32: true, httu: 0 })).toBe('legal');
    // A VMSAv8-32 LPAE CD: 32-bit inputs, 40-bit output, 4KB tables.
    expect(checkCd(cd({ AA64: 0, T0SZ: 2 }), S1, { ...caps, ttfAArch32: true })).toMatchObject({
      illegal: false,
      format: 'aarch32',
      outputBits: 40,
      ttb0: { inputBits: 30, granuleBits: 12, startLevel: 2 },
    });
    expect(reasonOf(cd({ AA64: 0, TTB0: 1n << 40n }), S1, { ...caps, ttfAArch32: true })).toBe('TTB0_RANGE');
    // 16-bit ASIDs are fine with ASID16.
    expect(reasonOf(cd({ ASID: 0xffff }))).toBe('legal');
    // S == 1 is fine when the STE allows stalls and the SMMU supports them.
    expect(reasonOf(cd({ S: 1 }))).toBe('legal');
  });
});
