import { describe, expect, it } from 'vitest';
import { isIommuError, tableBytes } from '@viommu/core';
import {
  createStage1Format,
  createStage2Format,
  stage1WalkGeometry,
  stage1StartLevel,
  stage2WalkGeometry,
  stage2GeometryValid,
  stage2StartLevelForSl0,
  vmsaLevelShift,
  type VmsaGranuleBits,
} from '../src/vmsa/index';

/** Reference §4 stage-1 start levels, written as the ranges the reference lists (plus 64K 52-bit VA). */
const S1_START: Record<VmsaGranuleBits, [number, number, number][]> = {
  12: [
    [16, 24, 0],
    [25, 33, 1],
    [34, 39, 2],
  ],
  14: [
    [16, 16, 0],
    [17, 27, 1],
    [28, 38, 2],
    [39, 39, 3],
  ],
  16: [
    [12, 21, 1],
    [22, 34, 2],
    [35, 39, 3],
  ],
};

/** Reference §4 S2SL0 → start level (undefined: reserved). */
const S2_SL0: Record<VmsaGranuleBits, (number | undefined)[]> = {
  12: [2, 1, 0, 3],
  14: [3, 2, 1, 0],
  16: [3, 2, 1, undefined],
};

/**
 * Usable stage-2 T0SZ ranges per (granule, SL0), worked out by hand from "1 to stride + 4 bits at the start
 * level" and T0SZ ≥ 16 (12 for 64K), ≤ 39. They match the ARM ARM's stage-2 T0SZ tables (e.g. 4K SL0 = 1:
 * T0SZ 21–33).
 */
const S2_T0SZ: Record<VmsaGranuleBits, ([number, number] | undefined)[]> = {
  12: [[30, 39], [21, 33], [16, 24], undefined],
  14: [[35, 39], [24, 38], [16, 27], undefined],
  16: [[31, 39], [18, 34], [12, 21], undefined],
};

const GRANULES: VmsaGranuleBits[] = [12, 14, 16];

describe('stage-1 start level', () => {
  for (const g of GRANULES) {
    it(`matches the reference table for every TxSZ, ${2 ** (g - 10)}K granule`, () => {
      const min = g === 16 ? 12 : 16;
      let checked = 0;
      for (let tsz = 0; tsz < 64; tsz++) {
        const row = S1_START[g].find(([lo, hi]) => tsz >= lo && tsz <= hi);
        if (!row) {
          expect(() => stage1StartLevel(g, tsz)).toThrow();
          continue;
        }
        expect(tsz).toBeGreaterThanOrEqual(min);
        expect(stage1StartLevel(g, tsz)).toBe(row[2]);
        const geo = stage1WalkGeometry(g, tsz);
        expect(geo.startLevel).toBe(row[2]);
        expect(geo.levels).toBe(4 - row[2]);
        expect(geo.archLevels).toEqual(Array.from({ length: 4 - row[2] }, (_, d) => row[2] + d));
        // The index bits plus the page offset cover exactly the input size, the root never exceeds a stride.
        expect(geo.indexBits.reduce((a, b) => a + b, 0) + g).toBe(64 - tsz);
        expect(geo.indexBits[0]).toBeGreaterThanOrEqual(1);
        expect(geo.indexBits[0]).toBeLessThanOrEqual(g - 3);
        expect(geo.concatenated).toBe(1);
        expect(geo.shifts[geo.levels - 1]).toBe(g);
        checked++;
      }
      expect(checked).toBe(40 - min);
    });
  }

  it('level shifts are the architectural block sizes', () => {
    expect([0, 1, 2, 3].map((l) => vmsaLevelShift(12, l))).toEqual([39, 30, 21, 12]);
    expect([0, 1, 2, 3].map((l) => vmsaLevelShift(14, l))).toEqual([47, 36, 25, 14]);
    expect([1, 2, 3].map((l) => vmsaLevelShift(16, l))).toEqual([42, 29, 16]);
  });

  it('16K at TxSZ 16 has a two-entry level-0 table; 64K at TxSZ 12 a 1024-entry level-1 table', () => {
    expect(stage1WalkGeometry(14, 16).indexBits).toEqual([1, 11, 11, 11]);
    expect(stage1WalkGeometry(16, 12).indexBits).toEqual([10, 13, 13]);
    expect(stage1WalkGeometry(12, 39).indexBits).toEqual([4, 9]);
  });

  it('rejects out-of-range TxSZ with an IommuError', () => {
    for (const bad of [15, 40, 12.5, -1]) {
      try {
        stage1WalkGeometry(12, bad);
        expect.unreachable();
      } catch (e) {
        expect(isIommuError(e, 'ARGUMENT')).toBe(true);
      }
    }
  });
});

