/**
 * Malformed-input matrix, VT-d row 1 (configuration structures): every reserved bit of the root, context,
 * PASID-directory and PASID-table entries, set one at a time in an otherwise valid configuration that
 * translates, gives the architected fault (with its record's FR and SID), never a translation; FPD suppresses
 * the record of the qualified ones; clearing the bit translates again. The bits come from the layouts'
 * `reserved` ranges plus the pointer fields' bits at and above HAW (VT-d spec §9.1–§9.6), so a reserved range
 * added to a layout is covered without touching this file.
 */
import { describe, it, expect } from 'vitest';
import {
  LEGACY_CONTEXT_ENTRY_LAYOUT,
  LEGACY_ROOT_ENTRY_LAYOUT,
  PASID_DIRECTORY_ENTRY_LAYOUT,
  PASID_ENTRY_LAYOUT,
  SCALABLE_CONTEXT_ENTRY_LAYOUT,
  SCALABLE_ROOT_ENTRY_LAYOUT,
  VtdFaultReason as FR,
} from '../src/structures/index';
import { VtdRegister } from '../src/model/index';
import {
  expectAll,
  expectedReservedProbe,
  faultOutcome,
  fieldOf,
  legacyScenario,
  okOutcome,
  pointerBitsAtOrAbove,
  pointerFields,
  probeBits,
  reservedRangeBits,
  restoreWords,
  scalableScenario,
  setStructureField,
  SID_UPPER,
  toggleBit,
  translateProbe,
  withFpd,
  type Layout,
  type Probe,
  type Scenario,
} from './support-reliability';

/** Default host address width (CAP.MGAW + 1) and a narrower one, so more pointer bits are reserved. */
const HAWS = [48, 39] as const;

/** Reserved-range bits plus every pointer field's bits at and above `haw`, ascending and distinct. */
function reservedBits(layout: Layout, haw: number, pointers = pointerFields(layout).map((f) => f.name)): number[] {
  const bits = new Set(reservedRangeBits(layout));
  for (const p of pointers) for (const b of pointerBitsAtOrAbove(layout, p, haw)) bits.add(b);
  return [...bits].sort((a, b) => a - b);
}

/** Probes `bits` of the structure at `base`, expecting `reason` for each (suppressed by FPD iff qualified). */
function expectReserved(p: Probe, base: number, bits: readonly number[], reason: number, qualified: boolean): void {
  expect(bits.length).toBeGreaterThan(0);
  expect(probeBits(p, base, bits)).toEqual(expectAll(bits, expectedReservedProbe(p, reason, qualified)));
}

/** Sets a field to `value`, translates (and again with FPD set), restores; the outcomes joined like probeBit. */
function probeField(p: Probe, base: number, layout: Layout & Parameters<typeof setStructureField>[2], name: string, value: number): string {
  const memory = p.machine.memory;
  const old = setStructureField(memory, base, layout, name, value);
  const set = translateProbe(p);
  toggleBit(memory, p.fpd.address, p.fpd.bit);
  const withFpdSet = translateProbe(p);
  toggleBit(memory, p.fpd.address, p.fpd.bit);
  restoreWords(memory, base, old);
  return `${set} | FPD=1: ${withFpdSet} | cleared: ${translateProbe(p)}`;
}

const okProbe = (p: Probe) => `${okOutcome(p.output)} | FPD=1: ${okOutcome(p.output)} | cleared: ${okOutcome(p.output)}`;

