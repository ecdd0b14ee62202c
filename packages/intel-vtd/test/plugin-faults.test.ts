import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultPerm, type FaultReason } from '@viommu/core';
import { decodeFaultRecord, encodeFaultRecord, VTD_FAULT_REASONS } from '../src/structures/index';
import { vtdFaultToRecord, vtdGenericReason, vtdRecordToFault } from '../src/driver/index';

/** The documented mapping, written out code by code. */
const EXPECTED: Record<number, FaultReason> = {
  0x1: 'unknown', 0x2: 'unknown', 0x3: 'unknown', 0x4: 'oor-address', 0x5: 'permission', 0x6: 'permission', 0x7: 'walk-eabt',
  0x8: 'pasid-fetch', 0x9: 'pasid-fetch', 0xa: 'unknown', 0xb: 'unknown', 0xc: 'pte-fetch', 0xd: 'unknown', 0xe: 'unknown',
  0x30: 'unknown', 0x31: 'pasid-invalid', 0x32: 'unknown', 0x38: 'pasid-fetch', 0x39: 'unknown', 0x3a: 'unknown',
  0x40: 'pasid-fetch', 0x41: 'unknown', 0x42: 'unknown', 0x43: 'unknown', 0x44: 'unknown', 0x45: 'pasid-invalid', 0x46: 'pasid-invalid',
  0x47: 'unknown', 0x48: 'pasid-invalid', 0x50: 'pasid-fetch', 0x51: 'bad-pasid-entry', 0x52: 'bad-pasid-entry',
  0x58: 'pasid-fetch', 0x59: 'bad-pasid-entry', 0x5a: 'bad-pasid-entry', 0x5b: 'bad-pasid-entry', 0x5c: 'permission', 0x5d: 'permission',
  0x70: 'walk-eabt', 0x71: 'pte-fetch', 0x72: 'pte-fetch', 0x73: 'walk-eabt', 0x74: 'oor-address', 0x75: 'pte-fetch', 0x76: 'pte-fetch',
  0x77: 'pte-fetch', 0x78: 'walk-eabt', 0x79: 'pte-fetch', 0x7a: 'pte-fetch', 0x7b: 'walk-eabt', 0x7c: 'unknown',
  0x80: 'oor-address', 0x81: 'permission', 0x82: 'permission', 0x83: 'oor-address', 0x84: 'oor-address', 0x85: 'permission',
  0x86: 'permission', 0x87: 'unknown', 0x90: 'unknown', 0x91: 'walk-eabt',
};

const recordArb = fc
  .record({
    address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    sourceId: fc.nat({ max: 0xffff }),
    reason: fc.nat({ max: 0xff }),
    type: fc.constantFrom<'read' | 'write'>('read', 'write'),
    pasid: fc.option(fc.nat({ max: 0xf_ffff }), { nil: undefined }),
    privileged: fc.boolean(),
    execute: fc.boolean(),
    addressType: fc.nat({ max: 3 }),
    fault: fc.boolean(),
  })
  .map((r) => encodeFaultRecord(r));

describe('VT-d fault reason → generic reason', () => {
  it('maps every architected code as documented', () => {
    const codes = VTD_FAULT_REASONS.map((r) => r.code);
    expect(codes.sort((a, b) => a - b)).toEqual(Object.keys(EXPECTED).map(Number).sort((a, b) => a - b));
    for (const code of codes) expect([code, vtdGenericReason(code)]).toEqual([code, EXPECTED[code]]);
    expect(vtdGenericReason(0xff)).toBe('unknown');
  });
});

describe('fault records ↔ generic faults', () => {
  it('decodes a record field by field (known answer)', () => {
    const record = encodeFaultRecord({ address: 0xffff_8000_1234_5678n, sourceId: 0x0398, reason: 0x5d, type: 'write', pasid: 5, privileged: true });
    const f = vtdRecordToFault(record);
    expect(f).toMatchObject({ reason: 'permission', pasid: 5, addr: 0xffff_8000_1234_5000n, perm: FaultPerm.WRITE | FaultPerm.PRIV, fetchAddr: undefined });
    expect(f.vendor).toMatchObject({ model: 'intel-vtd', name: 'SM_SRE_CLEAR', code: 0x5d });
    expect(Array.from(f.vendor.record)).toEqual(Array.from(record));
    const read = vtdRecordToFault(encodeFaultRecord({ address: 0, sourceId: 1, reason: 0x82, type: 'read', pasid: 2, execute: true }));
    expect(read.perm).toBe(FaultPerm.READ | FaultPerm.EXEC);
    expect(vtdRecordToFault(encodeFaultRecord({ address: 0, sourceId: 1, reason: 0x6, type: 'read' })).pasid).toBeUndefined();
  });

  it('faultToRecord inverts recordToFault exactly, and recordToFault inverts faultToRecord', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const f = vtdRecordToFault(record);
        const back = vtdFaultToRecord(f);
        expect(Array.from(back)).toEqual(Array.from(record));
        expect(vtdRecordToFault(back)).toEqual(f);
        expect(decodeFaultRecord(back).sourceId).toBe(decodeFaultRecord(record).sourceId);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects records of the wrong size', () => {
    expect(() => vtdRecordToFault(new Uint32Array(8))).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});
