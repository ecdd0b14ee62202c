import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIommuError } from '@viommu/core';
import {
  DEFAULT_SMMU_CAPABILITIES,
  DEFAULT_SMMU_IDR,
  SMMU_IDR0,
  SMMU_IDR5,
  STRTAB_BASE_CFG,
  addressSizeBits,
  addressSizeCode,
  decodeCapabilities,
  decodeStreamTableConfig,
  effectiveSplit,
  encodeIdRegisters,
  granuleFromTg0,
  granuleFromTg1,
  granuleFromTlbiTg,
  tableEndiannessSupported,
  tg0FromGranule,
  tg1FromGranule,
} from '../src/structures/index';

/** Independent bit extraction for the hand-worked register values. */
const bits = (v: number, hi: number, lo: number) => Math.floor(v / 2 ** lo) % 2 ** (hi - lo + 1);

describe('SMMU_IDR0/1/5 and capabilities', () => {
  it('the default IDRs are the documented fully-featured SMMUv3', () => {
    const { idr0, idr1, idr5 } = DEFAULT_SMMU_IDR;
    // IDR0 = 0x084D769B worked out bit by bit.
    expect(bits(idr0, 0, 0)).toBe(1); // S2P
    expect(bits(idr0, 1, 1)).toBe(1); // S1P
    expect(bits(idr0, 3, 2)).toBe(2); // TTF = AArch64
    expect(bits(idr0, 7, 6)).toBe(2); // HTTU = AF + dirty
    expect(bits(idr0, 9, 9)).toBe(1); // Hyp
    expect(bits(idr0, 10, 10)).toBe(1); // ATS
    expect(bits(idr0, 12, 12)).toBe(1); // ASID16
    expect(bits(idr0, 16, 16)).toBe(1); // PRI
    expect(bits(idr0, 18, 18)).toBe(1); // VMID16
    expect(bits(idr0, 19, 19)).toBe(1); // CD2L
    expect(bits(idr0, 22, 21)).toBe(2); // TTENDIAN little
    expect(bits(idr0, 25, 24)).toBe(0); // STALL_MODEL stall + terminate
    expect(bits(idr0, 28, 27)).toBe(1); // ST_LEVEL 2-level
    expect(bits(idr1, 5, 0)).toBe(16); // SIDSIZE
    expect(bits(idr1, 10, 6)).toBe(20); // SSIDSIZE
    expect(bits(idr5, 2, 0)).toBe(5); // OAS 48 bits
    expect(bits(idr5, 6, 4)).toBe(7); // GRAN4K/16K/64K
    expect(bits(idr5, 11, 10)).toBe(0); // VAX 48-bit
    const c = DEFAULT_SMMU_CAPABILITIES;
    expect(c).toMatchObject({
      s1p: true,
      s2p: true,
      ttfAArch32: false,
      ttfAArch64: true,
      httu: 2,
      hyp: true,
      ats: true,
      asid16: true,
      vmid16: true,
      cd2l: true,
      pri: true,
      stLevel: 1,
      ttEndian: 2,
      sidSize: 16,
      ssidSize: 20,
      oas: 5,
      oasBits: 48,
      ias: 48,
      gran4k: true,
      gran16k: true,
      gran64k: true,
      stallMax: 128,
    });
  });

  it('capabilities → IDRs → capabilities round-trips, and the default IDRs re-encode exactly', () => {
    expect(encodeIdRegisters(DEFAULT_SMMU_CAPABILITIES)).toEqual(DEFAULT_SMMU_IDR);
    const reservedFree = (layout: { spec: { reserved?: readonly (readonly [number, number])[] } }, extraClear = 0) => (v: number) => {
      const w = Uint32Array.of(v);
      for (const [hi, lo] of layout.spec.reserved ?? []) for (let b = lo; b <= hi; b++) w[0] = w[0]! & ~(1 << b);
      return (w[0]! & ~extraClear) >>> 0;
    };
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }).map(reservedFree(SMMU_IDR0)),
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }).map(reservedFree(SMMU_IDR5, 1 << 8)), // D128 is not modelled
        (idr0, idr1, idr5) => {
          const caps = decodeCapabilities({ idr0, idr1, idr5 });
          expect(encodeIdRegisters(caps)).toEqual({ idr0, idr1: idr1 >>> 0, idr5 });
          expect(decodeCapabilities(encodeIdRegisters(caps))).toEqual(caps);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('IAS is 40 bits when AArch32 LPAE tables are supported and the OAS is smaller', () => {
    const idr0 = SMMU_IDR0.encode({ S1P: 1, S2P: 1, TTF: 3 })[0]!;
    const small = decodeCapabilities({ idr0, idr1: 0, idr5: SMMU_IDR5.encode({ OAS: 1 })[0]! });
    expect(small.oasBits).toBe(36);
    expect(small.ias).toBe(40);
    const big = decodeCapabilities({ idr0, idr1: 0, idr5: SMMU_IDR5.encode({ OAS: 6 })[0]! });
    expect(big.ias).toBe(52);
  });

  it('rejects IDR5.D128 (VMSAv9-128 is not modelled)', () => {
    let caught: unknown;
    try {
      decodeCapabilities({ ...DEFAULT_SMMU_IDR, idr5: DEFAULT_SMMU_IDR.idr5 | 0x100 });
    } catch (e) {
      caught = e;
    }
    expect(isIommuError(caught, 'CONFIG_UNSUPPORTED')).toBe(true);
  });

  it('address sizes and granule encodings', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(addressSizeBits)).toEqual([32, 36, 40, 42, 44, 48, 52, 56]);
    expect(addressSizeCode(48)).toBe(5);
    expect(() => addressSizeCode(47)).toThrow();
    expect([0, 1, 2, 3].map(granuleFromTg0)).toEqual([12, 16, 14, undefined]);
    // TG1 is encoded differently from TG0.
    expect([0, 1, 2, 3].map(granuleFromTg1)).toEqual([undefined, 14, 12, 16]);
    expect([0, 1, 2, 3].map(granuleFromTlbiTg)).toEqual([undefined, 12, 14, 16]);
    for (const g of [12, 14, 16]) {
      expect(granuleFromTg0(tg0FromGranule(g))).toBe(g);
      expect(granuleFromTg1(tg1FromGranule(g))).toBe(g);
    }
    expect(tableEndiannessSupported({ ttEndian: 2 }, true)).toBe(false);
    expect(tableEndiannessSupported({ ttEndian: 3 }, false)).toBe(false);
    expect(tableEndiannessSupported({ ttEndian: 0 }, true)).toBe(true);
  });
});

