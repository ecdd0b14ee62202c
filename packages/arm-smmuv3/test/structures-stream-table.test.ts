import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { U64 } from '@viommu/core';
import { DEFAULT_SMMU_CAPABILITIES, L1STD, STRTAB_BASE_CFG, decodeStreamTableConfig, l1StdAddress, locateSte, steAddressFromL1Std } from '../src/structures/index';

const caps = DEFAULT_SMMU_CAPABILITIES;
const cfgOf = (base: bigint, log2size: number, split: number, fmt: number) =>
  decodeStreamTableConfig(base, STRTAB_BASE_CFG.encode({ LOG2SIZE: log2size, SPLIT: split, FMT: fmt })[0]!, caps);
const l1std = (span: number, l2ptr: bigint): U64 => {
  const w = L1STD.encode({ Span: span, L2Ptr: l2ptr });
  return { lo: w[0]!, hi: w[1]! };
};
const noRead = () => {
  throw new Error('linear tables do not read L1STDs');
};

describe('linear Stream table', () => {
  const cfg = cfgOf(0x1000_0000n, 8, 6, 0);

  it('STE address = base + SID × 64', () => {
    expect(locateSte(cfg, 5, noRead)).toEqual({ ok: true, address: 0x1000_0140, l1: undefined });
    expect(locateSte(cfg, 255, noRead)).toEqual({ ok: true, address: 0x1000_3fc0, l1: undefined });
  });

  it('SID ≥ 2^LOG2SIZE is C_BAD_STREAMID', () => {
    expect(locateSte(cfg, 256, noRead)).toEqual({ ok: false, fault: 'C_BAD_STREAMID', reason: 'SID_OUT_OF_RANGE' });
  });

  it('an STE beyond the OAS is F_STE_FETCH', () => {
    const high = cfgOf(0xffff_ffff_c000n, 8, 6, 0);
    expect(locateSte(high, 255, noRead)).toEqual({ ok: true, address: 0xffff_ffff_ffc0, l1: undefined });
    const over = cfgOf(0x1_0000_0000_0000n, 8, 6, 0);
    expect(locateSte(over, 0, noRead)).toEqual({ ok: false, fault: 'F_STE_FETCH', fetchAddress: 0x1_0000_0000_0000 });
  });

  it('rejects a StreamID that is not a 32-bit integer', () => {
    expect(() => locateSte(cfg, -1, noRead)).toThrow();
    expect(() => locateSte(cfg, 2 ** 32, noRead)).toThrow();
  });
});

