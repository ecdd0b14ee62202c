/**
 * Malformed-input matrix, VT-d row 2: tables that point at themselves or at each other. A walk reads one
 * entry per level, so a cycle through table pointers cannot make it loop: it ends after at most the format's
 * number of levels (per stage; L1·(L2+1)+L2 for nested) with the architected answer — a fault, or the
 * translation the architecture defines for such "recursive" tables (the entry read at the last level is a
 * 4 KiB leaf mapping whatever page it points at). Hand-worked cases first, then a property test over random
 * self-referential placements checked against an independent reference walker.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Access, type TraceEntry } from '@viommu/core';
import {
  PASID_DIRECTORY_ENTRY_LAYOUT,
  SCALABLE_CONTEXT_ENTRY_LAYOUT,
  SCALABLE_ROOT_ENTRY_LAYOUT,
  VtdFaultReason as FR,
} from '../src/structures/index';
import type { VtdRequest } from '../src/model/index';
import { Machine } from './model-support';
import { capsOptions, configReads, faultOutcome, okOutcome, outcome, walkReads } from './support-reliability';

const SID = 0x0508;
/** 57-bit MGAW (HAW 52), so 5-level second-level tables can use every top-level index. */
const WIDE = capsOptions({ mgawBits: 57 });
const PASID = 0x1234;
const DID = 42;
const OFF = 0x2a8;

/** Flags of the hand-built table entries: first level P|R/W|U/S|A, second level R|W|X — no reserved bit either way. */
const FL_FLAGS = 0x27n;
const SL_FLAGS = 0x7n;

/** An address whose index at each level (top first) is `indices[i]`, plus `offset` (a bigint: 5-level inputs pass 2^53). */
function inputOf(indices: readonly number[], offset = OFF): bigint {
  let a = BigInt(offset);
  const n = indices.length;
  indices.forEach((idx, i) => (a |= BigInt(idx) << BigInt(12 + 9 * (n - 1 - i))));
  return a;
}

function write64(m: Machine, address: number, value: bigint): void {
  if (!m.memory.write64(address, Number(value >> 32n), Number(value & 0xffff_ffffn))) throw new Error('unbacked');
}

function read64(m: Machine, address: number): bigint {
  const v = { hi: 0, lo: 0 };
  if (!m.memory.read64(address, v)) throw new Error('unbacked');
  return (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0);
}

function run(m: Machine, request: VtdRequest): { outcome: string; trace: TraceEntry[] } {
  const trace: TraceEntry[] = [];
  const r = m.model.translate(request, { uncached: true, trace });
  return { outcome: outcome(m.model, r), trace };
}

const page = (m: Machine) => m.alloc.allocate(4096);