describe('SMMU_STRTAB_BASE / STRTAB_BASE_CFG', () => {
  const caps = DEFAULT_SMMU_CAPABILITIES;
  const cfg = (log2size: number, split: number, fmt: number) => STRTAB_BASE_CFG.encode({ LOG2SIZE: log2size, SPLIT: split, FMT: fmt })[0]!;

  it('effective LOG2SIZE is MIN(LOG2SIZE, SIDSIZE)', () => {
    expect(decodeStreamTableConfig(0n, cfg(20, 8, 1), caps).log2Size).toBe(16);
    expect(decodeStreamTableConfig(0n, cfg(10, 8, 1), caps).log2Size).toBe(10);
  });

  it('reserved SPLIT values behave as 6, reserved FMT values as linear', () => {
    expect([0, 6, 7, 8, 9, 10, 11, 31].map(effectiveSplit)).toEqual([6, 6, 6, 8, 6, 10, 6, 6]);
    expect(decodeStreamTableConfig(0n, cfg(16, 7, 1), caps).split).toBe(6);
    expect(decodeStreamTableConfig(0n, cfg(16, 8, 2), caps).format).toBe('linear');
    expect(decodeStreamTableConfig(0n, cfg(16, 8, 3), caps).format).toBe('linear');
    expect(decodeStreamTableConfig(0n, cfg(16, 8, 1), caps).format).toBe('2-level');
    // FMT is RES0 when only linear tables are supported.
    expect(decodeStreamTableConfig(0n, cfg(16, 8, 1), { ...caps, stLevel: 0 }).format).toBe('linear');
  });

  it('aligns the base to the table size: linear ADDR[LOG2SIZE+5:0], 2-level ADDR[MAX(5, LOG2SIZE-SPLIT+2):0]', () => {
    // Linear, 256 STEs = 16KB: bits [13:0] ignored.
    const lin = decodeStreamTableConfig(0x4000_3040n, cfg(8, 6, 0), caps);
    expect(lin.programmedBase).toBe(0x4000_3040);
    expect(lin.base).toBe(0x4000_0000);
    // 2-level, LOG2SIZE 16, SPLIT 8: 256 L1STDs = 2KB: bits [10:0] ignored.
    expect(decodeStreamTableConfig(0x8000_07c0n, cfg(16, 8, 1), caps).base).toBe(0x8000_0000);
    expect(decodeStreamTableConfig(0x8000_0840n, cfg(16, 8, 1), caps).base).toBe(0x8000_0800);
    // 2-level with few L1STDs: the 64-byte minimum, ADDR[5:0].
    const small = decodeStreamTableConfig(0x8000_0040n, cfg(6, 8, 1), caps);
    expect(small.base).toBe(0x8000_0040);
    expect(small.l1Entries).toBe(1);
    // The literal LOG2SIZE sets the alignment even beyond SIDSIZE.
    expect(decodeStreamTableConfig(0x8040_0000n, cfg(20, 6, 0), caps).base).toBe(0x8000_0000);
  });

  it('decodes RA and accepts the register as halves', () => {
    const c = decodeStreamTableConfig({ hi: 0x4000_0000, lo: 0x1000_0000 }, cfg(8, 6, 0), caps);
    expect(c.readAllocate).toBe(true);
    expect(c.programmedBase).toBe(0x1000_0000);
    expect(c.l1Entries).toBe(0);
  });
});