describe.each(HAWS)('reserved bits of the configuration structures (HAW %i)', (haw) => {
  it('the valid configurations translate', () => {
    const all: Scenario[] = [legacyScenario({ haw }), ...([1, 2, 3, 4] as const).map((p) => scalableScenario(p, { haw }))];
    for (const s of all) expect(translateProbe(s)).toBe(okOutcome(s.output));
  });

  it('legacy root entry: each reserved bit (11:1, 127:64, CTP ≥ HAW) → 0xA, recorded even with FPD (not qualified)', () => {
    const s = legacyScenario({ haw });
    expectReserved(s, s.root, reservedBits(LEGACY_ROOT_ENTRY_LAYOUT, haw), FR.ROOT_ENTRY_RESERVED, false);
  });

  it('legacy context entry (TT = 00b): each reserved bit (11:4, 71, 127:88, SLPTPTR ≥ HAW) → 0xB, suppressed by its FPD', () => {
    const s = legacyScenario({ haw });
    expectReserved(s, s.context, reservedBits(LEGACY_CONTEXT_ENTRY_LAYOUT, haw), FR.CONTEXT_ENTRY_RESERVED, true);
  });

  it('legacy context entry (TT = 10b, pass-through): each reserved-range bit → 0xB', () => {
    const s = legacyScenario({ haw });
    const old = setStructureField(s.machine.memory, s.context, LEGACY_CONTEXT_ENTRY_LAYOUT, 'TT', 2);
    const pt: Scenario = { ...s, output: s.request.address as number };
    expect(translateProbe(pt)).toBe(okOutcome(pt.output));
    expectReserved(pt, s.context, reservedRangeBits(LEGACY_CONTEXT_ENTRY_LAYOUT), FR.CONTEXT_ENTRY_RESERVED, true);
    restoreWords(s.machine.memory, s.context, old);
  });

  for (const upper of [false, true]) {
    it(`scalable root entry, ${upper ? 'upper (devfn ≥ 128)' : 'lower (devfn < 128)'} half: its reserved bits → 0x3A (not qualified); the other half's are not checked`, () => {
      const s = scalableScenario(2, { haw, ...(upper ? { sid: SID_UPPER } : {}) });
      const inHalf = (b: number) => (b >= 64) === upper;
      const bits = reservedBits(SCALABLE_ROOT_ENTRY_LAYOUT, haw);
      expectReserved(s, s.root, bits.filter(inHalf), FR.SM_ROOT_ENTRY_RESERVED, false);
      // The half that does not serve this devfn is a separate entry with its own present bit (model's choice).
      const other = bits.filter((b) => !inHalf(b));
      expect(probeBits(s, s.root, other)).toEqual(expectAll(other, okProbe(s)));
    });
  }

  it('scalable context entry: each reserved bit (8:5, 127:85, 255:128, PASIDDIRPTR ≥ HAW) → 0x42, suppressed by its FPD', () => {
    const base = scalableScenario(2, { haw });
    const s = withFpd(base, base.context, SCALABLE_CONTEXT_ENTRY_LAYOUT);
    expectReserved(s, s.context, reservedBits(SCALABLE_CONTEXT_ENTRY_LAYOUT, haw), FR.SM_CONTEXT_ENTRY_RESERVED, true);
  });

  it('PASID-directory entry: each reserved bit (11:2, SMPTBLPTR ≥ HAW) → 0x52, suppressed by its FPD', () => {
    const base = scalableScenario(2, { haw });
    const s = withFpd(base, base.dirEntry, PASID_DIRECTORY_ENTRY_LAYOUT);
    expectReserved(s, s.dirEntry, reservedBits(PASID_DIRECTORY_ENTRY_LAYOUT, haw), FR.SM_PASID_DIR_RESERVED, true);
    // The context entry's FPD covers the PASID-directory entry too.
    const ctxFpd = withFpd(base, base.context, SCALABLE_CONTEXT_ENTRY_LAYOUT);
    expectReserved(ctxFpd, s.dirEntry, reservedRangeBits(PASID_DIRECTORY_ENTRY_LAYOUT), FR.SM_PASID_DIR_RESERVED, true);
  });

  for (const pgtt of [1, 2, 3, 4] as const) {
    it(`PASID entry, PGTT = ${pgtt}: each reserved-range bit (11:10, 86:80, 139:136, 511:192) → 0x5A, suppressed by its FPD`, () => {
      const s = scalableScenario(pgtt, { haw });
      expectReserved(s, s.pasidEntry, reservedRangeBits(PASID_ENTRY_LAYOUT), FR.SM_PASID_ENTRY_RESERVED, true);
      // The PASID-directory entry's FPD covers the PASID entry.
      const dirFpd = withFpd(s, s.dirEntry, PASID_DIRECTORY_ENTRY_LAYOUT);
      expectReserved(dirFpd, s.pasidEntry, reservedRangeBits(PASID_ENTRY_LAYOUT).slice(0, 16), FR.SM_PASID_ENTRY_RESERVED, true);
    });
  }

  it('PASID entry host-physical pointers ≥ HAW → 0x5A: SLPTPTR with PGTT 2 and 3, FLPTPTR with PGTT 1', () => {
    for (const pgtt of [2, 3] as const) {
      const s = scalableScenario(pgtt, { haw });
      expectReserved(s, s.pasidEntry, pointerBitsAtOrAbove(PASID_ENTRY_LAYOUT, 'SLPTPTR', haw), FR.SM_PASID_ENTRY_RESERVED, true);
    }
    const s = scalableScenario(1, { haw });
    expectReserved(s, s.pasidEntry, pointerBitsAtOrAbove(PASID_ENTRY_LAYOUT, 'FLPTPTR', haw), FR.SM_PASID_ENTRY_RESERVED, true);
  });

  it('nested FLPTPTR is a GPA: bits at or above 2^MGAW → 0x74, suppressed by FPD', () => {
    const s = scalableScenario(3, { haw });
    const mgaw = Number((s.machine.model.readRegister(VtdRegister.CAP) >> 16n) & 0x3fn) + 1;
    expectReserved(s, s.pasidEntry, pointerBitsAtOrAbove(PASID_ENTRY_LAYOUT, 'FLPTPTR', mgaw), FR.SM_FL_ADDRESS_BEYOND_MGAW, true);
  });
});