describe('page tables that point at themselves or at each other (hand-worked)', () => {
  for (const flpm of [0, 1] as const) {
    const levels = flpm ? 5 : 4;
    it(`first level, ${levels}-level: an entry pointing at its own table maps that table; a hole ends the walk with 0x71`, () => {
      const m = new Machine(true);
      const t = page(m);
      const s = 0xa5;
      write64(m, t + s * 8, BigInt(t) | FL_FLAGS);
      const dir = m.scalableContext(SID);
      m.pasidEntry(m.pasidDirectory(dir, PASID), PASID, { PGTT: 1, FLPTPTR: t, FLPM: flpm, DID });
      m.enable();
      for (const access of [Access.READ, Access.WRITE]) {
        const r = run(m, { sourceId: SID, pasid: PASID, address: inputOf(Array(levels).fill(s)), access });
        expect(r.outcome).toBe(okOutcome(t + OFF));
        expect(walkReads(r.trace).map((e) => e.address)).toEqual(Array(levels).fill(t + s * 8));
      }
      // The write set D in the entry, which the architecture ignores in a table entry: still a table.
      expect(read64(m, t + s * 8) & 0x40n).toBe(0x40n);
      const hole = run(m, { sourceId: SID, pasid: PASID, address: inputOf([s, s, 7, ...Array(levels - 3).fill(s)]), access: Access.READ });
      expect(hole.outcome).toBe(faultOutcome(FR.SM_FL_ENTRY_NOT_PRESENT, SID, PASID, true));
      expect(walkReads(hole.trace)).toHaveLength(3);
    });

    it(`first level, ${levels}-level: two tables pointing at each other alternate until the last level`, () => {
      const m = new Machine(true);
      const a = page(m);
      const b = page(m);
      const [i, j] = [3, 0x1ff];
      write64(m, a + i * 8, BigInt(b) | FL_FLAGS);
      write64(m, b + j * 8, BigInt(a) | FL_FLAGS);
      const dir = m.scalableContext(SID);
      m.pasidEntry(m.pasidDirectory(dir, PASID), PASID, { PGTT: 1, FLPTPTR: a, FLPM: flpm, DID });
      m.enable();
      // 4-level: a[i] b[j] a[i] b[j] → the leaf b[j] maps a. 5-level: one more a[i] → maps b.
      const idx = Array.from({ length: levels }, (_, k) => (k % 2 === 0 ? i : j));
      const r = run(m, { sourceId: SID, pasid: PASID, address: inputOf(idx), access: Access.READ });
      expect(r.outcome).toBe(okOutcome((levels % 2 === 0 ? a : b) + OFF));
      expect(walkReads(r.trace)).toHaveLength(levels);
    });
  }

  for (const levels of [3, 4, 5] as const) {
    for (const legacy of [false, true]) {
      it(`second level (${legacy ? 'legacy' : 'PGTT = 010b'}), ${levels}-level: self-pointer maps its own table, mutual pointers alternate, holes fault`, () => {
        const m = new Machine(!legacy, WIDE);
        const a = page(m);
        const b = page(m);
        const s = 0x1c3;
        const [i, j] = [1, 2];
        write64(m, a + s * 8, BigInt(a) | SL_FLAGS);
        write64(m, a + i * 8, BigInt(b) | SL_FLAGS);
        write64(m, b + j * 8, BigInt(a) | SL_FLAGS);
        if (legacy) {
          m.legacyContext(SID, { P: 1, AW: levels - 2, SLPTPTR: a, DID });
          m.enable();
        } else {
          const dir = m.scalableContext(SID);
          m.pasidEntry(m.pasidDirectory(dir, PASID), PASID, { PGTT: 2, AW: levels - 2, SLPTPTR: a, DID });
          m.enable();
        }
        const pasid = legacy ? undefined : PASID;
        const req = (idx: number[], access: number = Access.READ): VtdRequest => ({ sourceId: SID, pasid, address: inputOf(idx), access });
        const self = run(m, req(Array(levels).fill(s), Access.WRITE));
        expect(self.outcome).toBe(okOutcome(a + OFF));
        expect(walkReads(self.trace)).toHaveLength(levels);
        const mutual = run(m, req(Array.from({ length: levels }, (_, k) => (k % 2 === 0 ? i : j))));
        expect(mutual.outcome).toBe(okOutcome((levels % 2 === 0 ? a : b) + OFF));
        expect(walkReads(mutual.trace)).toHaveLength(levels);
        const hole = run(m, req([s, i, 5, ...Array(levels - 3).fill(s)]));
        expect(hole.outcome).toBe(faultOutcome(legacy ? FR.READ_DENIED : FR.SM_SL_PERMISSION_ERROR, SID, pasid, true));
        expect(walkReads(hole.trace)).toHaveLength(3);
      });
    }
  }

  it('nested: a second-level table mapping itself holds a first-level table pointing at itself — L1·(L2+1)+L2 reads, then the table page', () => {
    const m = new Machine(true);
    const h = page(m);
    const [s2, s1] = [1, 0x44];
    // Second level: h[s2] → h, so GPA g (every SL index s2) maps to h. First level at GPA g: h[s1] → g.
    const g = Number(inputOf([s2, s2, s2, s2], 0));
    write64(m, h + s2 * 8, BigInt(h) | SL_FLAGS);
    write64(m, h + s1 * 8, BigInt(g) | FL_FLAGS);
    const dir = m.scalableContext(SID);
    m.pasidEntry(m.pasidDirectory(dir, PASID), PASID, { PGTT: 3, AW: 2, SLPTPTR: h, FLPTPTR: g, DID });
    m.enable();
    const r = run(m, { sourceId: SID, pasid: PASID, address: inputOf([s1, s1, s1, s1]), access: Access.READ });
    expect(r.outcome).toBe(okOutcome(h + OFF));
    expect(walkReads(r.trace, 1)).toHaveLength(4);
    expect(walkReads(r.trace, 2)).toHaveLength(4 * 4 + 4);
    expect(walkReads(r.trace)).toHaveLength(4 * (4 + 1) + 4);
  });
});

