import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { U64 } from '@viommu/core';
import { DEFAULT_SMMU_CAPABILITIES, L1CD, cdAddressFromL1Cd, locateCd, planCdFetch, type CdTableRef } from '../src/structures/index';

const caps = DEFAULT_SMMU_CAPABILITIES;
const l1cd = (v: number, l2ptr: bigint): U64 => {
  const w = L1CD.encode({ V: v, L2Ptr: l2ptr });
  return { lo: w[0]!, hi: w[1]! };
};
const table = (t: Partial<CdTableRef>): CdTableRef => ({ contextPtr: 0x8000_0000, contextPtrIsIpa: false, cdMax: 0, cdTableFormat: 'single', ...t });
const noRead = () => {
  throw new Error('no L1CD in this format');
};

describe('CD table formats [SPEC 5.2 S1Fmt, 5.3]', () => {
  it('single CD: S1ContextPtr, SubstreamID 0 only', () => {
    const t = table({ contextPtr: 0x8000_0040 });
    expect(locateCd(t, 0, caps, noRead)).toEqual({ ok: true, address: 0x8000_0040, l1Address: undefined });
    expect(locateCd(t, 1, caps, noRead)).toEqual({ ok: false, fault: 'C_BAD_SUBSTREAMID', reason: 'SSID_OUT_OF_RANGE' });
  });

  it('linear: S1ContextPtr + SSID × 64, the RES0 low bits treated as zero', () => {
    const t = table({ cdMax: 4, cdTableFormat: 'linear' });
    expect(locateCd(t, 5, caps, noRead)).toEqual({ ok: true, address: 0x8000_0140, l1Address: undefined });
    // 16 CDs = 1KB: S1ContextPtr[9:6] are RES0.
    expect(locateCd({ ...t, contextPtr: 0x8000_0240 }, 5, caps, noRead)).toMatchObject({ address: 0x8000_0140 });
    expect(locateCd(t, 16, caps, noRead)).toMatchObject({ ok: false, reason: 'SSID_OUT_OF_RANGE' });
  });

  it('2-level, 4KB leaves: L1CD index SSID[S1CDMax-1:6], CD index SSID[5:0]', () => {
    const t = table({ cdMax: 10, cdTableFormat: '2-level-4k' });
    const reads: number[] = [];
    const loc = locateCd(t, 0x1c5, caps, (a) => {
      reads.push(a);
      return l1cd(1, 0x9000_3000n);
    });
    expect(reads).toEqual([0x8000_0000 + 7 * 8]);
    expect(loc).toEqual({ ok: true, address: 0x9000_3000 + 5 * 64, l1Address: 0x8000_0038 });
  });

  it('2-level, 64KB leaves: L1CD index SSID[S1CDMax-1:10], L2Ptr[15:12] treated as zero', () => {
    // 1024 L1CDs = 8KB: S1ContextPtr aligned to 8KB.
    const t = table({ contextPtr: 0x8000_1000, cdMax: 20, cdTableFormat: '2-level-64k' });
    expect(planCdFetch(t, 0x12345, caps)).toEqual({ ok: true, kind: 'l1cd', address: 0x8000_0000 + 0x48 * 8 });
    expect(cdAddressFromL1Cd(t, 0x12345, l1cd(1, 0x9001_3000n), 0x8000_0240, caps)).toEqual({
      ok: true,
      address: 0x9001_0000 + 0x345 * 64,
      l1Address: 0x8000_0240,
    });
    // Few SubstreamIDs: a single L1CD, 64-byte aligned.
    expect(planCdFetch(table({ contextPtr: 0x8000_0040, cdMax: 6, cdTableFormat: '2-level-64k' }), 63, caps)).toEqual({ ok: true, kind: 'l1cd', address: 0x8000_0040 });
  });

  it('L1CD V == 0 and an out-of-range L2Ptr are C_BAD_SUBSTREAMID; an aborted L1CD read is F_CD_FETCH', () => {
    const t = table({ cdMax: 10, cdTableFormat: '2-level-4k' });
    expect(locateCd(t, 3, caps, () => l1cd(0, 0x9000_0000n))).toEqual({ ok: false, fault: 'C_BAD_SUBSTREAMID', reason: 'L1CD_INVALID' });
    expect(locateCd(t, 3, caps, () => l1cd(1, 1n << 48n))).toEqual({ ok: false, fault: 'C_BAD_SUBSTREAMID', reason: 'L2PTR_OUT_OF_RANGE' });
    expect(locateCd(t, 3, caps, () => undefined)).toEqual({ ok: false, fault: 'F_CD_FETCH', fetchAddress: 0x8000_0000 });
    // Pointers are IPAs under nesting and then checked against the IAS.
    const ipa = { ...t, contextPtrIsIpa: true };
    expect(locateCd(ipa, 3, { ...caps, ias: 52, oasBits: 48 }, () => l1cd(1, 1n << 48n))).toMatchObject({ ok: true, address: 2 ** 48 + 3 * 64 });
  });

  it('a CD address indexed beyond the OAS from S1ContextPtr is C_BAD_STE', () => {
    const t = table({ contextPtr: 2 ** 48 - 64, cdMax: 0, cdTableFormat: 'single' });
    expect(planCdFetch(t, 0, caps)).toEqual({ ok: true, kind: 'cd', address: 2 ** 48 - 64 });
    expect(planCdFetch({ ...t, contextPtr: 2 ** 48 }, 0, caps)).toEqual({ ok: false, fault: 'C_BAD_STE' });
  });

  it('agrees with a bigint reference for any format, S1CDMax and SubstreamID', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('linear' as const, '2-level-4k' as const, '2-level-64k' as const),
        fc.integer({ min: 1, max: 20 }),
        fc.bigInt({ min: 0n, max: (1n << 42n) - 1n }).map((x) => x << 6n),
        fc.bigInt({ min: 0n, max: (1n << 36n) - 1n }).map((x) => x << 12n),
        fc.nat({ max: 0xfffff }),
        (fmt, cdMax, ptr, l2, rawSsid) => {
          const ssid = rawSsid % 2 ** cdMax;
          const t = table({ contextPtr: Number(ptr), cdMax, cdTableFormat: fmt });
          let l1: bigint | undefined;
          const loc = locateCd(t, ssid, caps, (a) => {
            l1 = BigInt(a);
            return l1cd(1, l2);
          });
          const s = BigInt(ssid);
          let refCd: bigint;
          let refL1: bigint | undefined;
          if (fmt === 'linear') {
            refCd = ((ptr >> BigInt(cdMax + 6)) << BigInt(cdMax + 6)) + s * 64n;
          } else {
            const leaf = fmt === '2-level-4k' ? 6n : 10n;
            const align = BigInt(Math.max(6, cdMax - Number(leaf) + 3));
            refL1 = ((ptr >> align) << align) + (s >> leaf) * 8n;
            refCd = ((l2 >> (leaf + 6n)) << (leaf + 6n)) + (s & ((1n << leaf) - 1n)) * 64n;
          }
          expect(loc.ok).toBe(true);
          if (loc.ok) expect(BigInt(loc.address)).toBe(refCd);
          expect(l1).toBe(refL1);
        },
      ),
      { numRuns: 400 },
    );
  });
});
