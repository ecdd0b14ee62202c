import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Access, NestedTranslator, PageTableBuilder, PoolAllocator, TranslatedMemory, type MapProt } from '@viommu/core';
import { createFirstLevelFormat, vtdFaultReasonForWalk } from '../src/paging/index';
import { encodeQiDescriptor, type QiDescriptor } from '../src/structures/index';
import { Gcmd, VtdRegister, type VtdTranslateResult } from '../src/model/index';
import { DATA_BASE, Machine } from './model-support';

const SID = 0x0408;
const PASID = 3;
const DID = 11;

const accessArb = fc.constantFrom(
  Access.READ,
  Access.WRITE,
  Access.READ | Access.WRITE,
  Access.EXEC,
  Access.READ | Access.PRIV,
  Access.WRITE | Access.PRIV,
  Access.EXEC | Access.PRIV,
);
const protArb: fc.Arbitrary<MapProt> = fc.record({ read: fc.constant(true), write: fc.boolean(), user: fc.boolean(), exec: fc.boolean() });

describe('nested translation is the composition of a first-level and a second-level walk', () => {
  const GPA_DATA = 0x80_0000; // guest data pages start at 8 MiB; tables live below
  const GUEST_HOST = 0x400_0000;

  it('agrees with a separate first-level walk (over guest memory) followed by a second-level walk', () => {
    const seen = { ok: 0, s1: 0, s2: 0 };
    fc.assert(
      fc.property(
        // Guest pages 0..15 mapped to GPA pages 0..39, of which only 0..31 may be mapped by the second level.
        fc.array(fc.record({ gva: fc.nat(15), gpa: fc.nat(39), prot: protArb }), { minLength: 8, maxLength: 24 }),
        fc.array(fc.record({ gpa: fc.nat(31), hpa: fc.nat(255), perm: fc.constantFrom(1, 2, 3, 3, 3) }), { minLength: 16, maxLength: 48 }),
        fc.array(fc.record({ gva: fc.nat(17), offset: fc.nat(4095), access: accessArb }), { minLength: 4, maxLength: 16 }),
        fc.record({ wpe: fc.boolean(), smep: fc.boolean() }),
        (flMaps, slMaps, requests, flags) => {
          const m = new Machine(true);
          const dir = m.scalableContext(SID);
          const table = m.pasidDirectory(dir, PASID);
          // Second level: guest tables [0, 8 MiB) read-write at GUEST_HOST; data pages with random rights.
          const sl = m.secondLevel();
          sl.map(0, GUEST_HOST, GPA_DATA, { read: true, write: true });
          const slDone = new Set<number>();
          for (const s of slMaps) {
            if (slDone.has(s.gpa)) continue;
            slDone.add(s.gpa);
            sl.map(GPA_DATA + s.gpa * 0x1000, DATA_BASE + s.hpa * 0x1000, 0x1000, { read: (s.perm & 1) !== 0, write: (s.perm & 2) !== 0 });
          }
          // The guest's memory seen through the second level structurally (no permission checks): where
          // the guest driver writes its first-level tables, and what the reference first-level walk reads.
          const gmem = new TranslatedMemory(m.memory, (gpa) => sl.iovaToPhys(gpa));
          const galloc = new PoolAllocator(gmem, 0x10_0000, 0x40_0000);
          const flOptions = { levels: 4 as const, hawBits: 52, nxe: true, wpe: flags.wpe, smep: flags.smep, sre: true, fl1gp: m.model.caps.fl1gp };
          const fl = new PageTableBuilder(createFirstLevelFormat(flOptions), gmem, galloc);
          const flDone = new Set<number>();
          for (const f of flMaps) {
            if (flDone.has(f.gva)) continue;
            flDone.add(f.gva);
            fl.map(0x4000_0000 + f.gva * 0x1000, GPA_DATA + f.gpa * 0x1000, 0x1000, f.prot);
          }
          m.pasidEntry(table, PASID, {
            PGTT: 3,
            AW: 2,
            SLPTPTR: sl.root,
            FLPTPTR: fl.root,
            DID,
            NXE: 1,
            SRE: 1,
            ERE: 1,
            WPE: flags.wpe ? 1 : 0,
            SMEP: flags.smep ? 1 : 0,
          });
          m.enable();
          const s1 = new NestedTranslator(gmem);
          const s2 = new NestedTranslator(m.memory);
          const s1Format = createFirstLevelFormat(flOptions);
          for (const r of requests) {
            const gva = 0x4000_0000 + r.gva * 0x1000;
            const got = m.model.translate({ sourceId: SID, pasid: PASID, address: gva + r.offset, access: r.access }, { uncached: true });
            const a = s1.translate({ stage1: { format: s1Format, root: fl.root } }, gva, r.access);
            if (!a.ok) {
              seen.s1++;
              expect(got.ok).toBe(false);
              expect(!got.ok && got.reason).toBe(vtdFaultReasonForWalk(a, 'nested', r.access));
              continue;
            }
            const b = s2.translate({ stage2: { format: sl.format, root: sl.root } }, a.output, r.access);
            if (!b.ok) {
              seen.s2++;
              expect(got.ok).toBe(false);
              expect(!got.ok && got.reason).toBe(vtdFaultReasonForWalk(b, 'nested', r.access));
              continue;
            }
            seen.ok++;
            expect(got.ok).toBe(true);
            if (!got.ok) continue;
            expect(got.output).toBe(b.output + r.offset);
            expect(got.permitted).toBe(a.permitted & b.permitted);
            expect(got.pageShift).toBe(Math.min(a.pageShift, b.pageShift));
          }
        },
      ),
      { numRuns: 40 },
    );
    // Not vacuous: successes, first-level faults and second-level (output) faults all occurred
    // (typically ~40 / ~270 / ~65).
    expect(seen.ok).toBeGreaterThan(10);
    expect(seen.s1).toBeGreaterThan(100);
    expect(seen.s2).toBeGreaterThan(20);
  });
});

