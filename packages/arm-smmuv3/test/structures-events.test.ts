import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldSpec } from '@viommu/core';
import { EVENT_CODES, EVENT_FIELD_SETS, EVENT_LAYOUTS, decodeEvent, encodeEvent, eventName, type EventName } from '../src/structures/index';

describe('event codes [SPEC 7.3]', () => {
  it('names every architected code from the reference', () => {
    expect(EVENT_CODES).toEqual({
      F_UUT: 0x01,
      C_BAD_STREAMID: 0x02,
      F_STE_FETCH: 0x03,
      C_BAD_STE: 0x04,
      F_BAD_ATS_TREQ: 0x05,
      F_STREAM_DISABLED: 0x06,
      F_TRANSL_FORBIDDEN: 0x07,
      C_BAD_SUBSTREAMID: 0x08,
      F_CD_FETCH: 0x09,
      C_BAD_CD: 0x0a,
      F_WALK_EABT: 0x0b,
      F_TRANSLATION: 0x10,
      F_ADDR_SIZE: 0x11,
      F_ACCESS: 0x12,
      F_PERMISSION: 0x13,
      F_TLB_CONFLICT: 0x20,
      F_CFG_CONFLICT: 0x21,
      E_PAGE_REQUEST: 0x24,
      F_VMS_FETCH: 0x25,
    });
    expect(eventName(0x10)).toBe('F_TRANSLATION');
    expect(eventName(0x30)).toBeUndefined();
  });
});

describe('event records', () => {
  it('encodes an F_TRANSLATION record to the hand-worked words', () => {
    const words = encodeEvent('F_TRANSLATION', {
      StreamID: 0x10,
      SSV: 1,
      SubstreamID: 5,
      RnW: 1,
      S2: 1,
      CLASS: 2,
      InputAddr: 0xffff_8000_1234_5678n,
      IPA: 0x4000_1000,
    });
    // word0: Type 0x10 | SSV 1<<11 | SubstreamID 5<<12; word3: RnW bit 99 → 1<<3, S2 bit 103 → 1<<7, CLASS 2 at [105:104] → 2<<8.
    // IPA[51:12] at [243:204] puts the IPA itself in the last 64-bit word.
    expect(Array.from(words)).toEqual([0x5810, 0x10, 0, 0x288, 0x1234_5678, 0xffff_8000, 0x4000_1000, 0]);
    expect(decodeEvent(words)).toEqual({
      name: 'F_TRANSLATION',
      code: 0x10,
      fields: { SSV: 1, SubstreamID: 5, StreamID: 0x10, STAG: 0, Stall: 0, PnU: 0, InD: 0, RnW: 1, S2: 1, CLASS: 2, InputAddr: 0xffff_8000_1234_5678n, IPA: 0x4000_1000 },
    });
  });

  it('places FetchAddr[55:3] at [247:195] for fetch events', () => {
    const words = encodeEvent('F_STE_FETCH', { StreamID: 7, FetchAddr: 0x8000_0048n });
    expect(Array.from(words)).toEqual([0x03, 7, 0, 0, 0, 0, 0x8000_0048, 0]);
    const cdFetch = encodeEvent('F_CD_FETCH', { StreamID: 7, FetchAddr: (1n << 55n) | 0x8n });
    expect(cdFetch[7]).toBe(0x0080_0000);
    expect(decodeEvent(cdFetch)).toMatchObject({ name: 'F_CD_FETCH', fields: { FetchAddr: (1n << 55n) | 0x8n } });
  });

  it('FetchAddr and IPA overlap: the same bits read differently per event type', () => {
    const walk = encodeEvent('F_WALK_EABT', { StreamID: 1, S2: 1, CLASS: 1, InputAddr: 0x1000n, FetchAddr: 0x1234_5678_9000n });
    expect(decodeEvent(walk)).toMatchObject({ name: 'F_WALK_EABT', fields: { FetchAddr: 0x1234_5678_9000n } });
    const asTranslation = Uint32Array.from(walk);
    asTranslation[0] = (asTranslation[0]! & ~0xff) | EVENT_CODES.F_TRANSLATION;
    expect(decodeEvent(asTranslation)).toMatchObject({ name: 'F_TRANSLATION', fields: { IPA: 0x1234_5678_9000 } });
  });

  it('C_BAD_SUBSTREAMID has no SSV; F_STREAM_DISABLED carries only the StreamID', () => {
    expect(EVENT_LAYOUTS.C_BAD_SUBSTREAMID.spec.fields.map((f) => f.name)).toEqual(['Type', 'SubstreamID', 'StreamID']);
    expect(Array.from(encodeEvent('C_BAD_SUBSTREAMID', { SubstreamID: 0xabcde, StreamID: 3 }).subarray(0, 2))).toEqual([0xabcd_e008, 3]);
    expect(decodeEvent(encodeEvent('F_STREAM_DISABLED', { StreamID: 9 }))).toEqual({ name: 'F_STREAM_DISABLED', code: 6, fields: { StreamID: 9 } });
    expect(() => encodeEvent('F_STREAM_DISABLED', { SubstreamID: 1 } as never)).toThrow();
  });

  it('reports unknown types and rejects short records', () => {
    expect(decodeEvent(Uint32Array.of(0x30, 0, 0, 0, 0, 0, 0, 0))).toEqual({ name: 'UNKNOWN', code: 0x30 });
    expect(() => decodeEvent(new Uint32Array(4))).toThrow();
  });

  it('encode/decode round-trips every event type', () => {
    const valueOf = (f: FieldSpec) => {
      const width = f.hi - f.lo + 1;
      const shift = BigInt(f.shift ?? 0);
      return f.big
        ? fc.bigInt({ min: 0n, max: (1n << BigInt(width)) - 1n }).map((v) => v << shift)
        : fc.bigInt({ min: 0n, max: (1n << BigInt(width)) - 1n }).map((v) => Number(v << shift));
    };
    for (const name of Object.keys(EVENT_FIELD_SETS) as EventName[]) {
      const specs = (EVENT_FIELD_SETS[name] as readonly FieldSpec[]).filter((f) => f.name !== 'Type');
      const record = fc.record(Object.fromEntries(specs.map((f) => [f.name, valueOf(f)])));
      fc.assert(
        fc.property(record, (fields) => {
          const words = encodeEvent(name, fields as never);
          expect(decodeEvent(words)).toEqual({ name, code: EVENT_CODES[name], fields });
        }),
        { numRuns: 30 },
      );
    }
  });
});
