import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { u64sFromWords, wordsFromU64s } from '@viommu/core';
import {
  DEFAULT_VTD_CAPABILITIES,
  PASID_DIRECTORY_ENTRY_LAYOUT,
  PASID_ENTRY_LAYOUT,
  VtdFaultReason,
  checkPasidDirectoryEntry,
  checkPasidEntry,
  pasidBeyondContextLimit,
  pasidDirectoryEntries,
  pasidDirectoryEntryAddress,
  pasidDirectoryIndex,
  pasidEntryAddress,
  pasidLimit,
  pasidTableIndex,
  type VtdCapabilities,
} from '../src/structures/index';

const caps = DEFAULT_VTD_CAPABILITIES;
const withCaps = (overrides: Partial<VtdCapabilities>): VtdCapabilities => ({ ...caps, ...overrides });
const withBit = (words: Uint32Array, n: number) => {
  const copy = Uint32Array.from(words);
  copy[n >>> 5] = (copy[n >>> 5]! | (1 << (n & 31))) >>> 0;
  return copy;
};
const pasidEntry = (...q: bigint[]) => wordsFromU64s(q, 512);

describe('PASID indexing', () => {
  it('splits a PASID into directory index [19:6] and table index [5:0]', () => {
    expect(pasidDirectoryIndex(0xabcde)).toBe(0x2af3);
    expect(pasidTableIndex(0xabcde)).toBe(0x1e);
    expect(pasidDirectoryEntryAddress(0x1000, 0xabcde)).toBe(0x1000 + 0x2af3 * 8);
    expect(pasidEntryAddress(0x5000, 0xabcde)).toBe(0x5780);
  });

  it('sizes the directory by PDTS and applies the 0x46 limit', () => {
    expect(pasidDirectoryEntries(0)).toBe(128);
    expect(pasidDirectoryEntries(7)).toBe(16384);
    expect(pasidLimit(0)).toBe(8192);
    expect(pasidLimit(7)).toBe(2 ** 20);
    expect(pasidBeyondContextLimit(8191, 0)).toBe(false);
    expect(pasidBeyondContextLimit(8192, 0)).toBe(true);
    expect(pasidBeyondContextLimit(2 ** 20 - 1, 7)).toBe(false);
    expect(() => pasidDirectoryEntries(8)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => pasidTableIndex(2 ** 20)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });

  it('agrees with the reference formulas for every PASID', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 20 - 1 }), fc.integer({ min: 0, max: 7 }), (pasid, pdts) => {
        expect(pasidDirectoryIndex(pasid) * 64 + pasidTableIndex(pasid)).toBe(pasid);
        expect(pasidBeyondContextLimit(pasid, pdts)).toBe(pasid >= 2 ** (pdts + 7) * 64);
      }),
      { numRuns: 300 },
    );
  });
});

describe('PASID-directory entry', () => {
  const base = wordsFromU64s([0x55_5003n], 64);

  it('decodes P, FPD and SMPTBLPTR', () => {
    expect(PASID_DIRECTORY_ENTRY_LAYOUT.decode(base)).toEqual({ P: 1, FPD: 1, SMPTBLPTR: 0x55_5000n });
    expect(checkPasidDirectoryEntry(base, 48)).toEqual({ ok: true, value: { fpd: true, pasidTableAddress: 0x55_5000 } });
  });

  it('faults 0x51 when P=0, with its FPD', () => {
    expect(checkPasidDirectoryEntry(wordsFromU64s([0x55_5002n], 64), 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_PASID_DIR_NOT_PRESENT, fpd: true });
  });

  it.each([2, 7, 11])('faults 0x52 for reserved bit %i', (n) => {
    expect(checkPasidDirectoryEntry(withBit(base, n), 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_PASID_DIR_RESERVED });
  });

  it('faults 0x52 when SMPTBLPTR reaches HAW', () => {
    expect(checkPasidDirectoryEntry(withBit(base, 48), 48)).toMatchObject({ ok: false, reason: 0x52 });
    expect(checkPasidDirectoryEntry(withBit(base, 48), 49)).toMatchObject({ ok: true });
  });
});

