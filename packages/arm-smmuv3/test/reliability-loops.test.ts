/**
 * Malformed input matrix, tables that point at themselves or at each other: a stage-1 or stage-2 entry whose
 * address is its own table, two tables pointing at each other, an L1STD whose L2Ptr is the L1 table, an
 * L1CD whose L2Ptr is the L1CD table, and a stage-1 table whose IPA stage 2 maps onto a stage-2 table. Each
 * walk ends with the architected result — worked out by hand here, and equal to the reference walker's —
 * after at most the format's levels: ≤ 4 descriptor reads per 4 KB stage from level 0, and
 * ≤ L1·(L2 + 1) + L2 = 24 stage-1 and stage-2 reads for a nested walk (plus ≤ L2 stage-2 reads per CD or
 * L1CD fetch). A property test places self- and cross-references at random.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Access, read64Big, write64Big, type TraceEntry } from '@viommu/core';
import { L1CD, L1STD } from '../src/structures/index';
import type { SmmuTransaction } from '../src/model/index';
import {
  BLOCK_VA,
  FULL,
  Sid,
  TTB1_VA0,
  WIN_A,
  WIN_B,
  WIN_BITS,
  buildWorld,
  outcomeOf,
  probesOf,
  refOf,
  refTranslate,
  type Outcome,
  type World,
} from './support-reliability';
import { Layout } from './model-fixture';

const TABLE = 3n; // valid table descriptor (bits [1:0] = 0b11)
const LEVELS = 4; // every world walk starts at level 0 with the 4 KB granule
const NESTED_BOUND = LEVELS * (LEVELS + 1) + LEVELS;

/** Read counts of a traced translation. */
interface Reads {
  readonly s1: number;
  readonly s2: number;
  /** Stage-2 reads serving CD / L1CD fetches. */
  readonly s2Config: number;
  /** Configuration structure reads (64-bit words of STE, L1STD, CD, L1CD). */
  readonly config: number;
}

function traced(w: World, probe: SmmuTransaction): { outcome: Outcome; reads: Reads } {
  const trace: TraceEntry[] = [];
  const outcome = outcomeOf(w.fx.smmu.translate(probe, { uncached: true, trace }));
  const reads = trace.filter((t) => !t.write);
  return {
    outcome,
    reads: {
      s1: reads.filter((t) => t.stage === 1).length,
      s2: reads.filter((t) => t.stage === 2 && t.purpose !== 'config').length,
      s2Config: reads.filter((t) => t.stage === 2 && t.purpose === 'config').length,
      config: reads.filter((t) => t.stage === 0).length,
    },
  };
}

/** The stage-1 (or stage-2) descriptor addresses of `probe`'s working walk, root first. */
function path(w: World, probe: SmmuTransaction, stage: 1 | 2, purpose?: string): number[] {
  const trace: TraceEntry[] = [];
  w.fx.smmu.translate(probe, { uncached: true, trace });
  return trace.filter((t) => t.stage === stage && !t.write && (purpose === undefined || t.purpose === purpose)).map((t) => t.address);
}

const page = (a: number) => a - (a % 4096);
const pointTo = (w: World, at: number, target: number) => write64Big(w.fx.mem, at, BigInt(target) | TABLE);

