/**
 * Malformed-input matrix, VT-d row 3: guest-controlled garbage never throws. A valid configuration (legacy
 * or scalable with any PGTT) is built, then the pages its translation used — root table, context table,
 * PASID directory and table, first- and second-level tables — are overwritten with random bytes, with
 * plausible garbage (pointers into those pages with random flags, small values, zeros), or corrupted by a
 * few random bit flips, and the root table mode is sometimes reprogrammed. Random requests (both modes,
 * with and without PASID, every access kind, cached and uncached) must then come back `ok` or as a fault
 * whose reason is in the structures' fault-reason table — with a fault record that matches it — and the
 * walk must stay within its level bounds.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Access, type TraceEntry } from '@viommu/core';
import { decodeFaultRecord, VTD_FAULT_REASONS, type VtdCapabilities, type VtdFaultReasonInfo } from '../src/structures/index';
import type { VtdRequest } from '../src/model/index';
import { configReads, legacyScenario, OFFSET, PASID, scalableScenario, SID, traced, walkReads, type Scenario } from './support-reliability';

const REASONS = new Map<number, VtdFaultReasonInfo>(VTD_FAULT_REASONS.map((r) => [r.code, r]));

/** mulberry32: a small seeded generator, so a fast-check seed fills whole pages cheaply and reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

type PageTreatment = 'keep' | 'random' | 'plausible' | 'flips';

/** One qword of plausible garbage: zero, a pointer into one of `pages` with random flags, a small value, or noise. */
function plausible(next: () => number, pages: readonly number[]): [hi: number, lo: number] {
  const kind = next() % 10;
  if (kind < 3) return [0, 0];
  if (kind < 7) {
    const target = pages[next() % pages.length]!;
    let flags = next() & 1 ? 1 : 0; // present / R most of the time
    if (next() % 8 !== 0) flags |= 1;
    for (let b = 1; b < 12; b++) if (next() % 12 === 0) flags |= 1 << b;
    const hi = next() % 10 === 0 ? next() : Math.floor(target / 0x1_0000_0000);
    return [hi >>> 0, ((target & ~0xfff) | flags) >>> 0];
  }
  if (kind < 9) return [next() % 4 === 0 ? next() & 0xff : 0, next() & 0xffff];
  return [next(), next()];
}

/**
 * Applies a treatment to one 4 KiB page: `flips` flips 1–4 bits, mostly in the qwords the valid translation
 * read there (`used`), so the walk gets past the intact levels and meets the corruption deeper down.
 */
function treat(s: Scenario, page: number, used: readonly number[], how: PageTreatment, next: () => number, pages: readonly number[]): void {
  const mem = s.machine.memory;
  if (how === 'keep') return;
  if (how === 'flips') {
    const v = { hi: 0, lo: 0 };
    for (let n = 1 + (next() % 4); n > 0; n--) {
      const a = next() % 4 !== 0 && used.length > 0 ? used[next() % used.length]! : page + (next() % 512) * 8;
      mem.read64(a, v);
      const b = next() % 64;
      if (b < 32) v.lo = (v.lo ^ (1 << b)) >>> 0;
      else v.hi = (v.hi ^ (1 << (b - 32))) >>> 0;
      mem.write64(a, v.hi, v.lo);
    }
    return;
  }
  for (let i = 0; i < 512; i++) {
    const [hi, lo] = how === 'random' ? [next(), next()] : plausible(next, pages);
    mem.write64(page + i * 8, hi, lo);
  }
}

/** The 4 KiB pages a translation's trace read (configuration structures and both stages' tables), with the qwords read in each. */
function pagesOf(trace: readonly TraceEntry[]): Map<number, number[]> {
  const pages = new Map<number, number[]>();
  for (const e of trace) {
    if (e.write) continue;
    const page = e.address - (e.address % 4096);
    const used = pages.get(page) ?? [];
    if (!used.includes(e.address)) used.push(e.address);
    pages.set(page, used);
  }
  return pages;
}

const scenarioArb = fc.oneof(
  fc.record({ kind: fc.constant('legacy' as const), levels: fc.constantFrom(3 as const, 4 as const, 5 as const), page: fc.constantFrom('4k' as const, '2m' as const) }),
  fc.record({
    kind: fc.constant('scalable' as const),
    pgtt: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    levels: fc.constantFrom(3 as const, 4 as const, 5 as const),
    flpm: fc.constantFrom(0 as const, 1 as const),
    nxe: fc.boolean(),
    page: fc.constantFrom('4k' as const, '2m' as const),
  }),
);

const capsArb = fc.constantFrom<{ caps?: Partial<VtdCapabilities>; haw?: number }>(
  {},
  { haw: 39 },
  { caps: { sc: false, sl2MPages: false, sl1GPages: false, fl1gp: false, fl5lp: false, rps: false } },
  { caps: { srs: false, ers: false, eafs: false, slads: false } },
);

const accessArb = fc.constantFrom(
  Access.READ,
  Access.WRITE,
  Access.READ | Access.WRITE,
  Access.EXEC,
  Access.EXEC | Access.WRITE,
  Access.READ | Access.PRIV,
  Access.WRITE | Access.PRIV,
  Access.READ | Access.WRITE | Access.PRIV,
  Access.EXEC | Access.PRIV,
);

