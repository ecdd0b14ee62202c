import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wordsFromU64s } from '@viommu/core';
import {
  LEGACY_ROOT_ENTRY_LAYOUT,
  RTADDR_LAYOUT,
  RTADDR_WRITE_MASK,
  SCALABLE_ROOT_ENTRY_LAYOUT,
  VtdFaultReason,
  checkLegacyRootEntry,
  checkRootEntry,
  checkScalableRootEntry,
  contextEntryAddress,
  decodeRtaddr,
  encodeRtaddr,
  rootEntryAddress,
  writeRtaddr,
} from '../src/structures/index';

const entry = (...q: bigint[]) => wordsFromU64s(q, 128);
const withBit = (words: Uint32Array, n: number) => {
  const copy = Uint32Array.from(words);
  copy[n >>> 5] = (copy[n >>> 5]! | (1 << (n & 31))) >>> 0;
  return copy;
};

describe('RTADDR_REG', () => {
  it('applies the write mask 0xFFFF_FFFF_FFFF_FC00', () => {
    expect(RTADDR_WRITE_MASK).toBe(0xffff_ffff_ffff_fc00n);
    expect(writeRtaddr(0xffff_ffff_ffff_ffffn)).toBe(0xffff_ffff_ffff_fc00n);
    expect(writeRtaddr(0x1234_53ffn)).toBe(0x1234_5000n);
  });

  it('decodes address and mode (bit 10 = scalable)', () => {
    expect(decodeRtaddr(0x1234_5400n)).toEqual({ rootTableAddress: 0x1234_5000, ttm: 1, scalable: true });
    expect(decodeRtaddr(0x1234_5000n)).toEqual({ rootTableAddress: 0x1234_5000, ttm: 0, scalable: false });
    expect(decodeRtaddr(0x1234_5c00n)).toEqual({ rootTableAddress: 0x1234_5000, ttm: 3, scalable: false });
    expect(decodeRtaddr(0x1234_5800n).ttm).toBe(2);
  });

  it('ignores address bits at and above HAW', () => {
    expect(decodeRtaddr((1n << 40n) | 0x7000n, 39).rootTableAddress).toBe(0x7000);
    expect(decodeRtaddr((1n << 40n) | 0x7000n, 48).rootTableAddress).toBe(2 ** 40 + 0x7000);
  });

  it('encodes and declares the field table', () => {
    expect(encodeRtaddr({ rootTableAddress: 0x1234_5000, scalable: true })).toBe(0x1234_5400n);
    expect(encodeRtaddr({ rootTableAddress: 0x1234_5000 })).toBe(0x1234_5000n);
    expect(encodeRtaddr({ rootTableAddress: 0x1000, ttm: 3 })).toBe(0x1c00n);
    expect(() => encodeRtaddr({ rootTableAddress: 0x1234_5800 })).toThrow(expect.objectContaining({ code: 'FIELD_RANGE' }));
    expect(RTADDR_LAYOUT.spec.fields.find((f) => f.name === 'TTM')!.values![1]).toBe('scalable');
    expect(RTADDR_LAYOUT.hasReservedBits(wordsFromU64s([0x200n], 64))).toBe(true);
  });

  it('round-trips random addresses and modes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 - 1 }), fc.integer({ min: 0, max: 3 }), (page, ttm) => {
        const value = encodeRtaddr({ rootTableAddress: page * 4096, ttm });
        expect(decodeRtaddr(value)).toEqual({ rootTableAddress: page * 4096, ttm, scalable: ttm === 1 });
        expect(writeRtaddr(value)).toBe(value);
      }),
      { numRuns: 200 },
    );
  });

  it('locates root entries by bus', () => {
    expect(rootEntryAddress(0x10000, 0x12)).toBe(0x10120);
    expect(rootEntryAddress(0x10000, 255)).toBe(0x10ff0);
    expect(() => rootEntryAddress(0x10000, 256)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});

describe('legacy root entry', () => {
  const base = entry(0x0abc_d001n, 0n);

  it('decodes the field table', () => {
    expect(LEGACY_ROOT_ENTRY_LAYOUT.decode(base)).toEqual({ P: 1, CTP: 0xabcd000n });
    expect(LEGACY_ROOT_ENTRY_LAYOUT.byteCount).toBe(16);
  });

  it('yields the context table and the device context entry (16-byte entries)', () => {
    expect(checkLegacyRootEntry(base, 0x21, 48)).toEqual({
      ok: true,
      value: { contextTableAddress: 0xabcd000, contextEntryAddress: 0xabcd000 + 0x21 * 16 },
    });
    expect(checkRootEntry(base, 0xff, false, 48)).toMatchObject({ ok: true, value: { contextEntryAddress: 0xabcdff0 } });
  });

  it('faults 0x1 when P=0, whatever else is set', () => {
    expect(checkLegacyRootEntry(entry(0x0abc_d000n, 0xffn), 0, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.ROOT_ENTRY_NOT_PRESENT, fpd: false });
  });

  it.each([1, 11, 64, 100, 127])('faults 0xA for reserved bit %i', (n) => {
    expect(checkLegacyRootEntry(withBit(base, n), 0, 48)).toMatchObject({ ok: false, reason: 0xa, fpd: false });
  });

  it('faults 0xA when CTP reaches HAW, and accepts it under a wider HAW', () => {
    const high = withBit(base, 48);
    expect(checkLegacyRootEntry(high, 0, 48)).toMatchObject({ ok: false, reason: 0xa });
    expect(checkLegacyRootEntry(high, 0, 52)).toMatchObject({ ok: true, value: { contextTableAddress: 2 ** 48 + 0xabcd000 } });
    expect(checkLegacyRootEntry(withBit(base, 63), 0, 52)).toMatchObject({ ok: false, reason: 0xa });
  });

  it('rejects bad API input', () => {
    expect(() => checkLegacyRootEntry(base, 256, 48)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => checkLegacyRootEntry(base, 0, 53)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});

describe('scalable-mode root entry', () => {
  const base = entry(0x1000_0001n, 0x2000_0001n);

  it('decodes the field table', () => {
    expect(SCALABLE_ROOT_ENTRY_LAYOUT.decode(base)).toEqual({ LP: 1, LCTP: 0x1000_0000n, UP: 1, UCTP: 0x2000_0000n });
  });

  it('uses the lower table for devfn 0–127 and the upper for 128–255, 32-byte entries at devfn & 0x7F', () => {
    expect(checkScalableRootEntry(base, 0x05, 48)).toEqual({
      ok: true,
      value: { contextTableAddress: 0x1000_0000, contextEntryAddress: 0x1000_00a0 },
    });
    expect(checkScalableRootEntry(base, 0x85, 48)).toEqual({
      ok: true,
      value: { contextTableAddress: 0x2000_0000, contextEntryAddress: 0x2000_00a0 },
    });
    expect(checkRootEntry(base, 0x7f, true, 48)).toMatchObject({ value: { contextEntryAddress: 0x1000_0fe0 } });
  });

  it('faults 0x39 when the half in use is not present', () => {
    const lowerOnly = entry(0x1000_0001n, 0x2000_0000n);
    expect(checkScalableRootEntry(lowerOnly, 0x80, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_ROOT_ENTRY_NOT_PRESENT });
    expect(checkScalableRootEntry(lowerOnly, 0x7f, 48)).toMatchObject({ ok: true });
    const upperOnly = entry(0x1000_0000n, 0x2000_0001n);
    expect(checkScalableRootEntry(upperOnly, 0, 48)).toMatchObject({ ok: false, reason: 0x39 });
  });

  it.each([
    [1, 0x10],
    [11, 0x10],
    [65, 0x90],
    [75, 0x90],
  ])('faults 0x3A for reserved bit %i in the half serving devfn %i', (n, devfn) => {
    expect(checkScalableRootEntry(withBit(base, n), devfn, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_ROOT_ENTRY_RESERVED });
  });

  it('checks only the half in use', () => {
    expect(checkScalableRootEntry(withBit(base, 65), 0x10, 48)).toMatchObject({ ok: true });
    expect(checkScalableRootEntry(withBit(base, 5), 0x90, 48)).toMatchObject({ ok: true });
  });

  it('faults 0x3A when a pointer reaches HAW', () => {
    expect(checkScalableRootEntry(withBit(base, 64 + 50), 0x90, 48)).toMatchObject({ ok: false, reason: 0x3a });
    expect(checkScalableRootEntry(withBit(base, 47), 0x10, 48)).toMatchObject({ ok: true, value: { contextTableAddress: 2 ** 47 + 0x1000_0000 } });
    expect(checkScalableRootEntry(withBit(base, 48), 0x10, 48)).toMatchObject({ ok: false, reason: 0x3a });
  });
});

describe('context entry addresses', () => {
  it('matches the reference formula for every devfn', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 36 - 1 }), fc.integer({ min: 0, max: 255 }), (page, devfn) => {
        const table = page * 4096;
        expect(contextEntryAddress(table, devfn, false)).toBe(table + devfn * 16);
        expect(contextEntryAddress(table, devfn, true)).toBe(table + (devfn % 128) * 32);
      }),
      { numRuns: 200 },
    );
    expect(() => contextEntryAddress(0, -1, true)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});