describe('tables that point at themselves or at each other', () => {
  it('a stage-1 level-0 entry pointing at its own table: the table maps itself, 4 reads', () => {
    const w = buildWorld(FULL);
    const uw: SmmuTransaction = { streamId: Sid.S1, address: 0x123, access: Access.WRITE };
    const [l0] = path(w, uw, 1);
    const root = page(l0!);
    pointTo(w, l0!, root);
    // L0[0] → the root again as L1, L2 and L3; at level 3 the table descriptor (0b11) is a page whose AF is clear.
    const a = traced(w, uw);
    expect(a.outcome).toMatchObject({ event: 'F_ACCESS', fields: { S2: 0, CLASS: 2 } });
    expect(a.reads.s1).toBe(LEVELS);
    // With AFFD the page is the table itself: AP = 0b00 (privileged only).
    expect(traced(w, { ...uw, streamId: Sid.S1_AFFD }).outcome).toMatchObject({ event: 'F_PERMISSION' });
    expect(traced(w, { streamId: Sid.S1_AFFD, address: 0x123, access: Access.READ | Access.PRIV }).outcome).toEqual({ ok: true, output: root + 0x123, ipa: root + 0x123 });
    for (const p of [uw, { ...uw, streamId: Sid.S1_AFFD }]) expect(traced(w, p).outcome).toEqual(refTranslate(refOf(w), p));
  });

  it('two stage-1 tables pointing at each other (level 2 → level 1 → level 2 …): ends after 4 reads', () => {
    const w = buildWorld(FULL);
    const uw: SmmuTransaction = { streamId: Sid.S1, address: 0x123, access: Access.WRITE };
    const [, l1, l2] = path(w, uw, 1);
    pointTo(w, l2!, page(l1!)); // L2[0] → the L1 table; L1[0] → the L2 table
    const a = traced(w, uw);
    // At level 3 the L1 table's entry 0 (a table descriptor to the L2 table) is a page with AF clear.
    expect(a.outcome).toMatchObject({ event: 'F_ACCESS', fields: { S2: 0, CLASS: 2 } });
    expect(a.reads.s1).toBe(LEVELS);
    expect(a.outcome).toEqual(refTranslate(refOf(w), uw));
  });

  it('a stage-2 level-0 entry pointing at its own table: the next index misses, 2 reads', () => {
    const w = buildWorld(FULL);
    const probe = probesOf(Sid.S2)[0]!;
    const [l0] = path(w, probe, 2);
    pointTo(w, l0!, page(l0!));
    const a = traced(w, probe);
    // The 2-entry level-0 table read as level 1 with IPA[38:30] = 1: entry 1 is empty.
    expect(a.outcome).toMatchObject({ event: 'F_TRANSLATION', fields: { S2: 1, CLASS: 2, IPA: 0x5000_0000 } });
    expect(a.reads.s2).toBe(2);
    expect(a.outcome).toEqual(refTranslate(refOf(w), probe));
  });

  it('a stage-2 level-2 entry pointing at the level-1 table and back', () => {
    const w = buildWorld(FULL);
    const probe = probesOf(Sid.S2)[0]!;
    const [, l1, l2] = path(w, probe, 2);
    pointTo(w, l2!, page(l1!));
    const a = traced(w, probe);
    expect(a.reads.s2).toBeLessThanOrEqual(LEVELS);
    expect(a.outcome).not.toMatchObject({ ok: true });
    expect(a.outcome).toEqual(refTranslate(refOf(w), probe));
  });

  it('an L1STD whose L2Ptr is the L1 table: the L1STDs are read as STEs', () => {
    const w = buildWorld(FULL, { split: 6 });
    const l1 = Layout.STRTAB;
    for (const span of [6, 7]) {
      w.fx.writeStruct(l1, L1STD.encode({ Span: span, L2Ptr: BigInt(l1) }));
      // SID 0's "STE" is the L1STD itself: V = Span[0], Config = Span[3:1].
      const s0 = traced(w, { streamId: 0, address: 0x1000, access: Access.READ });
      expect(s0.outcome, `Span ${span}`).toEqual(
        span === 7 ? { ok: false, silent: 'STE_ABORT' } : { ok: false, event: 'C_BAD_STE', fields: { StreamID: 0, SSV: 0, SubstreamID: 0 } },
      );
      expect(s0.reads.config).toBe(1 + 8); // one L1STD, one STE
      // SID 1's STE is the empty rest of the L1 table.
      expect(traced(w, probesOf(Sid.S1)[0]!).outcome).toMatchObject({ event: 'C_BAD_STE' });
    }
  });

  it('an L1CD whose L2Ptr is the L1CD table: the L1CDs are read as CDs', () => {
    const w = buildWorld(FULL);
    const l1 = w.l1cd!;
    w.fx.writeStruct(l1, L1CD.encode({ V: 1, L2Ptr: BigInt(l1) }));
    const [noSsid, ssid5] = probesOf(Sid.NESTED_SS) as [SmmuTransaction, SmmuTransaction];
    // CD 0 = L1CD 0: CD.V = L2Ptr bit 31 = 0 (the table is at 0x2000_0000). CD 5 is the empty rest.
    for (const p of [noSsid, ssid5]) {
      const r = traced(w, p);
      expect(r.outcome).toMatchObject({ event: 'C_BAD_CD' });
      expect(r.reads.config).toBe(8 + 1 + 8); // STE, L1CD, CD
      expect(r.reads.s2Config).toBe(2 * LEVELS); // the L1CD and the CD IPA through stage 2
      expect(r.outcome).toEqual(refTranslate(refOf(w), p));
    }
  });

  it('nested: a stage-1 table whose IPA stage 2 maps onto a stage-2 table', () => {
    const w = buildWorld(FULL);
    const probe: SmmuTransaction = { streamId: Sid.NESTED, address: 0x123, access: Access.WRITE };
    // The stage-2 leaf mapping the stage-1 root's IPA now maps the stage-2 root.
    const s2Leaf = path(w, probe, 2, 's1-table').slice(0, LEVELS).at(-1)!;
    const leaf = read64Big(w.fx.mem, s2Leaf)!;
    write64Big(w.fx.mem, s2Leaf, (leaf & ~0xffff_ffff_f000n) | BigInt(w.s2.root));
    let r = traced(w, probe);
    // Stage-2 root entry 0 read as a stage-1 level-0 table descriptor: its target (a stage-2 table PA in
    // the host window) is an IPA stage 2 does not map → stage-2 fault on a table fetch.
    const s2L1 = Number(read64Big(w.fx.mem, w.s2.root)! & 0xffff_ffff_f000n);
    expect(r.outcome).toMatchObject({ event: 'F_TRANSLATION', fields: { S2: 1, CLASS: 1, IPA: s2L1 } });
    expect(r.reads.s1 + r.reads.s2).toBeLessThanOrEqual(NESTED_BOUND);
    expect(r.outcome).toEqual(refTranslate(refOf(w), probe));
    // Now let the guest see the host window (identity): the walk reads stage-2 tables as stage-1 tables.
    w.s2.map(WIN_B, WIN_B, 2 ** WIN_BITS, { read: true, write: true });
    // VA 0x2000_0000 indexes 0, 0, 256, 0: stage-2 root[0] → L1[0] → L2[256] → the L3 entry for IPA
    // 0x2000_0000, a stage-2 page descriptor read as a stage-1 page: S2AP = 0b11 is AP = 0b11 (read-only).
    const va = WIN_A + 0x123;
    r = traced(w, { ...probe, address: va, access: Access.READ });
    expect(r.outcome).toEqual({ ok: true, output: WIN_A + 0x123, ipa: WIN_A + 0x123 });
    expect(r.reads.s1 + r.reads.s2).toBe(NESTED_BOUND);
    expect(traced(w, { ...probe, address: va }).outcome).toMatchObject({ event: 'F_PERMISSION', fields: { S2: 0 } });
  });
});