/** Requests lean towards the scenario's own requester, PASID and page, so most walks get past the root. */
const requestArb = fc.record({
  sid: fc.oneof({ arbitrary: fc.constant(SID), weight: 6 }, { arbitrary: fc.constant(SID ^ 0x80), weight: 1 }, { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 }),
  pasid: fc.oneof(
    { arbitrary: fc.constant('scenario' as const), weight: 6 },
    { arbitrary: fc.constant(PASID), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 2 },
    { arbitrary: fc.constantFrom(0, 1, 63, 64, 513, 0x2000), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: 0xf_ffff }), weight: 1 },
  ),
  address: fc.oneof(
    { arbitrary: fc.constant('scenario' as const), weight: 6 },
    { arbitrary: fc.integer({ min: 0, max: 2 ** 48 - 1 }), weight: 1 },
    { arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), weight: 1 },
    { arbitrary: fc.bigInt({ min: 0xffff_8000_0000_0000n, max: (1n << 64n) - 1n }), weight: 1 },
  ),
  offset: fc.nat(4095),
  access: accessArb,
  uncached: fc.boolean(),
});

describe('guest-controlled garbage never throws', () => {
  it('random bytes, plausible garbage and bit flips in every table page: ok or an architected fault, within the walk bounds', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(
        scenarioArb,
        capsArb,
        // Which pages to spoil: one or two (so every depth of the pipeline gets its turn), or all of them.
        fc.record({
          victims: fc.array(fc.nat(63), { minLength: 1, maxLength: 2 }),
          how: fc.constantFrom<PageTreatment>('random', 'plausible', 'plausible', 'flips', 'flips', 'flips'),
          all: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 }),
        }),
        fc.integer(),
        fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 1 }),
        fc.array(requestArb, { minLength: 1, maxLength: 12 }),
        (sc, caps, spoil, seed, ttm, requests) => {
          const s =
            sc.kind === 'legacy'
              ? legacyScenario({ ...caps, levels: sc.levels, page: sc.page })
              : scalableScenario(sc.pgtt, { ...caps, levels: sc.levels, flpm: caps.caps?.fl5lp === false ? 0 : sc.flpm, nxe: sc.nxe, page: sc.page });
          const valid = traced(s);
          expect(valid.outcome).toBe(`ok 0x${s.output.toString(16)}`);
          const used = pagesOf(valid.trace);
          const pages = [...used.keys()];
          const next = prng(seed);
          const victims = new Set(spoil.victims.map((v) => v % pages.length));
          pages.forEach((p, i) => treat(s, p, used.get(p)!, spoil.all || victims.has(i) ? spoil.how : 'keep', next, pages));
          const model = s.machine.model;
          if (ttm !== undefined) s.machine.enable(ttm);
          const scalable = ttm === undefined ? sc.kind === 'scalable' : ttm === 1;
          const legacy = ttm === undefined ? sc.kind === 'legacy' : ttm === 0;
          for (const q of requests) {
            const address = q.address === 'scenario' ? (s.request.address as number) - OFFSET + q.offset : q.address;
            const pasid = q.pasid === 'scenario' ? s.request.pasid : q.pasid;
            const request: VtdRequest = { sourceId: q.sid, pasid, address, access: q.access };
            const trace: TraceEntry[] = [];
            const r = model.translate(request, { uncached: q.uncached, trace });
            seen.set(r.ok ? 'ok' : `0x${r.reason.toString(16)}`, (seen.get(r.ok ? 'ok' : `0x${r.reason.toString(16)}`) ?? 0) + 1);
            if (r.ok) {
              expect(Number.isSafeInteger(r.output) && r.output >= 0 && r.output < 2 ** model.haw).toBe(true);
              expect([12, 21, 30]).toContain(r.pageShift);
            } else {
              const info = REASONS.get(r.reason);
              expect(info, `reason 0x${r.reason.toString(16)}`).toBeDefined();
              expect(r.name).toBe(info!.name);
              const rec = decodeFaultRecord(r.record);
              expect([rec.reason, rec.sourceId, rec.pasid, rec.fault]).toEqual([r.reason, q.sid, pasid, true]);
              expect(rec.type).toBe(q.access & Access.WRITE ? 'write' : 'read');
              if (r.suppressed) expect(info!.qualified).toBe(true);
              expect(r.recorded && r.suppressed).toBe(false);
              // Each mode reports its own fault conditions.
              if (legacy) {
                if (pasid !== undefined) expect(r.reason).toBe(0x31);
                else expect(info!.mode).toBe('legacy');
              } else if (scalable) {
                expect(info!.mode).toBe('scalable');
                expect(r.reason).not.toBe(0x31);
              } else {
                expect(r.reason).toBe(0x30);
              }
            }
            // Bounded: at most 4 / 15 configuration reads, 5 levels per stage (a first-level fetch's
            // second-level walk may run twice, once more for an A/D write-back).
            expect(configReads(trace).length).toBeLessThanOrEqual(legacy ? 4 : 15);
            expect(walkReads(trace, 1).length).toBeLessThanOrEqual(5);
            const s2 = walkReads(trace, 2);
            expect(s2.filter((e) => e.purpose !== 's1-table').length).toBeLessThanOrEqual(5);
            for (let d = 0; d < 5; d++) expect(s2.filter((e) => e.purpose === 's1-table' && e.s1Depth === d).length).toBeLessThanOrEqual(10);
            model.clearFaults();
          }
        },
      ),
      { numRuns: 400 },
    );
    // The garbage reached deep into the pipeline: translations and a spread of fault reasons were seen.
    if (process.env.RELIABILITY_STATS) console.log(Object.fromEntries([...seen].sort()));
    expect(seen.get('ok') ?? 0).toBeGreaterThan(0);
    expect(seen.size).toBeGreaterThan(15);
  });
});
