import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PoolAllocator, SparseMemory, readWords } from '@viommu/core';
import { checkPasidEntry, DEFAULT_VTD_CAPABILITIES, SCALABLE_ROOT_ENTRY_LAYOUT } from '../src/structures/index';
import {
  ContextTables,
  coveringRegion,
  DomainIdAllocator,
  firstLevelPasidEntry,
  iotlbRange,
  nestedPasidEntry,
  notPresentPasidEntry,
  passThroughPasidEntry,
  pasidEntryFlush,
  pasidIotlbRange,
  PasidTables,
  pdtsForPasidBits,
  secondLevelPasidEntry,
  summarizePasidEntry,
} from '../src/driver/index';
import { qwords } from './support/host';

const caps = DEFAULT_VTD_CAPABILITIES;

describe('PASID-entry builders (known answers worked out from §9.6)', () => {
  it('nested: PGTT 011b with both halves', () => {
    const w = nestedPasidEntry({ did: 5, slptptr: 0x12_3000, aw: 2, pwsnp: true }, { flptptr: 0x8000_1000, flpm: 0, sre: true, wpe: true, eafe: true });
    // qw0: SLPTPTR | PGTT 3 << 6 | AW 2 << 2 | P; qw1: PWSNP (bit 87 = qw1 bit 23) | DID;
    // qw2: FLPTPTR (bits 191:140 = qw2 bits 63:12) | EAFE (135 → 7) | WPE (132 → 4) | SRE (128 → 0).
    expect(qwords(w)).toEqual([0x12_30c9n, 0x80_0005n, 0x8000_1091n, 0n, 0n, 0n, 0n, 0n]);
    const c = checkPasidEntry(w, caps);
    expect(c.ok && [c.value.pgtt, c.value.sre, c.value.firstLevel?.wpe, c.value.firstLevel?.eafe, c.value.secondLevel?.levels]).toEqual([3, true, true, true, 4]);
  });

  it('WPE is written only with SRE, FLPM 1 selects five levels, FPD from either half', () => {
    const w = nestedPasidEntry({ did: 1, slptptr: 0x1000, aw: 3, fpd: true }, { flptptr: 0x2000, flpm: 1, wpe: true, nxe: true, smep: true, ere: true });
    // qw2: FLPTPTR 0x2000 | SMEP (134 → 6) | NXE (133 → 5) | FLPM 1 (130 → 2) | ERE (129 → 1); WPE dropped.
    expect(qwords(w)[2]).toBe(0x2000n | 0x40n | 0x20n | 0x4n | 0x2n);
    expect(qwords(w)[0]).toBe(0x1000n | 0xc0n | 0xcn | 0x2n | 1n);
  });

  it('second-level, first-level, pass-through and not-present entries', () => {
    expect(qwords(secondLevelPasidEntry({ did: 0x1234, slptptr: 0xabc_d000, aw: 1, pgsnp: true, sre: true }))).toEqual([0xabc_d085n, 0x100_1234n, 1n, 0n, 0n, 0n, 0n, 0n]);
    expect(qwords(firstLevelPasidEntry(7, { flptptr: 0x5000, flpm: 0, sre: true }))).toEqual([0x41n, 7n, 0x5001n, 0n, 0n, 0n, 0n, 0n]);
    expect(qwords(passThroughPasidEntry(9, true))).toEqual([0x103n, 9n, 0n, 0n, 0n, 0n, 0n, 0n]);
    expect(qwords(notPresentPasidEntry(true))).toEqual([2n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
    expect(summarizePasidEntry(passThroughPasidEntry(9))).toEqual({ present: true, did: 9, pgtt: 4 });
  });

  it('every builder output passes the structures checks with the default capabilities', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff }), fc.nat({ max: 2 ** 36 - 1 }), fc.constantFrom(1, 2, 3), fc.boolean(), fc.boolean(), fc.constantFrom<0 | 1>(0, 1), (did, page, aw, sre, eafe, flpm) => {
        const sl = { did, slptptr: page * 4096, aw };
        const fl = { flptptr: page * 4096, flpm, sre, eafe };
        for (const w of [secondLevelPasidEntry(sl), nestedPasidEntry(sl, fl), firstLevelPasidEntry(did, fl), passThroughPasidEntry(did)]) {
          const c = checkPasidEntry(w, caps);
          expect(c.ok).toBe(true);
          if (c.ok) expect(c.value.domainId).toBe(did);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('invalidation requests', () => {
  it('coveringRegion is the smallest aligned 2^AM-page region covering the range (bigint reference)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 30 }), (address, size) => {
        const r = coveringRegion(address, size);
        const first = BigInt(address) >> 12n;
        const last = (BigInt(address) + BigInt(size) - 1n) >> 12n;
        let am = 0n;
        while (first >> am !== last >> am) am++;
        expect(r).toEqual({ address: Number((first >> am) << (am + 12n)), am: Number(am) });
      }),
      { numRuns: 200 },
    );
  });

  it('falls back to coarser granularity beyond CAP.MAMV or without CAP.PSI', () => {
    expect(iotlbRange(caps, 3, 0x20_2000, 0x2000)).toMatchObject({ type: 2, granularity: 'page', am: 1, address: 0x20_2000n });
    expect(iotlbRange(caps, 3, 0x20_1000, 0x2000)).toMatchObject({ type: 2, granularity: 'page', am: 2, address: 0x20_0000n });
    expect(iotlbRange({ ...caps, psi: false }, 3, 0x20_1000, 0x2000)).toMatchObject({ type: 2, granularity: 'domain', did: 3 });
    expect(iotlbRange(caps, 3, 0, 2 ** (12 + caps.mamv + 1))).toMatchObject({ granularity: 'domain' });
    expect(pasidIotlbRange(caps, 3, 9, 0x5000, 0x1000, true)).toEqual({ type: 6, granularity: 'page', did: 3, pasid: 9, am: 0, ih: true, address: 0x5000n });
    expect(pasidIotlbRange(caps, 3, 9, 0, 2 ** (12 + caps.mamv + 1))).toMatchObject({ type: 6, granularity: 'pasid' });
  });

  it('tearing down a PASID entry: PASID-based IOTLB for first-level / nested, domain IOTLB otherwise', () => {
    expect(pasidEntryFlush(4, 2, 3).map((d) => [d.type, 'granularity' in d ? d.granularity : ''])).toEqual([[7, 'pasid'], [6, 'pasid']]);
    expect(pasidEntryFlush(4, 2, 2).map((d) => [d.type, 'granularity' in d ? d.granularity : ''])).toEqual([[7, 'pasid'], [2, 'domain']]);
  });
});

describe('tables', () => {
  const memory = new SparseMemory().back(0, 0x100_0000);

  it('PasidTables: directory sized by PDTS, tables on demand, entries at PASID[5:0] × 64', () => {
    const t = new PasidTables(memory, new PoolAllocator(memory, 0x1000, 0x80_0000), pdtsForPasidBits(20));
    expect(t.directoryEntries).toBe(2 ** 14);
    expect(t.pasidLimit).toBe(2 ** 20);
    expect(t.entryAddress(130)).toBeUndefined();
    t.writeEntry(130, passThroughPasidEntry(3));
    const table = t.tableOf(2)!;
    expect(t.entryAddress(130)).toBe(table + 2 * 64);
    expect(t.readDirectoryEntry(2)).toEqual({ present: true, fpd: false, table });
    expect(qwords(readWords(memory, t.directory + 2 * 8, 2)!)).toEqual([BigInt(table) | 1n]);
    t.writeDirectoryEntry(2, false, true);
    expect(t.readDirectoryEntry(2)).toEqual({ present: false, fpd: true, table: 0 });
    expect(() => t.writeEntry(2 ** 20, passThroughPasidEntry(3))).toThrow();
  });

  it('pdtsForPasidBits covers the PASIDs with the smallest directory', () => {
    for (let bits = 0; bits <= 20; bits++) {
      const pdts = pdtsForPasidBits(bits);
      expect(2 ** (pdts + 7) * 64).toBeGreaterThanOrEqual(2 ** bits);
      if (pdts > 0) expect(2 ** (pdts + 6) * 64).toBeLessThan(2 ** bits);
    }
  });

  it('ContextTables: scalable root entries point devfn 0–127 and 128–255 to separate tables', () => {
    const c = new ContextTables(memory, new PoolAllocator(memory, 0x90_0000, 0x10_0000), true);
    c.writeEntry(0x0305, new Uint32Array(8).fill(1));
    c.writeEntry(0x0385, new Uint32Array(8).fill(2));
    const root = readWords(memory, c.root + 3 * 16, 4)!;
    const lower = Number(SCALABLE_ROOT_ENTRY_LAYOUT.getBig(root, 'LCTP'));
    const upper = Number(SCALABLE_ROOT_ENTRY_LAYOUT.getBig(root, 'UCTP'));
    expect([SCALABLE_ROOT_ENTRY_LAYOUT.get(root, 'LP'), SCALABLE_ROOT_ENTRY_LAYOUT.get(root, 'UP')]).toEqual([1, 1]);
    expect(c.entryAddress(0x0305)).toBe(lower + 5 * 32);
    expect(c.entryAddress(0x0385)).toBe(upper + 5 * 32);
    expect(Array.from(c.readEntry(0x0385))).toEqual(new Array(8).fill(2));
    const legacy = new ContextTables(memory, new PoolAllocator(memory, 0xa0_0000, 0x10_0000), false);
    legacy.writeEntry(0x0385, new Uint32Array(4).fill(3));
    expect(qwords(readWords(memory, legacy.root + 3 * 16, 4)!)[0]! & 1n).toBe(1n);
    expect(legacy.entryAddress(0x0385)! - legacy.entryAddress(0x0300)!).toBe(0x85 * 16);
  });

  it('DomainIdAllocator never hands out DID 0 and reuses freed ones', () => {
    const a = new DomainIdAllocator(0);
    const got = Array.from({ length: 15 }, () => a.allocate());
    expect(new Set(got).size).toBe(15);
    expect(got).not.toContain(0);
    expect(() => a.allocate()).toThrow(expect.objectContaining({ code: 'OUT_OF_MEMORY' }));
    a.free(7);
    expect(a.allocate()).toBe(7);
  });
});
