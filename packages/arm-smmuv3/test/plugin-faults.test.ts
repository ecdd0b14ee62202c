import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultPerm, type StructureLayout } from '@viommu/core';
import {
  encodeEvent,
  EVENT_CODES,
  EVENT_LAYOUTS,
  eventToGenericFault,
  faultReasonOfEvent,
  genericFaultToEvent,
  silentAbortRecord,
  type EventName,
} from '../src/index';

describe('event → generic fault', () => {
  it('maps every event type to its reason', () => {
    const expected: Record<EventName, string> = {
      F_UUT: 'unknown',
      C_BAD_STREAMID: 'unknown',
      F_STE_FETCH: 'unknown',
      C_BAD_STE: 'bad-pasid-entry',
      F_BAD_ATS_TREQ: 'unknown',
      F_STREAM_DISABLED: 'unknown',
      F_TRANSL_FORBIDDEN: 'unknown',
      C_BAD_SUBSTREAMID: 'pasid-invalid',
      F_CD_FETCH: 'pasid-fetch',
      C_BAD_CD: 'bad-pasid-entry',
      F_WALK_EABT: 'walk-eabt',
      F_TRANSLATION: 'pte-fetch',
      F_ADDR_SIZE: 'oor-address',
      F_ACCESS: 'access',
      F_PERMISSION: 'permission',
      F_TLB_CONFLICT: 'unknown',
      F_CFG_CONFLICT: 'unknown',
      E_PAGE_REQUEST: 'unknown',
      F_VMS_FETCH: 'unknown',
    };
    for (const [name, c] of Object.entries(EVENT_CODES)) expect([name, faultReasonOfEvent(c)]).toEqual([name, expected[name as EventName]]);
  });

  it('decodes a stage-2 fault on a stage-1 descriptor fetch (known answer)', () => {
    const record = encodeEvent('F_TRANSLATION', {
      SSV: 1,
      SubstreamID: 5,
      StreamID: 0x42,
      RnW: 0,
      PnU: 1,
      S2: 1,
      CLASS: 1,
      InputAddr: 0xffff_0000_1234_5678n,
      IPA: 0x4000_3000,
    });
    const f = eventToGenericFault(record);
    expect(f).toEqual({
      reason: 'pte-fetch',
      pasid: 5,
      addr: 0xffff_0000_1234_5678n,
      perm: FaultPerm.WRITE | FaultPerm.PRIV,
      fetchAddr: 0x4000_3000n,
      vendor: { model: 'arm-smmuv3', name: 'F_TRANSLATION', code: 0x10, record },
    });
    // Stage 1 (CLASS = IN): the IPA field is not a fetch address.
    const s1 = eventToGenericFault(encodeEvent('F_PERMISSION', { StreamID: 1, RnW: 1, InD: 1, CLASS: 2, InputAddr: 0x1000n }));
    expect(s1).toMatchObject({ reason: 'permission', pasid: undefined, perm: FaultPerm.READ | FaultPerm.EXEC, fetchAddr: undefined });
    // C_BAD_SUBSTREAMID always carries its SubstreamID; F_STREAM_DISABLED carries neither SubstreamID nor address.
    expect(eventToGenericFault(encodeEvent('C_BAD_SUBSTREAMID', { StreamID: 1, SubstreamID: 77 }))).toMatchObject({ pasid: 77, addr: undefined, perm: 0 });
    expect(eventToGenericFault(encodeEvent('F_STREAM_DISABLED', { StreamID: 1 }))).toMatchObject({ pasid: undefined, addr: undefined, perm: 0, reason: 'unknown' });
    expect(eventToGenericFault(encodeEvent('F_CD_FETCH', { StreamID: 1, FetchAddr: 0x8_0000_0040n }))).toMatchObject({ reason: 'pasid-fetch', fetchAddr: 0x8_0000_0040n });
  });

  it('describes a silent abort with a Type 0 pseudo-record', () => {
    const record = silentAbortRecord({ streamId: 9, substreamId: 3, address: 0x5000n, write: false, instr: true, priv: true });
    expect(record[0]! & 0xff).toBe(0);
    expect(eventToGenericFault(record)).toMatchObject({ reason: 'unknown', pasid: 3, addr: 0x5000n, perm: FaultPerm.READ | FaultPerm.EXEC | FaultPerm.PRIV, vendor: { name: 'SILENT_ABORT', code: 0 } });
  });
});

/** Random values for every field of an event type. */
function fieldsArb(name: EventName): fc.Arbitrary<Record<string, number | bigint>> {
  const layout = EVENT_LAYOUTS[name] as StructureLayout<string>;
  const parts: Record<string, fc.Arbitrary<number | bigint>> = {};
  for (const f of layout.spec.fields) {
    if (f.name === 'Type') continue;
    const width = f.hi - f.lo + 1;
    const shift = f.shift ?? 0;
    parts[f.name] = f.big
      ? fc.bigInt({ min: 0n, max: (1n << BigInt(width)) - 1n }).map((v) => v << BigInt(shift))
      : fc.integer({ min: 0, max: 2 ** Math.min(width, 32) - 1 }).map((v) => v * 2 ** shift);
  }
  return fc.record(parts);
}

describe('generic fault ↔ event record round trip', () => {
  const names = Object.keys(EVENT_CODES) as EventName[];

  it('record → fault → record is the identity, and fault → record → fault too (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names).chain((n) => fc.tuple(fc.constant(n), fieldsArb(n))),
        ([name, fields]) => {
          const record = encodeEvent(name, fields as never);
          const fault = eventToGenericFault(record);
          const back = genericFaultToEvent(fault);
          expect(Array.from(back)).toEqual(Array.from(record));
          expect(eventToGenericFault(back)).toEqual(fault);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the generic fields win when re-encoding', () => {
    const f = eventToGenericFault(encodeEvent('F_ACCESS', { SSV: 1, SubstreamID: 2, StreamID: 4, RnW: 1, InputAddr: 0x1000n }));
    const edited = { ...f, pasid: undefined, addr: 0x2000n, perm: FaultPerm.WRITE };
    const g = eventToGenericFault(genericFaultToEvent(edited));
    expect(g).toMatchObject({ pasid: undefined, addr: 0x2000n, perm: FaultPerm.WRITE, reason: 'access' });
    expect(g.vendor.record[1]).toBe(4); // StreamID kept from the vendor record
  });

  it('refuses another vendor fault', () => {
    const f = eventToGenericFault(encodeEvent('C_BAD_STE', { StreamID: 1 }));
    expect(() => genericFaultToEvent({ ...f, vendor: { ...f.vendor, model: 'intel-vtd' } })).toThrowError(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});