describe('PASID-table entry field table', () => {
  it('places every field of §9.6 at its bits', () => {
    const words = PASID_ENTRY_LAYOUT.encode({
      P: 1, FPD: 1, AW: 3, SLEE: 1, PGTT: 2, SLADE: 1, SLPTPTR: 0xabc000,
      DID: 0xbeef, PWSNP: 1, PGSNP: 1, CD: 1, EMTE: 1, EMT: 5, PWT: 1, PCD: 1, PAT: 0x1234_5678,
      SRE: 1, ERE: 1, FLPM: 1, WPE: 1, NXE: 1, SMEP: 1, EAFE: 1, FLPTPTR: 0xdef000,
    });
    expect(u64sFromWords(words)).toEqual([0xab_c2afn, 0x1234_5678_ef80_beefn, 0xde_f0f7n, 0n, 0n, 0n, 0n, 0n]);
    expect(PASID_ENTRY_LAYOUT.byteCount).toBe(64);
    expect(PASID_ENTRY_LAYOUT.spec.fields.map((f) => f.name)).toEqual([
      'P', 'FPD', 'AW', 'SLEE', 'PGTT', 'SLADE', 'SLPTPTR', 'DID', 'PWSNP', 'PGSNP', 'CD', 'EMTE', 'EMT', 'PWT', 'PCD', 'PAT',
      'SRE', 'ERE', 'FLPM', 'WPE', 'NXE', 'SMEP', 'EAFE', 'FLPTPTR',
    ]);
    expect(PASID_ENTRY_LAYOUT.spec.fields.every((f) => typeof f.doc === 'string' && f.doc.length > 0)).toBe(true);
  });
});