describe('configuration pointers that point back into the configuration (hand-worked)', () => {
  it('legacy: a root entry whose CTP is the root table reads root entries as context entries (AW = 0 → 0x3, empty → 0x2)', () => {
    const m = new Machine(false);
    const bus = 5;
    write64(m, m.rootTable + bus * 16, BigInt(m.rootTable) | 1n);
    m.enable();
    // devfn 5 reads the root entry of bus 5 itself: P = 1, TT = 0, SLPTPTR = root, AW = 0 (30-bit, not in SAGAW).
    const self = run(m, { sourceId: (bus << 8) | bus, address: 0x1000, access: Access.READ });
    expect(self.outcome).toBe(faultOutcome(FR.CONTEXT_ENTRY_INVALID, (bus << 8) | bus, undefined, true));
    expect(configReads(self.trace)).toHaveLength(4);
    const empty = run(m, { sourceId: (bus << 8) | 6, address: 0x1000, access: Access.READ });
    expect(empty.outcome).toBe(faultOutcome(FR.CONTEXT_ENTRY_NOT_PRESENT, (bus << 8) | 6, undefined, true));
  });

  it('legacy: an SLPTPTR pointing at the root table walks root → context → root → context entry, a read-only 4 KiB leaf', () => {
    const m = new Machine(false);
    const bus = 5;
    const devfn = 8;
    const sid = (bus << 8) | devfn;
    const ctx = m.contextTable(sid);
    // Root entry lo = CTP | P (as a second-level entry: R, table → context table); context entry lo =
    // SLPTPTR | P (R, table → root table). DID 0 and AW = 2 live in the context entry's high qword.
    m.legacyContext(sid, { P: 1, AW: 2, SLPTPTR: m.rootTable, DID: 0 });
    m.enable();
    const address = inputOf([2 * bus, 2 * devfn, 2 * bus, 2 * devfn]);
    const read = run(m, { sourceId: sid, address, access: Access.READ });
    expect(read.outcome).toBe(okOutcome(m.rootTable + OFF));
    expect(walkReads(read.trace).map((e) => e.address)).toEqual([m.rootTable + bus * 16, ctx + devfn * 16, m.rootTable + bus * 16, ctx + devfn * 16]);
    const write = run(m, { sourceId: sid, address, access: Access.WRITE });
    expect(write.outcome).toBe(faultOutcome(FR.WRITE_DENIED, sid, undefined, true));
  });

  it('scalable: LCTP pointing at the root table; the root entries read as a context entry, a PASID directory and a PASID entry', () => {
    const m = new Machine(true);
    const [bus, devfn] = [8, 4]; // devfn 4's context entry (32 bytes at 4·32) is root entries 8 and 9
    const sid = (bus << 8) | devfn;
    const selfRoot = SCALABLE_ROOT_ENTRY_LAYOUT.encode({ LP: 1, LCTP: m.rootTable });
    m.write(m.rootTable + bus * 16, selfRoot);
    m.enable();
    // Context entry: P = 1, PASIDE = 0, PDTS = 0, PASIDDIRPTR = root, RID_PASID = 0. PASID 0's directory
    // entry is root entry 0's low qword: empty → 0x51.
    const r1 = run(m, { sourceId: sid, address: 0x1000, access: Access.READ });
    expect(r1.outcome).toBe(faultOutcome(FR.SM_PASID_DIR_NOT_PRESENT, sid, undefined, true));
    expect(configReads(r1.trace)).toHaveLength(2 + 4 + 1);
    // Root entry 0 also pointing at the root: the directory entry is P = 1, SMPTBLPTR = root, and the PASID
    // entry is root entries 0–3: P = 1 with PGTT = 000b → 0x5B.
    m.write(m.rootTable, selfRoot);
    const r2 = run(m, { sourceId: sid, address: 0x1000, access: Access.READ });
    expect(r2.outcome).toBe(faultOutcome(FR.SM_PASID_ENTRY_INVALID, sid, undefined, true));
    expect(configReads(r2.trace)).toHaveLength(2 + 4 + 1 + 8);
    // A request with PASID stops at the context entry's PASIDE = 0.
    const r3 = run(m, { sourceId: sid, pasid: 5, address: 0x1000, access: Access.READ });
    expect(r3.outcome).toBe(faultOutcome(FR.SM_PASIDE_CLEAR, sid, 5, true));
  });

  it('scalable: a PASID-directory entry pointing at the directory — the PASID entry read is the directory entry itself (PGTT 000b → 0x5B)', () => {
    const m = new Machine(true);
    const dir = m.scalableContext(SID);
    // PASID 513: directory index 8 (byte 64), table index 1 (byte 64) — the same bytes.
    const pasid = 513;
    m.write(dir + 8 * 8, PASID_DIRECTORY_ENTRY_LAYOUT.encode({ P: 1, SMPTBLPTR: dir }));
    m.enable();
    const r = run(m, { sourceId: SID, pasid, address: 0x1000, access: Access.READ });
    expect(r.outcome).toBe(faultOutcome(FR.SM_PASID_ENTRY_INVALID, SID, pasid, true));
    expect(configReads(r.trace).map((e) => e.label)).toEqual(['root entry', 'root entry', ...Array(4).fill('context entry'), 'PASID directory entry', ...Array(8).fill('PASID entry')]);
    // PASID 514 reads bytes 128–191 of the directory (entries 16–23, empty): P = 0 → 0x59.
    const r2 = run(m, { sourceId: SID, pasid: 514, address: 0x1000, access: Access.READ });
    expect(r2.outcome).toBe(faultOutcome(FR.SM_PASID_ENTRY_NOT_PRESENT, SID, 514, true));
  });

  it('scalable: a PASIDDIRPTR pointing at the context table — its own first qword as a directory entry has PASIDE in reserved bits 11:2 → 0x52', () => {
    const m = new Machine(true);
    const devfn = 8;
    const sid = (5 << 8) | devfn;
    const ctxTable = m.contextTable(sid);
    m.write(m.contextEntryAddress(sid), SCALABLE_CONTEXT_ENTRY_LAYOUT.encode({ P: 1, PASIDE: 1, PASIDDIRPTR: ctxTable }));
    m.enable();
    // Directory index (PASID >> 6) = 4·devfn lands on this context entry's first qword.
    const pasid = (4 * devfn) << 6;
    const r = run(m, { sourceId: sid, pasid, address: 0x1000, access: Access.READ });
    expect(r.outcome).toBe(faultOutcome(FR.SM_PASID_DIR_RESERVED, sid, pasid, true));
    // PASID 0 reads devfn 0's (empty) context entry as its directory entry: P = 0 → 0x51.
    const r0 = run(m, { sourceId: sid, pasid: 0, address: 0x1000, access: Access.READ });
    expect(r0.outcome).toBe(faultOutcome(FR.SM_PASID_DIR_NOT_PRESENT, sid, 0, true));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property: random self-referential placements against a reference walker.
// ---------------------------------------------------------------------------------------------------------

/** Table pages per machine, and the entry slots each stage uses (disjoint, so one page can serve both). */
const POOL = 4;
const SL_SLOTS = [0, 1, 511] as const;
const FL_SLOTS = [2, 3, 255] as const;

type Mode = 'first-level' | 'second-level' | 'legacy' | 'nested';

interface Graph {
  /** Per page, per SL slot: the page it points at, or null (empty entry). */
  readonly sl: (number | null)[][];
  /** Per page, per FL slot: the SL slot tuple (a GPA) or page (first-level only) it points at, or null. */
  readonly fl: (number[] | number | null)[][];
}

const slotTuple = (len: number) => fc.array(fc.nat(SL_SLOTS.length - 1), { minLength: len, maxLength: len });

/** What the reference walk found: the output, or an empty entry (and in which stage), and how many reads it made. */
interface RefResult {
  ok: boolean;
  output: number;
  reads: number;
  /** Which stage held the empty entry. */
  emptyStage?: 1 | 2;
}

/**
 * The reference page walk over raw memory, for tables whose entries are "4 KiB-aligned address | flags with
 * every right and no reserved bit" or empty: follow `levels` entries; the last one is a 4 KiB leaf.
 */
function refWalk(m: Machine, root: number, input: bigint, levels: number): RefResult {
  let table = root;
  let reads = 0;
  for (let level = levels; level >= 1; level--) {
    const idx = Number((input >> BigInt(12 + 9 * (level - 1))) & 511n);
    const e = read64(m, table + idx * 8);
    reads++;
    if (e === 0n) return { ok: false, output: 0, reads };
    table = Number(e & 0x000f_ffff_ffff_f000n);
  }
  return { ok: true, output: table + Number(input & 0xfffn), reads };
}

/** The reference nested walk: every first-level entry address (a GPA) and the output go through {@link refWalk} of the second level. */
function refNested(m: Machine, slRoot: number, flRoot: number, input: bigint, l1: number, l2: number): RefResult {
  let table = flRoot;
  let reads = 0;
  for (let level = l1; level >= 1; level--) {
    const idx = Number((input >> BigInt(12 + 9 * (level - 1))) & 511n);
    const fetch = refWalk(m, slRoot, BigInt(table + idx * 8), l2);
    reads += fetch.reads;
    if (!fetch.ok) return { ok: false, output: 0, reads, emptyStage: 2 };
    const e = read64(m, fetch.output);
    reads++;
    if (e === 0n) return { ok: false, output: 0, reads, emptyStage: 1 };
    table = Number(e & 0x000f_ffff_ffff_f000n);
  }
  const out = refWalk(m, slRoot, BigInt(table) + (input & 0xfffn), l2);
  return { ...out, reads: reads + out.reads, ...(out.ok ? {} : { emptyStage: 2 as const }) };
}

const gpaOf = (tuple: readonly number[]) => Number(inputOf(tuple.map((t) => SL_SLOTS[t]!), 0));

/** CAP.MGAW + 1 of the default capabilities: second-level inputs at or above 2^48 fault before any read. */
const MGAW_LIMIT = 1n << 48n;
/** Machines of the property test: default capabilities, or a 57-bit MGAW. */
const CAP_VARIANTS = [{}, WIDE] as const;

describe('random self-referential page-table placements', () => {
  const modes: { mode: Mode; l1: number[]; l2: number[] }[] = [
    { mode: 'first-level', l1: [4, 5], l2: [0] },
    { mode: 'second-level', l1: [0], l2: [3, 4, 5] },
    { mode: 'legacy', l1: [0], l2: [3, 4, 5] },
    { mode: 'nested', l1: [4, 5], l2: [3, 4] },
  ];
  for (const { mode, l1: l1s, l2: l2s } of modes) {
    it(`${mode}: terminates within the level bound with the reference walk's answer`, () => {
      const arb = fc
        .record({ l1: fc.constantFrom(...l1s), l2: fc.constantFrom(...l2s), wide: fc.boolean() })
        .chain(({ l1, l2, wide }) =>
          fc.record({
            wide: fc.constant(wide),
            l1: fc.constant(l1),
            l2: fc.constant(l2),
            sl: fc.array(fc.array(fc.option(fc.nat(POOL - 1), { nil: null }), { minLength: 3, maxLength: 3 }), { minLength: POOL, maxLength: POOL }),
            fl: fc.array(
              fc.array(fc.option(mode === 'nested' ? slotTuple(l2) : (fc.nat(POOL - 1) as fc.Arbitrary<number | number[]>), { nil: null }), { minLength: 3, maxLength: 3 }),
              { minLength: POOL, maxLength: POOL },
            ),
            slRoot: fc.nat(POOL - 1),
            flRoot: mode === 'nested' ? slotTuple(l2) : (fc.nat(POOL - 1) as fc.Arbitrary<number | number[]>),
            requests: fc.array(
              fc.record({
                idx: fc.array(fc.nat(2), { minLength: Math.max(l1, l2), maxLength: Math.max(l1, l2) }),
                offset: fc.nat(4095),
                write: fc.boolean(),
              }),
              { minLength: 1, maxLength: 6 },
            ),
          }),
        );
      fc.assert(
        fc.property(arb, (c) => {
          const m = new Machine(mode !== 'legacy', CAP_VARIANTS[c.wide ? 1 : 0]);
          const pages = Array.from({ length: POOL }, () => m.alloc.allocate(4096));
          const graph: Graph = { sl: c.sl, fl: c.fl as Graph['fl'] };
          pages.forEach((p, k) => {
            SL_SLOTS.forEach((slot, i) => {
              const t = graph.sl[k]![i];
              if (mode !== 'first-level' && t !== null && t !== undefined) write64(m, p + slot * 8, BigInt(pages[t]!) | SL_FLAGS);
            });
            FL_SLOTS.forEach((slot, i) => {
              const t = graph.fl[k]![i];
              if (mode === 'first-level' && typeof t === 'number') write64(m, p + slot * 8, BigInt(pages[t]!) | FL_FLAGS);
              if (mode === 'nested' && Array.isArray(t)) write64(m, p + slot * 8, BigInt(gpaOf(t)) | FL_FLAGS);
            });
          });
          const slRoot = pages[c.slRoot]!;
          const flRoot = mode === 'nested' ? gpaOf(c.flRoot as number[]) : pages[c.flRoot as number]!;
          const flpm = c.l1 === 5 ? 1 : 0;
          if (mode === 'legacy') m.legacyContext(SID, { P: 1, AW: c.l2 - 2, SLPTPTR: slRoot, DID });
          else {
            const dir = m.scalableContext(SID);
            const fields: Record<string, number> =
              mode === 'first-level'
                ? { PGTT: 1, FLPTPTR: flRoot, FLPM: flpm }
                : mode === 'second-level'
                  ? { PGTT: 2, AW: c.l2 - 2, SLPTPTR: slRoot }
                  : { PGTT: 3, AW: c.l2 - 2, SLPTPTR: slRoot, FLPTPTR: flRoot, FLPM: flpm };
            m.pasidEntry(m.pasidDirectory(dir, PASID), PASID, { DID, ...fields });
          }
          m.enable();
          const pasid = mode === 'legacy' ? undefined : PASID;
          for (const q of c.requests) {
            const levels = mode === 'first-level' || mode === 'nested' ? c.l1 : c.l2;
            const slots = mode === 'first-level' || mode === 'nested' ? FL_SLOTS : SL_SLOTS;
            const input = inputOf(q.idx.slice(0, levels).map((i) => slots[i]!), q.offset);
            const access = q.write ? Access.WRITE : Access.READ;
            const beyond = (mode === 'second-level' || mode === 'legacy') && !c.wide && input >= MGAW_LIMIT;
            const ref = beyond
              ? { ok: false, output: 0, reads: 0 }
              : mode === 'nested'
                ? refNested(m, slRoot, flRoot, input, c.l1, c.l2)
                : refWalk(m, mode === 'first-level' ? flRoot : slRoot, input, levels);
            const r = run(m, { sourceId: SID, pasid, address: input, access });
            let expected: string;
            if (beyond) expected = faultOutcome(mode === 'legacy' ? FR.ADDRESS_BEYOND_MGAW : FR.SM_ADDRESS_BEYOND_MAX, SID, pasid, true);
            else if (ref.ok) expected = okOutcome(ref.output);
            else if (mode === 'first-level' || (mode === 'nested' && ref.emptyStage === 1)) expected = faultOutcome(FR.SM_FL_ENTRY_NOT_PRESENT, SID, pasid, true);
            else if (mode === 'legacy') expected = faultOutcome(q.write ? FR.WRITE_DENIED : FR.READ_DENIED, SID, pasid, true);
            else expected = faultOutcome(FR.SM_SL_PERMISSION_ERROR, SID, pasid, true);
            expect(r.outcome).toBe(expected);
            const s1 = walkReads(r.trace, 1).length;
            const all = walkReads(r.trace).length;
            if (mode === 'nested') {
              expect(s1).toBeLessThanOrEqual(c.l1);
              // A write's D update of the first-level leaf re-translates the leaf's GPA through the second
              // level (core's NestedTranslator), before the output is translated: at most L2 more reads.
              expect(all).toBeLessThanOrEqual(c.l1 * (c.l2 + 1) + c.l2 + (q.write ? c.l2 : 0));
              if (!q.write) expect(all).toBe(ref.reads);
            } else {
              expect(all).toBeLessThanOrEqual(levels);
              expect(all).toBe(ref.reads);
            }
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
