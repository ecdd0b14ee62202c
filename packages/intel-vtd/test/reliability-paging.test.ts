/**
 * Malformed-input matrix, VT-d row 1 (paging entries): every reserved bit of every first-level and
 * second-level entry a translation uses — at every level, table entries and 4 KiB / 2 MiB / 1 GiB leaves —
 * set one at a time gives the architected fault (0x72 first level; 0xC legacy and 0x7A scalable second
 * level), never a translation; FPD suppresses the record; clearing the bit translates again. The entries are
 * found from the walk's trace, and the reserved bits come from the paging formats' exported masks (VT-d spec
 * §9.7, §9.8): address bits 51:HAW, XD without NXE, PS where no large page exists, a large leaf's reserved
 * bits, SNP in second-level table entries (and leaves without snoop control), TM.
 */
import { afterAll, describe, it, expect } from 'vitest';
import { reservedAddressHiMask } from '../src/paging/entry-address';
import { FL, FL_HI, SL, SL_HI } from '../src/paging/index';
import { LEGACY_CONTEXT_ENTRY_LAYOUT, VtdFaultReason as FR } from '../src/structures/index';
import {
  distinctEntries,
  expectAll,
  expectedReservedProbe,
  legacyScenario,
  maskBits,
  okOutcome,
  probeBits,
  scalableScenario,
  traced,
  withFpd,
  type PageSize,
  type Scenario,
} from './support-reliability';

interface Masks {
  lo: number;
  hi: number;
}

/** Reserved bits probed, by fault reason (printed with RELIABILITY_STATS=1). */
const probedByReason = new Map<number, number>();
afterAll(() => {
  if (process.env.RELIABILITY_STATS) console.log(Object.fromEntries([...probedByReason].map(([r, n]) => [`0x${r.toString(16)}`, n])));
});

/** log2 of the page a level maps: 12, 21, 30… */
const pageShiftOf = { '4k': 12, '2m': 21, '1g': 30 } as const;

/**
 * Reserved bits of a first-level entry at `level` (§9.7): address bits 51:HAW unless nested (the entries hold
 * GPAs there), XD without NXE, PS in a PML5E/PML4E or in a PDPE without FL1GP, bits 20:13 / 29:13 of a
 * 2 MiB / 1 GiB leaf.
 */
function firstLevelReserved(level: number, lo: number, o: { haw: number; nxe: boolean; fl1gp: boolean; nested: boolean }): Masks {
  const largeAllowed = level === 2 || (level === 3 && o.fl1gp);
  const leaf = level === 1 || ((lo & FL.PS) !== 0 && largeAllowed);
  let loMask = 0;
  if (level > 1 && !leaf && !largeAllowed) loMask |= FL.PS;
  if (leaf && level === 2) loMask |= FL.RESERVED_2M;
  if (leaf && level === 3) loMask |= FL.RESERVED_1G;
  const hi = (o.nested ? 0 : reservedAddressHiMask(o.haw)) | (o.nxe ? 0 : FL_HI.XD);
  return { lo: loMask >>> 0, hi: hi >>> 0 };
}

/**
 * Reserved bits of a second-level entry at `level` (§9.8): address bits 51:HAW, TM, SNP in table entries
 * (and in leaves without snoop control), PS where CAP.SLLPS has no page of that size (always in
 * PML5E/PML4E), bits 20:12 / 29:12 of a 2 MiB / 1 GiB leaf.
 */
function secondLevelReserved(level: number, lo: number, o: { haw: number; sl2M: boolean; sl1G: boolean; leafSnp: boolean }): Masks {
  const largeAllowed = (level === 2 && o.sl2M) || (level === 3 && o.sl1G);
  const leaf = level === 1 || ((lo & SL.PS) !== 0 && largeAllowed);
  let loMask = 0;
  if (!leaf || !o.leafSnp) loMask |= SL.SNP;
  if (level > 1 && !leaf && !largeAllowed) loMask |= SL.PS;
  if (leaf && level === 2) loMask |= SL.RESERVED_2M;
  if (leaf && level === 3) loMask |= SL.RESERVED_1G;
  return { lo: loMask >>> 0, hi: (reservedAddressHiMask(o.haw) | SL_HI.TM) >>> 0 };
}

const bitsOf = (m: Masks) => [...maskBits(m.lo, 0), ...maskBits(m.hi, 32)];

/**
 * Traces the scenario's (valid) translation, checks that `stage` used exactly `expectedLevels` (top level
 * down to the leaf), and probes every reserved bit of each entry, expecting `reason` (always qualified).
 */
function probeWalk(s: Scenario, stage: 1 | 2, expectedLevels: number[] | undefined, masksOf: (level: number, lo: number) => Masks, reason: number): number {
  const { outcome, trace } = traced(s);
  expect(outcome).toBe(okOutcome(s.output));
  const entries = distinctEntries(trace, stage);
  if (expectedLevels) expect(entries.map((e) => e.level)).toEqual(expectedLevels);
  let count = 0;
  for (const e of entries) {
    const bits = bitsOf(masksOf(e.level, Number(e.value & 0xffff_ffffn)));
    count += bits.length;
    const expected = expectedReservedProbe(s, reason, true);
    expect(probeBits(s, e.address, bits), `level ${e.level} entry at 0x${e.address.toString(16)}`).toEqual(expectAll(bits, expected));
  }
  expect(count).toBeGreaterThan(0);
  probedByReason.set(reason, (probedByReason.get(reason) ?? 0) + count);
  return count;
}

/** The levels a walk of `levels` levels visits down to a leaf of `page`. */
function levelsTo(levels: number, page: PageSize): number[] {
  const leafLevel = (pageShiftOf[page] - 12) / 9 + 1;
  return Array.from({ length: levels - leafLevel + 1 }, (_, i) => levels - i);
}