describe('stage-2 start level and SL0/T0SZ consistency', () => {
  it('maps SL0 to the reference start levels', () => {
    for (const g of GRANULES) {
      for (let sl0 = 0; sl0 < 4; sl0++) expect(stage2StartLevelForSl0(g, sl0)).toBe(S2_SL0[g][sl0]);
      expect(stage2StartLevelForSl0(g, 4)).toBeUndefined();
    }
  });

  for (const g of GRANULES) {
    it(`accepts exactly the hand-derived T0SZ ranges, ${2 ** (g - 10)}K granule`, () => {
      for (let sl0 = 0; sl0 < 4; sl0++) {
        for (let t0sz = 0; t0sz < 64; t0sz++) {
          const range = S2_T0SZ[g][sl0];
          const expected = range !== undefined && t0sz >= range[0] && t0sz <= range[1];
          expect(stage2GeometryValid(g, t0sz, sl0, 52), `t0sz ${t0sz} sl0 ${sl0}`).toBe(expected);
          if (expected) {
            const geo = stage2WalkGeometry(g, t0sz, sl0);
            expect(geo.startLevel).toBe(S2_SL0[g][sl0]);
            expect(geo.indexBits.reduce((a, b) => a + b, 0) + g).toBe(64 - t0sz);
            const rootBits = geo.indexBits[0]!;
            expect(geo.concatenated).toBe(rootBits > g - 3 ? 2 ** (rootBits - (g - 3)) : 1);
            expect(geo.concatenated).toBeLessThanOrEqual(16);
            expect(geo.rootBytes).toBe(8 * 2 ** rootBits);
          } else {
            expect(() => stage2WalkGeometry(g, t0sz, sl0)).toThrow();
          }
        }
      }
    });
  }

  it('needs a PA size of 44 bits for 4K/64K SL0 = 2 and 42 bits for 16K SL0 = 2', () => {
    expect(stage2GeometryValid(12, 24, 2, 40)).toBe(false);
    expect(stage2GeometryValid(12, 24, 2, 42)).toBe(false);
    expect(stage2GeometryValid(12, 24, 2, 44)).toBe(true);
    expect(stage2GeometryValid(14, 24, 2, 40)).toBe(false);
    expect(stage2GeometryValid(14, 24, 2, 42)).toBe(true);
    expect(stage2GeometryValid(16, 20, 2, 42)).toBe(false);
    expect(stage2GeometryValid(16, 20, 2, 44)).toBe(true);
    // SL0 = 0 and 1 do not depend on the PA size.
    expect(stage2GeometryValid(12, 32, 0, 32)).toBe(true);
    expect(stage2GeometryValid(12, 24, 1, 32)).toBe(true);
  });

  it('concatenates root tables: known answers', () => {
    // 40-bit IPA, 4K, start at L1: 10 bits at L1 = 2 tables, 8 KB root (the usual KVM layout).
    const kvm = stage2WalkGeometry(12, 24, 1);
    expect([kvm.startLevel, kvm.indexBits[0], kvm.concatenated, kvm.rootBytes]).toEqual([1, 10, 2, 8192]);
    // 43-bit IPA at L1: 13 bits = 16 tables of 4 KB = 64 KB.
    const max = stage2WalkGeometry(12, 21, 1);
    expect([max.indexBits[0], max.concatenated, max.rootBytes]).toEqual([13, 16, 65536]);
    // 34-bit IPA at L2: 13 bits = 16 tables.
    expect(stage2WalkGeometry(12, 30, 0).concatenated).toBe(16);
    // 48-bit IPA, 16K, at L1: 12 bits = 2 tables of 16 KB.
    const k16 = stage2WalkGeometry(14, 16, 2);
    expect([k16.indexBits[0], k16.concatenated, k16.rootBytes]).toEqual([12, 2, 32768]);
    // 46-bit IPA, 64K, at L2: 17 bits = 16 tables of 64 KB = 1 MB root.
    const k64 = stage2WalkGeometry(16, 18, 1);
    expect([k64.indexBits[0], k64.concatenated, k64.rootBytes]).toEqual([17, 16, 1 << 20]);
    // 48-bit IPA, 4K, at L0: one table, no concatenation.
    expect(stage2WalkGeometry(12, 16, 2).concatenated).toBe(1);
  });

  it('the format root is the concatenated size, and the builder aligns it to that size', () => {
    const f = createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 48 });
    expect(tableBytes(f, 0)).toBe(8192);
    expect(f.name).toContain('2 concatenated');
    expect(f.indexBits).toEqual([10, 9, 9]);
    expect(f.archLevels).toEqual([1, 2, 3]);
  });

  it('the stage-2 factory rejects unusable SL0/T0SZ with an IommuError', () => {
    for (const [t0sz, sl0, oas] of [
      [16, 1, 48], // 48-bit IPA cannot start at L1 with 4K
      [24, 3, 48], // SL0 = 3 needs small translation tables
      [24, 2, 40], // L0 needs a 44-bit PA
      [40, 0, 48], // T0SZ above 39
    ]) {
      try {
        createStage2Format({ granuleBits: 12, t0sz: t0sz!, sl0: sl0!, outputBits: Math.min(oas!, 40), oasBits: oas! });
        expect.unreachable();
      } catch (e) {
        expect(isIommuError(e, 'ARGUMENT')).toBe(true);
      }
    }
  });
});

