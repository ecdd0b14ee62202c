import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FAULT_RECORD_LAYOUT,
  VTD_FAULT_REASONS,
  VtdFaultReason,
  decodeFaultRecord,
  encodeFaultRecord,
  faultReasonInfo,
  faultRecordFromQwords,
  faultRecordQwords,
  isQualifiedFault,
} from '../src/structures/index';

describe('fault reason table', () => {
  it('lists every legacy and scalable code of the reference sheet', () => {
    const codes = VTD_FAULT_REASONS.map((r) => r.code);
    const reference = [
      0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0xb, 0xc, 0xd, 0xe, 0x30, 0x31, 0x38, 0x39, 0x3a, 0x40, 0x41, 0x42, 0x43,
      0x44, 0x45, 0x46, 0x47, 0x48, 0x50, 0x51, 0x52, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75,
      0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x91,
    ];
    for (const code of reference) expect(codes, `0x${code.toString(16)}`).toContain(code);
    // Three more from Linux's scalable-mode table.
    expect(codes.filter((c) => !reference.includes(c))).toEqual([0x32, 0x7c, 0x90]);
  });

  it('is ordered by code with unique codes, names and conditions', () => {
    const codes = VTD_FAULT_REASONS.map((r) => r.code);
    expect([...codes].sort((a, b) => a - b)).toEqual(codes);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(VTD_FAULT_REASONS.map((r) => r.name)).size).toBe(codes.length);
    expect(new Set(VTD_FAULT_REASONS.map((r) => r.condition)).size).toBe(codes.length);
    expect(Object.keys(VtdFaultReason).length).toBe(codes.length);
    for (const r of VTD_FAULT_REASONS) {
      expect(VtdFaultReason[r.name]).toBe(r.code);
      expect(r.mode).toBe(r.code < 0x30 ? 'legacy' : 'scalable');
      expect(r.description.length).toBeGreaterThan(10);
    }
  });

  it('pins names and spec conditions of representative codes', () => {
    expect(faultReasonInfo(0x1)).toMatchObject({ name: 'ROOT_ENTRY_NOT_PRESENT', condition: 'LRT.2' });
    expect(faultReasonInfo(0xb)).toMatchObject({ name: 'CONTEXT_ENTRY_RESERVED', condition: 'LCT.3' });
    expect(faultReasonInfo(0x42)).toMatchObject({ name: 'SM_CONTEXT_ENTRY_RESERVED', condition: 'SCT.3' });
    expect(faultReasonInfo(0x5a)).toMatchObject({ name: 'SM_PASID_ENTRY_RESERVED', condition: 'SPT.3' });
    expect(faultReasonInfo(0x5b)).toMatchObject({ name: 'SM_PASID_ENTRY_INVALID', condition: 'SPT.4' });
    expect(faultReasonInfo(0x87)).toMatchObject({ name: 'SM_INTERRUPT_ADDRESS', condition: 'SGN.8' });
    expect(faultReasonInfo(0x91)).toMatchObject({ name: 'SM_FL_AD_UPDATE_FAILED', condition: 'SFL.10' });
    expect(faultReasonInfo(0x33)).toBeUndefined();
  });

  it('marks exactly the root, table-address and structure-access faults as non-qualified', () => {
    const nonQualified = VTD_FAULT_REASONS.filter((r) => !r.qualified).map((r) => r.code);
    expect(nonQualified).toEqual([0x1, 0x8, 0x9, 0xa, 0x30, 0x31, 0x32, 0x38, 0x39, 0x3a, 0x40, 0x50, 0x58]);
    expect(isQualifiedFault(0x2)).toBe(true);
    expect(isQualifiedFault(0x59)).toBe(true);
    expect(isQualifiedFault(0x70)).toBe(true);
    expect(isQualifiedFault(0x58)).toBe(false);
    expect(isQualifiedFault(0x33)).toBe(false);
  });
});

describe('fault recording register', () => {
  it('encodes a known record bit for bit (T=1 for a read)', () => {
    const words = encodeFaultRecord({
      address: 0xdead_beef_1234n,
      sourceId: 0x0318,
      reason: 0x5a,
      type: 'read',
      pasid: 0x12345,
      privileged: true,
      execute: false,
    });
    // lo: FI = address bits 63:12. hi: SID | PRIV(29) | PP(31) ; FR<<32 | PV<<40 | T(62) | F(63).
    expect(faultRecordQwords(words)).toEqual([0xdead_beef_1000n, 0xc123_455a_a000_0318n]);
  });

  it('clears T for a write and PP/PV without a PASID', () => {
    const words = encodeFaultRecord({ address: 0x4000, sourceId: 0xff, reason: 0x6, type: 'write', execute: true, addressType: 2 });
    // EXE is bit 94 (hi bit 30), AT bits 125:124 (hi bits 61:60).
    expect(faultRecordQwords(words)).toEqual([0x4000n, (1n << 63n) | (2n << 60n) | (0x6n << 32n) | (1n << 30n) | 0xffn]);
    expect(decodeFaultRecord(words)).toEqual({
      address: 0x4000n,
      sourceId: 0xff,
      reason: 6,
      type: 'write',
      pasid: undefined,
      privileged: false,
      execute: true,
      addressType: 2,
      fault: true,
    });
  });

  it('declares the register layout', () => {
    const t = FAULT_RECORD_LAYOUT.spec.fields.find((f) => f.name === 'T')!;
    expect([t.hi, t.lo, t.values![1], t.values![0]]).toEqual([126, 126, 'read', 'write']);
    const bitsOf = (name: string) => FAULT_RECORD_LAYOUT.spec.fields.filter((f) => f.name === name).map((f) => [f.hi, f.lo]);
    expect(bitsOf('FI')).toEqual([[63, 12]]);
    expect(bitsOf('SID')).toEqual([[79, 64]]);
    expect(bitsOf('PP')).toEqual([[95, 95]]);
    expect(bitsOf('FR')).toEqual([[103, 96]]);
    expect(bitsOf('PV')).toEqual([[123, 104]]);
    expect(bitsOf('F')).toEqual([[127, 127]]);
  });

  it('round-trips random records', () => {
    fc.assert(
      fc.property(
        fc.record({
          address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          sourceId: fc.integer({ min: 0, max: 0xffff }),
          reason: fc.integer({ min: 0, max: 0xff }),
          type: fc.constantFrom('read' as const, 'write' as const),
          pasid: fc.option(fc.integer({ min: 0, max: 0xfffff }), { nil: undefined }),
          privileged: fc.boolean(),
          execute: fc.boolean(),
          addressType: fc.integer({ min: 0, max: 3 }),
          fault: fc.boolean(),
        }),
        (r) => {
          const words = encodeFaultRecord(r);
          expect(decodeFaultRecord(words)).toEqual({ ...r, address: r.address & ~0xfffn });
          expect(FAULT_RECORD_LAYOUT.hasReservedBits(words)).toBe(false);
          const [lo, hi] = faultRecordQwords(words);
          expect(faultRecordFromQwords(lo, hi)).toEqual(words);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects out-of-range API input', () => {
    expect(() => encodeFaultRecord({ address: 0, sourceId: 0x10000, reason: 1, type: 'read' })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => encodeFaultRecord({ address: 0, sourceId: 0, reason: 0x100, type: 'read' })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => encodeFaultRecord({ address: 0, sourceId: 0, reason: 1, type: 'read', pasid: 2 ** 20 })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});