describe('PASID entry fields that are reserved without a capability → 0x5A', () => {
  // SRE needs ECAP.SRS, ERE ECAP.ERS, EAFE ECAP.EAFS, SLADE ECAP.SLADS (§9.6 field descriptions).
  const gated = [
    ['SRE', { srs: false }],
    ['ERE', { ers: false }],
    ['EAFE', { eafs: false }],
    ['SLADE', { slads: false }],
  ] as const;
  for (const [field, caps] of gated) {
    it(`${field} = 1 without ECAP.${Object.keys(caps)[0]!.toUpperCase()}`, () => {
      for (const pgtt of [1, 2, 3, 4] as const) {
        const s = scalableScenario(pgtt, { caps });
        const bit = fieldOf(PASID_ENTRY_LAYOUT, field).lo;
        expectReserved(s, s.pasidEntry, [bit], FR.SM_PASID_ENTRY_RESERVED, true);
        // With the capability the same bit is a plain flag: the entry stays valid.
        const w = scalableScenario(pgtt);
        const out = probeBits(w, w.pasidEntry, [bit])[bit]!;
        expect(out).not.toContain('fault 0x5a');
        expect(out).not.toContain('fault 0x5b');
      }
    });
  }
});

describe('PASID entry programming errors → 0x5B (SPT.4)', () => {
  it('PGTT values the field does not define (000b, 101b–111b)', () => {
    const defined = Object.keys(fieldOf(PASID_ENTRY_LAYOUT, 'PGTT').values ?? {}).map(Number);
    const undefinedValues = [0, 1, 2, 3, 4, 5, 6, 7].filter((v) => !defined.includes(v));
    expect(undefinedValues.length).toBeGreaterThan(0);
    for (const pgtt of [1, 2, 3, 4] as const) {
      const s = scalableScenario(pgtt);
      const got = Object.fromEntries(undefinedValues.map((v) => [v, probeField(s, s.pasidEntry, PASID_ENTRY_LAYOUT, 'PGTT', v)]));
      expect(got).toEqual(expectAll(undefinedValues, expectedReservedProbe(s, FR.SM_PASID_ENTRY_INVALID, true)));
    }
  });

  it('a PGTT whose ECAP capability is clear (001b FLTS, 010b SLTS, 011b NEST, 100b PT)', () => {
    const needs = { 1: { flts: false }, 2: { slts: false }, 3: { nest: false }, 4: { pt: false } } as const;
    for (const pgtt of [1, 2, 3, 4] as const) {
      const s = scalableScenario(pgtt, { caps: needs[pgtt] });
      const sid = s.request.sourceId;
      expect(translateProbe(s)).toBe(faultOutcome(FR.SM_PASID_ENTRY_INVALID, sid, s.request.pasid, true));
      toggleBit(s.machine.memory, s.fpd.address, s.fpd.bit);
      expect(translateProbe(s)).toBe(faultOutcome(FR.SM_PASID_ENTRY_INVALID, sid, s.request.pasid, false));
    }
  });

  it('AW values CAP.SAGAW does not report (PGTT 010b and 011b), also with 5-level tables unsupported', () => {
    for (const sagawBits of [0b01110, 0b00110]) {
      for (const pgtt of [2, 3] as const) {
        const s = scalableScenario(pgtt, { caps: { sagaw: [0, 1, 2, 3, 4].filter((n) => (sagawBits >> n) & 1).map((n) => 30 + 9 * n) } });
        expect(Number((s.machine.model.readRegister(VtdRegister.CAP) >> 8n) & 0x1fn)).toBe(sagawBits);
        for (let aw = 0; aw < 8; aw++) {
          const out = probeField(s, s.pasidEntry, PASID_ENTRY_LAYOUT, 'AW', aw);
          if (((sagawBits >> aw) & 1) === 0) expect(out, `AW ${aw}`).toBe(expectedReservedProbe(s, FR.SM_PASID_ENTRY_INVALID, true));
          else expect(out, `AW ${aw}`).not.toContain('fault 0x5b');
        }
      }
    }
  });

  it('FLPM values the field does not define, and 5-level without CAP.FL5LP (PGTT 001b and 011b)', () => {
    const defined = Object.keys(fieldOf(PASID_ENTRY_LAYOUT, 'FLPM').values ?? {}).map(Number);
    for (const pgtt of [1, 3] as const) {
      const s = scalableScenario(pgtt);
      for (const v of [0, 1, 2, 3].filter((x) => !defined.includes(x))) {
        expect(probeField(s, s.pasidEntry, PASID_ENTRY_LAYOUT, 'FLPM', v), `FLPM ${v}`).toBe(expectedReservedProbe(s, FR.SM_PASID_ENTRY_INVALID, true));
      }
      const no5 = scalableScenario(pgtt, { caps: { fl5lp: false } });
      expect(probeField(no5, no5.pasidEntry, PASID_ENTRY_LAYOUT, 'FLPM', 1)).toBe(expectedReservedProbe(no5, FR.SM_PASID_ENTRY_INVALID, true));
    }
  });
});

describe('structure faults come before the walk: a reserved bit wins over a broken table below it', () => {
  it('a context entry with a reserved bit faults 0xB even though its SLPTPTR points nowhere', () => {
    const s = legacyScenario();
    setStructureField(s.machine.memory, s.context, LEGACY_CONTEXT_ENTRY_LAYOUT, 'SLPTPTR', 0x7_0000_0000);
    toggleBit(s.machine.memory, s.context, reservedRangeBits(LEGACY_CONTEXT_ENTRY_LAYOUT)[0]!);
    expect(translateProbe(s)).toBe(faultOutcome(FR.CONTEXT_ENTRY_RESERVED, s.request.sourceId, undefined, true));
  });
});
