import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { u64sFromWords, wordsFromU64s } from '@viommu/core';
import {
  DEFAULT_VTD_CAPABILITIES,
  LEGACY_CONTEXT_ENTRY_LAYOUT,
  SCALABLE_CONTEXT_ENTRY_LAYOUT,
  VtdFaultReason,
  checkLegacyContextEntry,
  checkScalableContextEntry,
  routeScalableContextRequest,
  type ScalableContextConfig,
  type VtdCapabilities,
} from '../src/structures/index';

const caps = DEFAULT_VTD_CAPABILITIES;
const withBit = (words: Uint32Array, n: number) => {
  const copy = Uint32Array.from(words);
  copy[n >>> 5] = (copy[n >>> 5]! | (1 << (n & 31))) >>> 0;
  return copy;
};
const without = (overrides: Partial<VtdCapabilities>): VtdCapabilities => ({ ...caps, ...overrides });

describe('legacy context entry', () => {
  // SLPTPTR 0x1_2345_6000, TT 00b, P; AW 2 (48-bit), DID 0x42.
  const base = wordsFromU64s([0x1_2345_6001n, 0x4202n], 128);

  it('decodes to the typed configuration', () => {
    expect(checkLegacyContextEntry(base, caps, 48)).toEqual({
      ok: true,
      value: {
        fpd: false,
        translationType: 0,
        secondLevelTableAddress: 0x1_2345_6000,
        aw: 2,
        levels: 4,
        agaw: 48,
        domainId: 0x42,
        avail: 0,
      },
    });
  });

  it('has every field of the table at its bits', () => {
    const words = LEGACY_CONTEXT_ENTRY_LAYOUT.encode({ P: 1, FPD: 1, TT: 2, SLPTPTR: 0xabc000, AW: 3, AVAIL: 0xf, DID: 0xbeef });
    // lo: P 1 | FPD 2 | TT 2<<2 | 0xABC000; hi: AW 3 | AVAIL 0xF<<3 | DID 0xBEEF<<8
    expect(u64sFromWords(words)).toEqual([0xabc00bn, 0xbeef7bn]);
    expect(LEGACY_CONTEXT_ENTRY_LAYOUT.spec.fields.find((f) => f.name === 'TT')!.values).toMatchObject({ 0: 'multi-level', 1: 'device-tlb', 2: 'pass-through' });
  });

  it('keeps AVAIL for software and ignores it', () => {
    const words = wordsFromU64s([0x1_2345_6001n, 0x4202n | (0xan << 3n)], 128);
    expect(checkLegacyContextEntry(words, caps, 48)).toMatchObject({ ok: true, value: { avail: 0xa } });
  });

  it('faults 0x2 when P=0 and reports the FPD it carries', () => {
    expect(checkLegacyContextEntry(wordsFromU64s([0x2n], 128), caps, 48)).toMatchObject({ ok: false, reason: 0x2, fpd: true });
    expect(checkLegacyContextEntry(wordsFromU64s([0n], 128), caps, 48)).toMatchObject({ ok: false, reason: 0x2, fpd: false });
  });

  it.each([4, 11, 71, 88, 127])('faults 0xB for reserved bit %i', (n) => {
    expect(checkLegacyContextEntry(withBit(base, n), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.CONTEXT_ENTRY_RESERVED });
  });

  it('faults 0xB when SLPTPTR reaches HAW', () => {
    expect(checkLegacyContextEntry(withBit(base, 48), caps, 48)).toMatchObject({ ok: false, reason: 0xb });
    expect(checkLegacyContextEntry(withBit(base, 48), caps, 52)).toMatchObject({ ok: true });
  });

  it('checks reserved bits before TT validity', () => {
    const both = withBit(withBit(withBit(base, 2), 3), 4);
    expect(checkLegacyContextEntry(both, caps, 48)).toMatchObject({ reason: 0xb });
  });

  it('faults 0x3 for TT=11b and for TT values the hardware does not support', () => {
    const tt = (v: number) => wordsFromU64s([0x1_2345_6001n | (BigInt(v) << 2n), 0x4202n], 128);
    expect(checkLegacyContextEntry(tt(3), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.CONTEXT_ENTRY_INVALID });
    expect(checkLegacyContextEntry(tt(1), caps, 48)).toMatchObject({ ok: true, value: { translationType: 1 } });
    expect(checkLegacyContextEntry(tt(1), without({ dt: false }), 48)).toMatchObject({ ok: false, reason: 0x3 });
    expect(checkLegacyContextEntry(tt(2), caps, 48)).toMatchObject({ ok: true, value: { translationType: 2 } });
    expect(checkLegacyContextEntry(tt(2), without({ pt: false }), 48)).toMatchObject({ ok: false, reason: 0x3 });
  });

  it('faults 0x3 for an AW not in SAGAW, except in pass-through', () => {
    const aw = (v: number, ttv = 0) => wordsFromU64s([0x1_2345_6001n | (BigInt(ttv) << 2n), 0x4200n | BigInt(v)], 128);
    expect(checkLegacyContextEntry(aw(0), caps, 48)).toMatchObject({ ok: false, reason: 0x3 });
    expect(checkLegacyContextEntry(aw(4), caps, 48)).toMatchObject({ ok: false, reason: 0x3 });
    expect(checkLegacyContextEntry(aw(1), caps, 48)).toMatchObject({ ok: true, value: { levels: 3, agaw: 39 } });
    expect(checkLegacyContextEntry(aw(3), caps, 48)).toMatchObject({ ok: true, value: { levels: 5, agaw: 57 } });
    expect(checkLegacyContextEntry(aw(0, 2), caps, 48)).toMatchObject({ ok: true });
  });

  it('round-trips random field values through the field table', () => {
    fc.assert(
      fc.property(
        fc.record({
          P: fc.integer({ min: 0, max: 1 }),
          FPD: fc.integer({ min: 0, max: 1 }),
          TT: fc.integer({ min: 0, max: 3 }),
          SLPTPTR: fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }).map((v) => v << 12n),
          AW: fc.integer({ min: 0, max: 7 }),
          AVAIL: fc.integer({ min: 0, max: 15 }),
          DID: fc.integer({ min: 0, max: 0xffff }),
        }),
        (values) => {
          const words = LEGACY_CONTEXT_ENTRY_LAYOUT.encode(values);
          expect(LEGACY_CONTEXT_ENTRY_LAYOUT.decode(words)).toEqual(values);
          expect(LEGACY_CONTEXT_ENTRY_LAYOUT.hasReservedBits(words)).toBe(false);
          // Guest memory never makes the check throw.
          expect(typeof checkLegacyContextEntry(words, caps, 48).ok).toBe('boolean');
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('scalable-mode context entry', () => {
  // PASIDDIRPTR 0x7_8000_0000, PDTS 2, PRE, PASIDE, DTE, P; RID_PASID 5, RID_PRIV.
  const base = wordsFromU64s([0x7_8000_041dn, 0x10_0005n], 256);

  it('decodes to the typed configuration', () => {
    expect(checkScalableContextEntry(base, caps, 48)).toEqual({
      ok: true,
      value: {
        fpd: false,
        dte: true,
        paside: true,
        pre: true,
        pdts: 2,
        pasidDirectoryEntries: 512,
        pasidDirectoryAddress: 0x7_8000_0000,
        ridPasid: 5,
        ridPriv: true,
      },
    });
  });

  it('has every field of the table at its bits', () => {
    const words = SCALABLE_CONTEXT_ENTRY_LAYOUT.encode({ P: 1, FPD: 1, DTE: 1, PASIDE: 1, PRE: 1, PDTS: 7, PASIDDIRPTR: 0x5000, RID_PASID: 0xfffff, RID_PRIV: 1 });
    expect(u64sFromWords(words)).toEqual([0x5e1fn, 0x1f_ffffn, 0n, 0n]);
    expect(SCALABLE_CONTEXT_ENTRY_LAYOUT.byteCount).toBe(32);
  });

  it('faults 0x41 when P=0, with the entry FPD', () => {
    expect(checkScalableContextEntry(wordsFromU64s([0x2n], 256), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_CONTEXT_ENTRY_NOT_PRESENT, fpd: true });
  });

  it.each([5, 8, 85, 127, 128, 200, 255])('faults 0x42 for reserved bit %i', (n) => {
    expect(checkScalableContextEntry(withBit(base, n), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_CONTEXT_ENTRY_RESERVED });
  });

  it('faults 0x42 when PASIDDIRPTR reaches HAW', () => {
    expect(checkScalableContextEntry(withBit(base, 50), caps, 48)).toMatchObject({ ok: false, reason: 0x42 });
    expect(checkScalableContextEntry(withBit(base, 50), caps, 52)).toMatchObject({ ok: true });
  });

  it('faults 0x43 when RID_PASID lies beyond the PASIDs PDTS covers (with ECAP.RPS)', () => {
    // PDTS 0: 128 directory entries × 64 = 8192 PASIDs.
    const rid = (v: number) => wordsFromU64s([0x7_8000_0001n, BigInt(v)], 256);
    expect(checkScalableContextEntry(rid(8191), caps, 48)).toMatchObject({ ok: true, value: { ridPasid: 8191, pasidDirectoryEntries: 128 } });
    expect(checkScalableContextEntry(rid(8192), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_CONTEXT_ENTRY_INVALID });
    expect(checkScalableContextEntry(rid(8192), without({ rps: false }), 48)).toMatchObject({ ok: true, value: { ridPasid: 0 } });
  });

  it('uses RID_PRIV only with ECAP.RPRIVS', () => {
    expect(checkScalableContextEntry(base, without({ rprivs: false }), 48)).toMatchObject({ ok: true, value: { ridPriv: false } });
  });
});

describe('scalable-mode context request gates', () => {
  const ctx = (over: Partial<ScalableContextConfig> = {}): ScalableContextConfig => ({
    fpd: true,
    dte: true,
    paside: true,
    pre: true,
    pdts: 0,
    pasidDirectoryEntries: 128,
    pasidDirectoryAddress: 0x1000,
    ridPasid: 3,
    ridPriv: false,
    ...over,
  });

  it('routes requests without PASID to RID_PASID and requests with PASID to their own', () => {
    expect(routeScalableContextRequest(ctx(), {})).toEqual({ ok: true, value: { pasid: 3, withPasid: false } });
    expect(routeScalableContextRequest(ctx(), { pasid: 8191 })).toEqual({ ok: true, value: { pasid: 8191, withPasid: true } });
  });

  it('faults 0x44 for a translation request with DTE=0', () => {
    expect(routeScalableContextRequest(ctx({ dte: false }), { translationRequest: true })).toMatchObject({ ok: false, reason: 0x44, fpd: true });
    expect(routeScalableContextRequest(ctx({ dte: false }), {})).toMatchObject({ ok: true });
  });

  it('faults 0x45 for a request with PASID while PASIDE=0', () => {
    expect(routeScalableContextRequest(ctx({ paside: false }), { pasid: 1 })).toMatchObject({ ok: false, reason: 0x45 });
    expect(routeScalableContextRequest(ctx({ paside: false }), {})).toMatchObject({ ok: true });
  });

  it('faults 0x46 for a PASID whose directory index is beyond 2^(PDTS+7)', () => {
    expect(routeScalableContextRequest(ctx(), { pasid: 8192 })).toMatchObject({ ok: false, reason: VtdFaultReason.SM_PASID_BEYOND_CONTEXT_LIMIT });
    expect(routeScalableContextRequest(ctx({ pdts: 1, pasidDirectoryEntries: 256 }), { pasid: 8192 })).toMatchObject({ ok: true });
  });

  it('faults 0x47 for a page request with PRE=0', () => {
    expect(routeScalableContextRequest(ctx({ pre: false }), { pageRequest: true })).toMatchObject({ ok: false, reason: 0x47 });
  });

  it('rejects an impossible PASID as API input', () => {
    expect(() => routeScalableContextRequest(ctx(), { pasid: 2 ** 20 })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});