describe('leaf levels and output sizes', () => {
  it('allows blocks at 4K L1/L2, 16K L2, 64K L2 (and L1 with a 52-bit PA)', () => {
    expect(createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 48 }).leafDepths).toEqual([false, true, true, true]);
    expect(createStage1Format({ granuleBits: 14, tsz: 16, outputBits: 48 }).leafDepths).toEqual([false, false, true, true]);
    expect(createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 48 }).leafDepths).toEqual([false, true, true]);
    expect(createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 48, oasBits: 48 }).leafDepths).toEqual([false, true, true]);
    expect(createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 48, oasBits: 52 }).leafDepths).toEqual([true, true, true]);
  });

  it('treats a 52-bit output as 48 bits for the 4K and 16K granules', () => {
    expect(createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 52 }).outputBits).toBe(48);
    expect(createStage2Format({ granuleBits: 14, t0sz: 16, sl0: 2, outputBits: 52 }).outputBits).toBe(48);
    const f = createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 52 });
    expect([f.outputBits, f.lpa]).toEqual([52, true]);
  });

  it('rejects output sizes outside 32..52 or above the implemented size, and stage-1 HD', () => {
    expect(() => createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 56 })).toThrow();
    expect(() => createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 48, oasBits: 44 })).toThrow();
    try {
      createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 48, ha: true, hd: true });
      expect.unreachable();
    } catch (e) {
      expect(isIommuError(e, 'CONFIG_UNSUPPORTED')).toBe(true);
    }
  });

  it('names the instance', () => {
    expect(createStage1Format({ granuleBits: 12, tsz: 25, outputBits: 40 }).name).toBe(
      'VMSAv8-64 stage 1, 4K granule, start level 1, 39-bit input, 40-bit output',
    );
  });
});