describe('2-level Stream table', () => {
  // LOG2SIZE 16, SPLIT 8: 256 L1STDs at 0x2000_0000, each for 256 StreamIDs.
  const cfg = cfgOf(0x2000_0000n, 16, 8, 1);
  const sid = 0x1234; // L1 index 0x12, L2 index 0x34

  it('L1STD address = base + SID[LOG2SIZE-1:SPLIT] × 8, STE = L2Ptr + SID[SPLIT-1:0] × 64', () => {
    const reads: number[] = [];
    const loc = locateSte(cfg, sid, (a) => {
      reads.push(a);
      return l1std(9, 0x3000_4000n);
    });
    expect(reads).toEqual([0x2000_0090]);
    expect(loc).toEqual({ ok: true, address: 0x3000_4d00, l1: { address: 0x2000_0090, span: 9, l2Base: 0x3000_4000 } });
  });

  it('L2Ptr bits [Span+4:0] are treated as zero', () => {
    // Span 5: 16 STEs, a 1KB array; L2Ptr 0x3000_4340 becomes 0x3000_4000.
    const loc = steAddressFromL1Std(cfg, 0x120f, l1std(5, 0x3000_4340n), 0x2000_0090);
    expect(loc).toEqual({ ok: true, address: 0x3000_4000 + 0xf * 64, l1: { address: 0x2000_0090, span: 5, l2Base: 0x3000_4000 } });
  });

  it('C_BAD_STREAMID: Span 0, reserved Span, Span > SPLIT+1, SID beyond the span [SPEC 7.3.3]', () => {
    const bad = (span: number, s = sid) => steAddressFromL1Std(cfg, s, l1std(span, 0x3000_0000n), 0);
    expect(bad(0)).toEqual({ ok: false, fault: 'C_BAD_STREAMID', reason: 'SPAN_INVALID' });
    expect(bad(12)).toEqual({ ok: false, fault: 'C_BAD_STREAMID', reason: 'SPAN_RESERVED' });
    expect(bad(31)).toEqual({ ok: false, fault: 'C_BAD_STREAMID', reason: 'SPAN_RESERVED' });
    expect(bad(10)).toEqual({ ok: false, fault: 'C_BAD_STREAMID', reason: 'SPAN_EXCEEDS_SPLIT' });
    // Span 5 covers L2 indexes 0..15; 0x34 is beyond (QEMU would allow 31 entries and say C_BAD_STE).
    expect(bad(5)).toEqual({ ok: false, fault: 'C_BAD_STREAMID', reason: 'SID_BEYOND_SPAN' });
    expect(bad(5, 0x1210).ok).toBe(false);
    expect(bad(5, 0x120f).ok).toBe(true);
    expect(bad(1, 0x1200).ok).toBe(true);
    expect(bad(1, 0x1201)).toEqual({ ok: false, fault: 'C_BAD_STREAMID', reason: 'SID_BEYOND_SPAN' });
  });

  it('an aborted L1STD read is F_STE_FETCH at the L1STD address; SID out of range reads nothing', () => {
    expect(locateSte(cfg, sid, () => undefined)).toEqual({ ok: false, fault: 'F_STE_FETCH', fetchAddress: 0x2000_0090 });
    expect(locateSte(cfg, 0x1_0000, noRead)).toEqual({ ok: false, fault: 'C_BAD_STREAMID', reason: 'SID_OUT_OF_RANGE' });
    expect(l1StdAddress(cfg, 0xffff)).toEqual({ ok: true, address: 0x2000_07f8 });
  });

  it('an L2 array beyond the OAS is F_STE_FETCH', () => {
    expect(steAddressFromL1Std(cfg, sid, l1std(9, 0x1_0000_0000_0000n), 0)).toEqual({
      ok: false,
      fault: 'F_STE_FETCH',
      fetchAddress: 0x1_0000_0000_0000 + 0x34 * 64,
    });
  });

  it('agrees with a bigint reference for any SID, SPLIT, Span and L2Ptr', () => {
    const reference = (log2size: number, split: number, base: bigint, s: bigint, span: number, l2ptr: bigint) => {
      if (s >= 1n << BigInt(log2size)) return 'C_BAD_STREAMID';
      const l1 = base + (s >> BigInt(split)) * 8n;
      if (span === 0 || span > 11 || span > split + 1) return `C_BAD_STREAMID@${l1}`;
      const idx = s & ((1n << BigInt(split)) - 1n);
      if (idx >= 1n << BigInt(span - 1)) return `C_BAD_STREAMID@${l1}`;
      const ste = ((l2ptr >> BigInt(span + 5)) << BigInt(span + 5)) + idx * 64n;
      return ste >= 1n << 48n ? `F_STE_FETCH:${ste}@${l1}` : `${ste}@${l1}`;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.constantFrom(6, 8, 10),
        fc.bigInt({ min: 0n, max: (1n << 30n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 18n) - 1n }),
        fc.integer({ min: 0, max: 31 }),
        fc.bigInt({ min: 0n, max: (1n << 50n) - 1n }).map((x) => x << 6n),
        (log2size, split, baseRaw, s, span, l2ptr) => {
          const c = cfgOf(baseRaw << 12n, log2size, split, 1);
          // Addresses above 2^53 are exact doubles (≤ 50 significant bits); print them as bigints.
          let l1Read: number | undefined;
          const loc = locateSte(c, Number(s), (a) => {
            l1Read = a;
            return l1std(span, l2ptr);
          });
          const eff = Math.min(log2size, 16);
          const ref = reference(eff, split, BigInt(c.base), s, span, l2ptr);
          const got = !loc.ok
            ? loc.fault === 'C_BAD_STREAMID'
              ? l1Read === undefined
                ? 'C_BAD_STREAMID'
                : `C_BAD_STREAMID@${l1Read}`
              : `F_STE_FETCH:${BigInt(loc.fetchAddress)}@${l1Read}`
            : `${BigInt(loc.address)}@${l1Read}`;
          expect(got).toBe(ref);
        },
      ),
      { numRuns: 500 },
    );
  });
});
