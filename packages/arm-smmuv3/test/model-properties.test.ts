/**
 * Properties of the device model:
 * - a nested translation equals the composition of a stage-1-only walk and a stage-2-only walk over the
 *   same tables, and an independent reference built from the mapping lists;
 * - caches are coherent under the architected discipline: after each table edit followed by the
 *   invalidation the architecture requires, every cached answer equals the uncached one.
 */
import { Access, Perm, type PageTableBuilder } from '@viommu/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CD } from '../src/structures/index';
import type { SmmuTranslateResult } from '../src/model/index';
import { Fixture, Layout, RO, RW, cdFields, s1SteFields, s2SteFields, stage1Tables, stage2Tables } from './model-fixture';

const PAGES = 16;
const VA_BASE = 0x1_0000;
const IPA_BASE = 0x1000_0000;
const PA_BASE = Layout.DATA;

/** Stage-1 and stage-2 worlds sharing tables: SID 1 stage 1 only, SID 2 stage 2 only, SID 3 nested. */
function world() {
  const fx = new Fixture();
  const s2 = stage2Tables(fx.mem, fx.pool);
  // Structures and tables are read at IPA = PA, so the stage-1 tables serve SID 1 (PA) and SID 3 (IPA).
  s2.map(Layout.STRUCTS, Layout.STRUCTS, Layout.DATA - Layout.STRUCTS, RW);
  const s1 = stage1Tables(fx.mem, fx.pool);
  const cd1 = fx.structAlloc(64);
  fx.writeStruct(cd1, CD.encode(cdFields(s1.root, 1)));
  fx.writeSte(1, s1SteFields(cd1, { S2VMID: 1 }));
  fx.writeSte(2, { V: 1, Config: 6, ...s2SteFields(s2.root, 2) });
  const s3 = stage1Tables(fx.mem, fx.pool);
  const cd3 = fx.structAlloc(64);
  fx.writeStruct(cd3, CD.encode(cdFields(s3.root, 3)));
  fx.writeSte(3, { V: 1, Config: 7, S1ContextPtr: BigInt(cd3), ...s2SteFields(s2.root, 2) });
  return { fx, s1, s2, s3, cd1, cd3 };
}

interface Mapping {
  page: number;
  target: number;
  write: boolean;
}

const mappingArb = (targets: number) =>
  fc.uniqueArray(fc.record({ page: fc.nat(PAGES - 1), target: fc.nat(targets - 1), write: fc.boolean() }), { selector: (m) => m.page, maxLength: PAGES });

function comparable(r: SmmuTranslateResult) {
  return r.ok ? { ok: true, output: r.output, permitted: r.permitted, pageShift: r.pageShift } : { ok: false, event: r.event, abort: r.abort };
}