/** A tiny deterministic generator (xorshift32) so large random fills stay cheap and reproducible from a seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('random self- and cross-references (property)', () => {
  it('terminate with the reference outcome within the read bounds, for every stream kind', () => {
    const sids = [Sid.S1, Sid.NESTED, Sid.NESTED_SS, Sid.S2];
    const kinds = new Set<string>();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 3 }), (seed, edits) => {
        const rand = rng(seed);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
        const w = buildWorld(FULL);
        const ref = refOf(w);
        const probes = [...sids.flatMap(probesOf), { streamId: Sid.S1, address: TTB1_VA0 + BigInt(BLOCK_VA), access: Access.READ }];
        // Every descriptor the working walks read, and every table page they live in.
        const descriptors: { stage: 1 | 2; pa: number }[] = [];
        const tables: Record<1 | 2, Set<number>> = { 1: new Set(), 2: new Set() };
        for (const p of probes) {
          const trace: TraceEntry[] = [];
          w.fx.smmu.translate(p, { uncached: true, trace });
          for (const t of trace) {
            if (t.stage === 0 || t.write) continue;
            descriptors.push({ stage: t.stage, pa: t.address });
            tables[t.stage].add(page(t.ipa ?? t.address));
          }
        }
        for (let i = 0; i < edits; i++) {
          const d = pick(descriptors);
          const target = pick([...tables[d.stage]]);
          // A table descriptor (sometimes with APTable/XNTable bits), or a page/block mapping the table.
          const kind = pick([TABLE, TABLE | (BigInt(Math.floor(rand() * 16)) << 59n), 1n | (1n << 10n) | (1n << 6n), TABLE | (1n << 10n) | (1n << 6n)]);
          write64Big(w.fx.mem, d.pa, BigInt(target) | kind);
        }
        for (const p of probes) {
          for (const access of [Access.WRITE, Access.READ | Access.PRIV]) {
            const probe = { ...p, access };
            const expected = refTranslate(ref, probe);
            const r = traced(w, probe);
            expect(r.outcome).toEqual(expected);
            kinds.add(r.outcome.ok ? 'ok' : 'event' in r.outcome ? r.outcome.event : r.outcome.silent);
            const nested = p.streamId === Sid.NESTED || p.streamId === Sid.NESTED_SS;
            expect(r.reads.s1).toBeLessThanOrEqual(LEVELS);
            expect(r.reads.s2).toBeLessThanOrEqual(nested ? NESTED_BOUND - r.reads.s1 : LEVELS);
            expect(r.reads.s2Config).toBeLessThanOrEqual(2 * LEVELS);
          }
        }
      }),
      { numRuns: 60 },
    );
    // The placements reached more than one kind of ending (translations, walk faults, stage-2 faults…).
    expect(kinds.size).toBeGreaterThanOrEqual(4);
  });
});