describe('first-level entries (PGTT = 001b): reserved bits → 0x72 at every level', () => {
  for (const haw of [48, 39]) {
    for (const flpm of [0, 1] as const) {
      for (const nxe of [false, true]) {
        it(`HAW ${haw}, ${flpm ? 5 : 4}-level, NXE = ${nxe ? 1 : 0}: 4 KiB, 2 MiB and 1 GiB walks`, () => {
          for (const page of ['4k', '2m', '1g'] as const) {
            const s = scalableScenario(1, { haw, flpm, nxe, page });
            probeWalk(s, 1, levelsTo(flpm ? 5 : 4, page), (level, lo) => firstLevelReserved(level, lo, { haw, nxe, fl1gp: true, nested: false }), FR.SM_FL_ENTRY_RESERVED);
          }
        });
      }
    }
  }

  it('without CAP.FL1GP, PS in a PDPE is reserved', () => {
    for (const page of ['4k', '2m'] as const) {
      const s = scalableScenario(1, { caps: { fl1gp: false }, page });
      probeWalk(s, 1, levelsTo(4, page), (level, lo) => firstLevelReserved(level, lo, { haw: 48, nxe: false, fl1gp: false, nested: false }), FR.SM_FL_ENTRY_RESERVED);
    }
  });

  it('nested (PGTT = 011b): the first-level entries read through the second level, same bits except the GPA address bits', () => {
    for (const flpm of [0, 1] as const) {
      for (const nxe of [false, true]) {
        for (const page of ['4k', '2m'] as const) {
          const s = scalableScenario(3, { flpm, nxe, page });
          probeWalk(s, 1, levelsTo(flpm ? 5 : 4, page), (level, lo) => firstLevelReserved(level, lo, { haw: 48, nxe, fl1gp: true, nested: true }), FR.SM_FL_ENTRY_RESERVED);
        }
      }
    }
  });

  it('not reserved: XD with NXE = 1 (a read still translates) and the ignored bits 62:52', () => {
    for (const nxe of [false, true]) {
      const s = scalableScenario(1, { nxe });
      const ok = `${okOutcome(s.output)} | FPD=1: ${okOutcome(s.output)} | cleared: ${okOutcome(s.output)}`;
      for (const e of distinctEntries(traced(s).trace, 1)) {
        const xdClear = (e.value >> 63n) === 0n;
        const bits = [...maskBits(0x7ff0_0000, 32), ...(nxe && xdClear ? [63] : [])];
        expect(probeBits(s, e.address, bits)).toEqual(expectAll(bits, ok));
      }
    }
  });
});

describe('second-level entries: reserved bits → 0xC (legacy) / 0x7A (scalable) at every level', () => {
  const capVariants = [
    { name: 'SC, 2 MiB and 1 GiB pages', caps: {}, pages: ['4k', '2m', '1g'] as const },
    { name: 'no SC, no large pages', caps: { sc: false, sl2MPages: false, sl1GPages: false }, pages: ['4k'] as const },
  ];
  for (const haw of [48, 39]) {
    for (const levels of [3, 4, 5] as const) {
      for (const v of capVariants) {
        it(`legacy, HAW ${haw}, ${levels}-level, ${v.name}`, () => {
          for (const page of v.pages) {
            const s = legacyScenario({ haw, levels, page, caps: v.caps });
            const o = { haw, sl2M: v.pages.length > 1, sl1G: v.pages.length > 1, leafSnp: s.machine.model.caps.sc };
            probeWalk(s, 2, levelsTo(levels, page), (level, lo) => secondLevelReserved(level, lo, o), FR.PAGING_ENTRY_RESERVED);
          }
        });

        it(`scalable PGTT = 010b, HAW ${haw}, ${levels}-level, ${v.name}`, () => {
          for (const page of v.pages) {
            const s = scalableScenario(2, { haw, levels, page, caps: v.caps });
            // Scalable mode always allows SNP in leaves (§9.8).
            const o = { haw, sl2M: v.pages.length > 1, sl1G: v.pages.length > 1, leafSnp: true };
            probeWalk(s, 2, levelsTo(levels, page), (level, lo) => secondLevelReserved(level, lo, o), FR.SM_SL_ENTRY_RESERVED);
          }
        });
      }
    }
  }

  it('nested (PGTT = 011b): every second-level entry the walk reads — for first-level table fetches and for the output — → 0x7A', () => {
    for (const levels of [4, 5] as const) {
      for (const page of ['4k', '2m'] as const) {
        const s = scalableScenario(3, { levels, page });
        probeWalk(s, 2, undefined, (level, lo) => secondLevelReserved(level, lo, { haw: 48, sl2M: true, sl1G: true, leafSnp: true }), FR.SM_SL_ENTRY_RESERVED);
      }
    }
  });

  it('legacy: the context entry FPD also suppresses 0xC; ignored bits 61:52 and 63 never fault', () => {
    const s = legacyScenario();
    const entries = distinctEntries(traced(s).trace, 2);
    const ctx = withFpd(s, s.context, LEGACY_CONTEXT_ENTRY_LAYOUT);
    const ok = `${okOutcome(s.output)} | FPD=1: ${okOutcome(s.output)} | cleared: ${okOutcome(s.output)}`;
    const ignored = maskBits(SL_HI.IGNORED, 32);
    for (const e of entries) {
      expect(probeBits(ctx, e.address, [32 + 30])).toEqual({ 62: expectedReservedProbe(ctx, FR.PAGING_ENTRY_RESERVED, true) });
      expect(probeBits(s, e.address, ignored)).toEqual(expectAll(ignored, ok));
    }
  });
});