describe('invalidate-then-translate equals an uncached translation', () => {
  const SID2 = 0x0409;
  const SL_BASE = 0x1000_0000;
  const FL_BASE = 0x7000_0000;

  type Op =
    | { kind: 'map'; table: number; page: number; target: number; prot: MapProt }
    | { kind: 'unmap'; table: number; page: number }
    | { kind: 'swapFl' }
    | { kind: 'ridPasid'; value: number }
    | { kind: 'translate'; who: number; page: number; offset: number; access: number };

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('map' as const), table: fc.nat(3), page: fc.nat(5), target: fc.nat(63), prot: protArb }),
    fc.record({ kind: fc.constant('map' as const), table: fc.nat(3), page: fc.nat(5), target: fc.nat(63), prot: protArb }),
    fc.record({ kind: fc.constant('unmap' as const), table: fc.nat(3), page: fc.nat(5) }),
    fc.record({ kind: fc.constant('swapFl' as const) }),
    fc.record({ kind: fc.constant('ridPasid' as const), value: fc.constantFrom(0, 5) }),
    fc.record({ kind: fc.constant('translate' as const), who: fc.nat(2), page: fc.nat(5), offset: fc.nat(4095), access: accessArb }),
    fc.record({ kind: fc.constant('translate' as const), who: fc.nat(2), page: fc.nat(5), offset: fc.nat(4095), access: accessArb }),
  );

  it('holds for random table edits followed by the invalidations a driver issues', () => {
    const seen = { hits: 0, ok: 0, faults: 0 };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(63), protArb), { minLength: 24, maxLength: 24 }), fc.array(opArb, { minLength: 10, maxLength: 60 }), (initial, ops) => {
        const m = new Machine(true);
        // SID: PASID 1 second level (DID 1), PASID 2 first level (DID 2, tables fl[0] or fl[1]).
        // SID2: requests without PASID through RID_PASID 0 (second level, DID 3) or 5 (pass-through, DID 4).
        const dir1 = m.scalableContext(SID);
        const t1 = m.pasidDirectory(dir1, 1);
        const dir2 = m.scalableContext(SID2, { RID_PASID: 0 });
        const t2 = m.pasidDirectory(dir2, 0);
        const sl = [m.secondLevel(), m.secondLevel()];
        const fl = [m.firstLevel({ nxe: true }), m.firstLevel({ nxe: true })];
        let flCurrent = 0;
        let rid = 0;
        m.pasidEntry(t1, 1, { PGTT: 2, AW: 2, SLPTPTR: sl[0]!.root, DID: 1 });
        m.pasidEntry(t1, 2, { PGTT: 1, FLPTPTR: fl[0]!.root, DID: 2, NXE: 1, SRE: 1, ERE: 1 });
        m.pasidEntry(t2, 0, { PGTT: 2, AW: 2, SLPTPTR: sl[1]!.root, DID: 3 });
        m.pasidEntry(t2, 5, { PGTT: 4, DID: 4 });
        m.enable();
        const q = queue(m);
        const mapped = [new Set<number>(), new Set<number>(), new Set<number>(), new Set<number>()];
        // Tables 0, 1: second level of PASID 1 / of SID2; tables 2, 3: first-level tables fl[0], fl[1].
        const builder = (t: number) => (t < 2 ? sl[t]! : fl[t - 2]!);
        const base = (t: number) => (t < 2 ? SL_BASE : FL_BASE);
        const invalidate = (t: number, page: number) => {
          const address = BigInt(base(t) + page * 0x1000);
          if (t === 0) q.submit({ type: 2, granularity: 'page', drainReads: true, drainWrites: true, did: 1, am: 0, ih: false, address });
          else if (t === 1) q.submit({ type: 2, granularity: 'page', drainReads: true, drainWrites: true, did: 3, am: 0, ih: false, address });
          else q.submit({ type: 6, granularity: 'page', did: 2, pasid: 2, am: 0, ih: false, address });
        };
        // Every table starts with pages 0..5 mapped, so that translations succeed and hit often.
        const all: Op[] = initial.map(([target, prot], i) => ({ kind: 'map', table: Math.floor(i / 6), page: i % 6, target, prot }));
        for (const op of [...all, ...ops]) {
          if (op.kind === 'map') {
            const b = builder(op.table);
            if (mapped[op.table]!.has(op.page)) {
              b.unmap(base(op.table) + op.page * 0x1000, 0x1000);
            }
            b.map(base(op.table) + op.page * 0x1000, DATA_BASE + op.target * 0x1000, 0x1000, op.prot);
            mapped[op.table]!.add(op.page);
            invalidate(op.table, op.page);
          } else if (op.kind === 'unmap') {
            if (!mapped[op.table]!.delete(op.page)) continue;
            builder(op.table).unmap(base(op.table) + op.page * 0x1000, 0x1000);
            invalidate(op.table, op.page);
          } else if (op.kind === 'swapFl') {
            flCurrent ^= 1;
            m.pasidEntry(t1, 2, { PGTT: 1, FLPTPTR: fl[flCurrent]!.root, DID: 2, NXE: 1, SRE: 1, ERE: 1 });
            q.submit({ type: 7, granularity: 'pasid', did: 2, pasid: 2 }, { type: 6, granularity: 'pasid', did: 2, pasid: 2, am: 0, ih: false, address: 0n });
          } else if (op.kind === 'ridPasid') {
            if (op.value === rid) continue;
            rid = op.value;
            m.scalableContext(SID2, { RID_PASID: rid, PASIDDIRPTR: dir2 });
            q.submit({ type: 1, granularity: 'device', did: 0, sid: SID2, fm: 0 });
          } else {
            const req =
              op.who === 0
                ? { sourceId: SID, pasid: 1, address: SL_BASE + op.page * 0x1000 + op.offset, access: op.access }
                : op.who === 1
                  ? { sourceId: SID, pasid: 2, address: FL_BASE + op.page * 0x1000 + op.offset, access: op.access }
                  : { sourceId: SID2, address: SL_BASE + op.page * 0x1000 + op.offset, access: op.access };
            // Twice through the caches (the second may hit what the first filled), once around them.
            const first = m.model.translate(req);
            const cached = m.model.translate(req);
            const uncached = m.model.translate(req, { uncached: true });
            expect(summary(first)).toEqual(summary(uncached));
            expect(summary(cached)).toEqual(summary(uncached));
            if (cached.ok && cached.cached) seen.hits++;
            if (uncached.ok) seen.ok++;
            else seen.faults++;
          }
        }
        // The queue never reported an error.
        expect(Number(m.model.readRegister(VtdRegister.FSTS, 4)) & 0x10).toBe(0);
      }),
      { numRuns: 60 },
    );
    // Not vacuous: cache hits, successes and faults all occurred (typically ~140 / ~180 / ~150).
    expect(seen.hits).toBeGreaterThan(40);
    expect(seen.ok).toBeGreaterThan(60);
    expect(seen.faults).toBeGreaterThan(40);
  });
});

function summary(r: VtdTranslateResult) {
  return r.ok ? { ok: true, output: r.output, pageShift: r.pageShift } : { ok: false, reason: r.reason };
}

/** A minimal 256-bit invalidation queue driver. */
function queue(m: Machine) {
  const base = m.alloc.allocate(8192);
  m.model.writeRegister(VtdRegister.IQA, BigInt(base) | 0x800n | 1n);
  m.model.writeRegister(VtdRegister.IQT, 0n);
  m.model.writeRegister(VtdRegister.GCMD, BigInt((Gcmd.TE | Gcmd.QIE) >>> 0), 4);
  let tail = 0;
  return {
    submit(...descs: QiDescriptor[]) {
      for (const d of descs) {
        m.write(base + tail, encodeQiDescriptor(d, true));
        tail = (tail + 32) % 8192;
      }
      m.model.writeRegister(VtdRegister.IQT, BigInt(tail));
    },
  };
}