describe('nested translation = stage 1 then stage 2', () => {
  it('matches the composition of separate walks and the mapping lists', () => {
    fc.assert(
      fc.property(
        mappingArb(PAGES),
        mappingArb(PAGES),
        fc.array(fc.record({ page: fc.nat(PAGES - 1), offset: fc.nat(0xfff), write: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        (m1: Mapping[], m2: Mapping[], queries) => {
          const { fx, s1, s2, s3 } = world();
          for (const m of m1) {
            const prot = m.write ? RW : RO;
            s1.map(VA_BASE + m.page * 0x1000, IPA_BASE + m.target * 0x1000, 0x1000, prot);
            s3.map(VA_BASE + m.page * 0x1000, IPA_BASE + m.target * 0x1000, 0x1000, prot);
          }
          for (const m of m2) s2.map(IPA_BASE + m.page * 0x1000, PA_BASE + m.target * 0x1000, 0x1000, m.write ? RW : RO);
          for (const q of queries) {
            const va = VA_BASE + q.page * 0x1000 + q.offset;
            const access = q.write ? Access.WRITE : Access.READ;
            const nested = fx.smmu.translate({ streamId: 3, address: va, access }, { uncached: true });
            // Composition of the separate walks.
            const one = fx.smmu.translate({ streamId: 1, address: va, access }, { uncached: true });
            if (!one.ok) {
              expect(nested).toMatchObject({ ok: false, event: { name: one.event!.name, fields: { S2: 0, CLASS: 2 } } });
            } else {
              const two = fx.smmu.translate({ streamId: 2, address: one.output, access }, { uncached: true });
              if (two.ok) {
                expect(nested).toMatchObject({ ok: true, output: two.output, ipa: one.output, permitted: one.permitted & two.permitted });
              } else {
                expect(nested).toMatchObject({ ok: false, event: { name: two.event!.name, fields: { S2: 1, CLASS: 2, IPA: one.output - q.offset } } });
              }
            }
            // The mapping lists.
            const a = m1.find((m) => m.page === q.page);
            const b = a && m2.find((m) => m.page === a.target);
            if (!a) expect(nested).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION', fields: { S2: 0 } } });
            else if (q.write && !a.write) expect(nested).toMatchObject({ ok: false, event: { name: 'F_PERMISSION', fields: { S2: 0 } } });
            else if (!b) expect(nested).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION', fields: { S2: 1 } } });
            else if (q.write && !b.write) expect(nested).toMatchObject({ ok: false, event: { name: 'F_PERMISSION', fields: { S2: 1 } } });
            else expect(nested).toMatchObject({ ok: true, output: PA_BASE + b.target * 0x1000 + q.offset, permitted: a.write && b.write ? Perm.ALL & ~(Perm.UX | Perm.PX) : Perm.UR | Perm.PR });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

type Op =
  | { kind: 'edit1'; page: number; target: number | null; write: boolean }
  | { kind: 'edit3'; page: number; target: number | null; write: boolean }
  | { kind: 'edit2'; page: number; target: number | null; write: boolean }
  | { kind: 'ste1'; bypass: boolean }
  | { kind: 'asid3'; asid: number }
  | { kind: 'translate'; sid: 1 | 2 | 3; page: number; write: boolean };

/** Few pages, so that edits and translations meet often. */
const HOT = 4;

const editArb = <K extends 'edit1' | 'edit2' | 'edit3'>(kind: K) =>
  fc.record({ kind: fc.constant(kind), page: fc.nat(HOT - 1), target: fc.option(fc.nat(HOT - 1), { freq: 4 }), write: fc.boolean() });

const translateArb = fc.record({
  kind: fc.constant('translate' as const),
  sid: fc.constantFrom(1 as const, 2 as const, 3 as const),
  page: fc.nat(HOT - 1),
  write: fc.boolean(),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  editArb('edit1'),
  editArb('edit2'),
  editArb('edit3'),
  fc.record({ kind: fc.constant('ste1' as const), bypass: fc.boolean() }),
  fc.record({ kind: fc.constant('asid3' as const), asid: fc.integer({ min: 3, max: 6 }) }),
  translateArb,
  translateArb,
  translateArb,
  translateArb,
);

function edit(b: PageTableBuilder, base: number, targetBase: number, op: { page: number; target: number | null; write: boolean }): void {
  const va = base + op.page * 0x1000;
  b.unmap(va, 0x1000);
  if (op.target !== null) b.map(va, targetBase + op.target * 0x1000, 0x1000, op.write ? RW : RO);
}

describe('invalidate, then translate = uncached', () => {
  it('holds for random table edits, STE/CD changes and translations, each edit followed by its architected invalidation', () => {
    let hits = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 60 }), (ops) => {
        const { fx, s1, s2, s3, cd1: cd1Address, cd3: cd3Address } = world();
        let cd3Asid = 3;
        for (let p = 0; p < HOT; p++) {
          s1.map(VA_BASE + p * 0x1000, IPA_BASE + p * 0x1000, 0x1000, RW);
          s3.map(VA_BASE + p * 0x1000, IPA_BASE + p * 0x1000, 0x1000, RW);
          s2.map(IPA_BASE + p * 0x1000, PA_BASE + p * 0x1000, 0x1000, RW);
        }
        for (const op of ops) {
          switch (op.kind) {
            case 'edit1':
              edit(s1, VA_BASE, IPA_BASE, op);
              fx.cmd({ name: 'CMD_TLBI_NH_VA', fields: { VMID: 1, ASID: 1, Address: BigInt(VA_BASE + op.page * 0x1000) } }, { name: 'CMD_SYNC' });
              break;
            case 'edit3':
              edit(s3, VA_BASE, IPA_BASE, op);
              fx.cmd({ name: 'CMD_TLBI_NH_VA', fields: { VMID: 2, ASID: cd3Asid, Address: BigInt(VA_BASE + op.page * 0x1000) } }, { name: 'CMD_SYNC' });
              break;
            case 'edit2':
              edit(s2, IPA_BASE, PA_BASE, op);
              // Stage-2 change: by IPA for stage-2-only entries, plus NH_ALL for combined entries (§4.4.3.1).
              fx.cmd(
                { name: 'CMD_TLBI_S2_IPA', fields: { VMID: 2, Address: IPA_BASE + op.page * 0x1000 } },
                { name: 'CMD_SYNC' },
                { name: 'CMD_TLBI_NH_ALL', fields: { VMID: 2 } },
                { name: 'CMD_SYNC' },
              );
              break;
            case 'ste1':
              fx.writeSte(1, op.bypass ? { V: 1, Config: 4 } : s1SteFields(cd1Address, { S2VMID: 1 }));
              fx.cmd({ name: 'CMD_CFGI_STE', fields: { StreamID: 1, Leaf: 1 } }, { name: 'CMD_SYNC' });
              break;
            case 'asid3':
              // A new ASID for the CD: CFGI_CD, and the old ASID's entries go too.
              fx.writeStruct(cd3Address, CD.encode(cdFields(s3.root, op.asid)));
              fx.cmd(
                { name: 'CMD_CFGI_CD', fields: { StreamID: 3, SubstreamID: 0, Leaf: 1 } },
                { name: 'CMD_TLBI_NH_ASID', fields: { VMID: 2, ASID: cd3Asid } },
                { name: 'CMD_SYNC' },
              );
              cd3Asid = op.asid;
              break;
            case 'translate': {
              const base = op.sid === 2 ? IPA_BASE : VA_BASE;
              const req = { streamId: op.sid, address: base + op.page * 0x1000 + 0x18, access: op.write ? Access.WRITE : Access.READ };
              const cached = fx.smmu.translate(req);
              const reference = fx.smmu.translate(req, { uncached: true });
              expect(comparable(cached)).toEqual(comparable(reference));
              if (cached.ok && cached.cached) hits++;
              break;
            }
          }
        }
      }),
      { numRuns: 60 },
    );
    expect(hits).toBeGreaterThan(100); // the IOTLB was exercised
  });

  it('without the invalidation the cached answer may be stale (the property above is not vacuous)', () => {
    const { fx, s1 } = world();
    s1.map(VA_BASE, IPA_BASE, 0x1000, RW);
    const req = { streamId: 1, address: VA_BASE, access: Access.READ };
    expect(fx.smmu.translate(req)).toMatchObject({ ok: true, output: IPA_BASE });
    s1.unmap(VA_BASE, 0x1000);
    expect(fx.smmu.translate(req)).toMatchObject({ ok: true, output: IPA_BASE, cached: true });
    expect(fx.smmu.translate(req, { uncached: true })).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION' } });
  });
});