describe('checkPasidEntry', () => {
  // Nested: P, AW 2, PGTT 3, SLPTPTR 0x1_0000_0000; DID 0x77, PWSNP, PAT 0x0007_0406;
  // SRE, FLPM 1 (5-level), WPE, EAFE, FLPTPTR 0x2_0000_0000.
  const nested = pasidEntry(0x1_0000_00c9n, (0x0007_0406n << 32n) | 0x80_0077n, 0x2_0000_0095n);

  it('decodes a nested entry to the typed configuration', () => {
    expect(checkPasidEntry(nested, caps, 48)).toEqual({
      ok: true,
      value: {
        fpd: false,
        pgtt: 3,
        domainId: 0x77,
        secondLevel: { tableAddress: 0x1_0000_0000, aw: 2, levels: 4, agaw: 48, executeEnable: false, accessedDirtyEnable: false },
        firstLevel: { tableAddress: 0x2_0000_0000, flpm: 1, levels: 5, inputWidth: 57, wpe: true, nxe: false, smep: false, eafe: true },
        sre: true,
        ere: false,
        pageWalkSnoop: true,
        pageSnoop: false,
        memoryType: { cd: false, emte: false, emt: 0, pwt: false, pcd: false, pat: 0x0007_0406 },
      },
    });
  });

  const pgtt = (type: number, aw = 2) => pasidEntry(0x3000n | (BigInt(type) << 6n) | (BigInt(aw) << 2n) | 1n, 0x9n, 0x4000n);

  it('decodes each PGTT with only the levels it uses', () => {
    expect(checkPasidEntry(pgtt(1), caps, 48)).toMatchObject({ ok: true, value: { pgtt: 1, secondLevel: undefined, firstLevel: { tableAddress: 0x4000, levels: 4 } } });
    expect(checkPasidEntry(pgtt(2), caps, 48)).toMatchObject({ ok: true, value: { pgtt: 2, firstLevel: undefined, secondLevel: { tableAddress: 0x3000, levels: 4 } } });
    expect(checkPasidEntry(pgtt(4), caps, 48)).toMatchObject({ ok: true, value: { pgtt: 4, firstLevel: undefined, secondLevel: undefined, domainId: 9 } });
  });

  it('faults 0x59 when P=0, with the entry FPD', () => {
    expect(checkPasidEntry(pasidEntry(0x2n), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT, fpd: true });
  });

  it.each([10, 11, 80, 86, 136, 139, 192, 300, 511])('faults 0x5A for reserved bit %i', (n) => {
    expect(checkPasidEntry(withBit(nested, n), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_PASID_ENTRY_RESERVED });
  });

  it.each([0, 5, 6, 7])('faults 0x5B for reserved PGTT %i', (type) => {
    expect(checkPasidEntry(pgtt(type), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_PASID_ENTRY_INVALID });
  });

  it.each([
    [1, 'flts'],
    [2, 'slts'],
    [3, 'nest'],
    [4, 'pt'],
  ] as const)('faults 0x5B for PGTT %i without ECAP.%s', (type, cap) => {
    expect(checkPasidEntry(pgtt(type), caps, 48)).toMatchObject({ ok: true });
    expect(checkPasidEntry(pgtt(type), withCaps({ [cap]: false }), 48)).toMatchObject({ ok: false, reason: 0x5b });
  });

  it.each([
    [128, 'srs'],
    [129, 'ers'],
    [135, 'eafs'],
    [9, 'slads'],
  ] as const)('faults 0x5A for bit %i set without ECAP.%s', (n, cap) => {
    const words = withBit(nested, n);
    expect(checkPasidEntry(words, caps, 48)).toMatchObject({ ok: true });
    expect(checkPasidEntry(words, withCaps({ [cap]: false }), 48)).toMatchObject({ ok: false, reason: 0x5a });
  });

  it('faults 0x5A when a host-physical pointer in use reaches HAW', () => {
    expect(checkPasidEntry(withBit(pgtt(2), 48), caps, 48)).toMatchObject({ ok: false, reason: 0x5a });
    expect(checkPasidEntry(withBit(pgtt(1), 48), caps, 48)).toMatchObject({ ok: true });
    expect(checkPasidEntry(withBit(pgtt(1), 128 + 48), caps, 48)).toMatchObject({ ok: false, reason: 0x5a });
    expect(checkPasidEntry(withBit(pgtt(2), 128 + 48), caps, 48)).toMatchObject({ ok: true });
    expect(checkPasidEntry(withBit(pgtt(4), 60), caps, 48)).toMatchObject({ ok: true });
  });

  it('faults 0x5B for an AW not in SAGAW when the second level is used', () => {
    expect(checkPasidEntry(pgtt(2, 0), caps, 48)).toMatchObject({ ok: false, reason: 0x5b });
    expect(checkPasidEntry(pgtt(3, 4), caps, 48)).toMatchObject({ ok: false, reason: 0x5b });
    expect(checkPasidEntry(pgtt(2, 3), caps, 48)).toMatchObject({ ok: true, value: { secondLevel: { levels: 5, agaw: 57 } } });
    expect(checkPasidEntry(pgtt(1, 0), caps, 48)).toMatchObject({ ok: true });
  });

  it('faults 0x5B for FLPM reserved or 5-level without CAP.FL5LP', () => {
    const flpm = (v: number) => pasidEntry(0x3000n | (1n << 6n) | 1n, 0n, 0x4000n | (BigInt(v) << 2n));
    expect(checkPasidEntry(flpm(0), caps, 48)).toMatchObject({ ok: true, value: { firstLevel: { levels: 4, inputWidth: 48 } } });
    expect(checkPasidEntry(flpm(1), caps, 48)).toMatchObject({ ok: true, value: { firstLevel: { levels: 5, inputWidth: 57 } } });
    expect(checkPasidEntry(flpm(1), withCaps({ fl5lp: false }), 48)).toMatchObject({ ok: false, reason: 0x5b });
    expect(checkPasidEntry(flpm(2), caps, 48)).toMatchObject({ ok: false, reason: 0x5b });
    expect(checkPasidEntry(flpm(3), caps, 48)).toMatchObject({ ok: false, reason: 0x5b });
  });

  it('faults 0x74 for a nested FLPTPTR (a GPA) at or beyond MGAW', () => {
    expect(checkPasidEntry(withBit(nested, 128 + 48), caps, 48)).toMatchObject({ ok: false, reason: VtdFaultReason.SM_FL_ADDRESS_BEYOND_MGAW });
    expect(checkPasidEntry(withBit(nested, 128 + 47), caps, 48)).toMatchObject({ ok: true, value: { firstLevel: { tableAddress: 2 ** 47 + 2 ** 33 } } });
  });

  it('never throws on arbitrary guest memory, and every fault is a PASID-entry reason', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (words, clearHigh) => {
        if (clearHigh) words.fill(0, 6);
        const result = checkPasidEntry(words, caps, 48);
        if (!result.ok) expect([0x59, 0x5a, 0x5b, 0x74]).toContain(result.reason);
        else expect(PASID_ENTRY_LAYOUT.hasReservedBits(words)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips random field values through the field table', () => {
    const bits = (n: number) => fc.integer({ min: 0, max: 2 ** n - 1 });
    fc.assert(
      fc.property(
        fc.record({
          P: bits(1), FPD: bits(1), AW: bits(3), SLEE: bits(1), PGTT: bits(3), SLADE: bits(1),
          SLPTPTR: fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }).map((v) => v << 12n),
          DID: bits(16), PWSNP: bits(1), PGSNP: bits(1), CD: bits(1), EMTE: bits(1), EMT: bits(3), PWT: bits(1), PCD: bits(1),
          PAT: fc.integer({ min: 0, max: 0xffff_ffff }), SRE: bits(1), ERE: bits(1), FLPM: bits(2), WPE: bits(1), NXE: bits(1),
          SMEP: bits(1), EAFE: bits(1), FLPTPTR: fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }).map((v) => v << 12n),
        }),
        (values) => {
          const words = PASID_ENTRY_LAYOUT.encode(values);
          expect(PASID_ENTRY_LAYOUT.decode(words)).toEqual(values);
          expect(PASID_ENTRY_LAYOUT.hasReservedBits(words)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
