/**
 * STE.S1DSS × SubstreamID (Arm IHI0070 §5.2 S1DSS, §3.3.2, §7.3.7, §7.3.9; reference §2.1):
 *
 * | S1DSS | no SubstreamID | SubstreamID 0 | SubstreamID 5 |
 * |---|---|---|---|
 * | 00 terminate | F_STREAM_DISABLED | CD 0 | CD 5 |
 * | 01 bypass | stage 1 bypassed | CD 0 | CD 5 |
 * | 10 substream0 | CD 0 | F_STREAM_DISABLED | CD 5 |
 * | 11 reserved (as 00) | F_STREAM_DISABLED | CD 0 | CD 5 |
 */
import { Access } from '@viommu/core';
import { describe, expect, it } from 'vitest';
import { CD } from '../src/structures/index';
import { Fixture, Layout, RW, cdFields, s1SteFields, s2SteFields, stage1Tables, stage2Tables } from './model-fixture';

const IPA0 = 0x1000_0000; // where CD 0 maps VA 0x1000
const IPA5 = 0x1000_5000; // where CD 5 maps VA 0x1000
const VA = 0x1010;

type Outcome = 'cd0' | 'cd5' | 'bypass' | 'F_STREAM_DISABLED' | 'C_BAD_SUBSTREAMID';

const MATRIX: Record<number, [Outcome, Outcome, Outcome]> = {
  0: ['F_STREAM_DISABLED', 'cd0', 'cd5'],
  1: ['bypass', 'cd0', 'cd5'],
  2: ['cd0', 'F_STREAM_DISABLED', 'cd5'],
  3: ['F_STREAM_DISABLED', 'cd0', 'cd5'],
};

/** A world where both a stage-1-only and a nested stream share one CD table (S1CDMax = 4). */
function world(s1dss: number, cdMax = 4) {
  const fx = new Fixture();
  const s2 = stage2Tables(fx.mem, fx.pool);
  s2.map(Layout.STRUCTS, Layout.STRUCTS, Layout.DATA - Layout.STRUCTS, RW); // structures and tables at IPA = PA
  s2.map(IPA0, Layout.DATA, 0x1000, RW);
  s2.map(IPA5, Layout.DATA + 0x5000, 0x1000, RW);
  s2.map(VA - (VA % 0x1000), Layout.DATA + 0x9000, 0x1000, RW); // the bypassed input, as an IPA
  const table = fx.structAlloc(64 * 16, 1024);
  for (const [index, ipa] of [
    [0, IPA0],
    [5, IPA5],
  ] as const) {
    const s1 = stage1Tables(fx.mem, fx.pool);
    s1.map(0x1000, ipa, 0x1000, RW);
    fx.writeStruct(table + index * 64, CD.encode(cdFields(s1.root, 10 + index)));
  }
  fx.writeSte(1, s1SteFields(table, { S1CDMax: cdMax, S1DSS: s1dss }));
  fx.writeSte(2, { V: 1, Config: 7, S1ContextPtr: BigInt(table), S1CDMax: cdMax, S1DSS: s1dss, ...s2SteFields(s2.root, 1) });
  return fx;
}

function outcomeOf(r: ReturnType<Fixture['smmu']['translate']>, nested: boolean): Outcome | string {
  if (r.ok) {
    // Stage-1-only streams output the IPA; nested streams translate it through stage 2.
    if (r.output === (nested ? Layout.DATA + 0x10 : IPA0 + 0x10)) return 'cd0';
    if (r.output === (nested ? Layout.DATA + 0x5010 : IPA5 + 0x10)) return 'cd5';
    if (r.output === (nested ? Layout.DATA + 0x9010 : VA)) return 'bypass';
    return `output 0x${r.output.toString(16)}`;
  }
  return r.event?.name ?? String(r.abort);
}

describe('S1DSS × SubstreamID', () => {
  for (const s1dss of [0, 1, 2, 3]) {
    for (const [col, ssid] of [undefined, 0, 5].entries()) {
      const want = MATRIX[s1dss]![col]!;
      it(`S1DSS ${s1dss.toString(2).padStart(2, '0')}, ${ssid === undefined ? 'no SubstreamID' : `SubstreamID ${ssid}`}: ${want}`, () => {
        const fx = world(s1dss);
        for (const [sid, nested] of [
          [1, false],
          [2, true],
        ] as const) {
          const r = fx.smmu.translate({ streamId: sid, substreamId: ssid, address: VA, access: Access.READ });
          expect(outcomeOf(r, nested)).toBe(want);
          if (want === 'F_STREAM_DISABLED') expect(r).toMatchObject({ recorded: true, event: { fields: { StreamID: sid } } });
        }
      });
    }
  }

  it('with S1CDMax == 0 S1DSS is ignored: the single CD serves traffic without a SubstreamID, any SubstreamID is C_BAD_SUBSTREAMID', () => {
    for (const s1dss of [0, 1, 2]) {
      const fx = world(s1dss, 0);
      expect(outcomeOf(fx.smmu.translate({ streamId: 1, address: VA, access: Access.READ }), false)).toBe('cd0');
      expect(outcomeOf(fx.smmu.translate({ streamId: 2, address: VA, access: Access.READ }), true)).toBe('cd0');
      const r = fx.smmu.translate({ streamId: 1, substreamId: 0, address: VA, access: Access.READ });
      expect(r).toMatchObject({ ok: false, event: { name: 'C_BAD_SUBSTREAMID', fields: { SubstreamID: 0, StreamID: 1 } } });
    }
  });

  it('S1DSS bypass checks the input against the IAS (stage-1 F_ADDR_SIZE, CLASS = IN)', () => {
    const fx = world(1);
    const r = fx.smmu.translate({ streamId: 2, address: 2 ** 48 + 0x10, access: Access.READ });
    expect(r).toMatchObject({ ok: false, event: { name: 'F_ADDR_SIZE', fields: { S2: 0, CLASS: 2, InputAddr: 2n ** 48n + 0x10n } } });
  });
});
