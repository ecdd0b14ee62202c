import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOBAL_SUBTAG, Iotlb, type IotlbEntry, type RangeInvalidation } from '../src/cache/iotlb';
import { countMapCalls } from './support/map-calls';

const G = GLOBAL_SUBTAG;

function entry(input: number, pageShift: number, extra: Partial<IotlbEntry> = {}): IotlbEntry {
  return { input, output: input + 0x1_0000_0000, pageShift, permitted: 63, level: 3, ipa: input + 0x4000_0000, hasStage1: true, hasStage2: true, ...extra };
}


describe('Iotlb lookups', () => {
  it('hits inside the page under the same tags, misses elsewhere', () => {
    const tlb = new Iotlb();
    const e = entry(0x5000, 12);
    tlb.insert(1, 7, e);
    expect(tlb.size).toBe(1);
    expect(tlb.lookup(1, 7, 0x5000)).toBe(e);
    expect(tlb.lookup(1, 7, 0x5fff)).toBe(e);
    expect(tlb.lookup(1, 7, 0x4fff)).toBeUndefined();
    expect(tlb.lookup(1, 7, 0x6000)).toBeUndefined();
    expect(tlb.lookup(1, 8, 0x5000)).toBeUndefined();
    expect(tlb.lookup(2, 7, 0x5000)).toBeUndefined();
  });

  it('several page sizes in one bucket; the smallest covering page wins', () => {
    const tlb = new Iotlb();
    const page = entry(0x20_1000, 12);
    const block = entry(0x20_0000, 21);
    const huge = entry(0x4000_0000, 30);
    tlb.insert(1, 7, block);
    tlb.insert(1, 7, huge);
    tlb.insert(1, 7, page);
    expect(tlb.lookup(1, 7, 0x20_1234)).toBe(page);
    expect(tlb.lookup(1, 7, 0x20_2000)).toBe(block);
    expect(tlb.lookup(1, 7, 0x3f_ffff)).toBe(block);
    expect(tlb.lookup(1, 7, 0x7fff_ffff)).toBe(huge);
    expect(tlb.lookup(1, 7, 0x40_0000)).toBeUndefined();
    expect(tlb.size).toBe(3);
  });

  it('global entries are found for every sub-tag of their domain only; own entries come first', () => {
    const tlb = new Iotlb();
    const g = entry(0x20_0000, 21);
    tlb.insert(3, G, g);
    for (const sub of [0, 1, 65535, G]) expect(tlb.lookup(3, sub, 0x21_0000)).toBe(g);
    expect(tlb.lookup(4, 0, 0x21_0000)).toBeUndefined();
    const own = entry(0x20_0000, 21, { output: 42 });
    tlb.insert(3, 9, own);
    expect(tlb.lookup(3, 9, 0x21_0000)).toBe(own);
    expect(tlb.lookup(3, 8, 0x21_0000)).toBe(g);
  });

  it('re-inserting the same page replaces it without growing', () => {
    const tlb = new Iotlb();
    tlb.insert(1, 1, entry(0x1000, 12));
    const newer = entry(0x1000, 12, { output: 0x9000 });
    tlb.insert(1, 1, newer);
    expect(tlb.size).toBe(1);
    expect(tlb.lookup(1, 1, 0x1000)).toBe(newer);
  });

  it('the last-bucket memo never serves stale results', () => {
    const tlb = new Iotlb();
    expect(tlb.lookup(1, 1, 0x1000)).toBeUndefined(); // memoises "no bucket"
    tlb.insert(1, 1, entry(0x1000, 12));
    expect(tlb.lookup(1, 1, 0x1000)).toBeDefined();
    expect(tlb.lookup(1, 1, 0x40_0000)).toBeUndefined(); // memoises "no global bucket"
    tlb.insert(1, G, entry(0x40_0000, 21));
    expect(tlb.lookup(1, 1, 0x40_0000)).toBeDefined();
    tlb.invalidateRange(1, 1, { start: 0x40_0000, size: 0x1000 });
    expect(tlb.lookup(1, 1, 0x40_0000)).toBeUndefined();
    tlb.invalidateSubTag(1, 1);
    expect(tlb.lookup(1, 1, 0x1000)).toBeUndefined();
  });
});

describe('Iotlb invalidation scopes (known answers)', () => {
  function filled() {
    const tlb = new Iotlb();
    tlb.insert(1, 1, entry(0x1000, 12, { level: 3, ipa: 0x9000 }));
    tlb.insert(1, 1, entry(0x20_0000, 21, { level: 2, ipa: 0x80_0000 }));
    tlb.insert(1, 2, entry(0x1000, 12, { level: 3, ipa: 0xa000 }));
    tlb.insert(1, G, entry(0x2000, 12, { level: 3, ipa: 0xb000 }));
    tlb.insert(2, 1, entry(0x1000, 12, { level: 3, ipa: 0x9000 }));
    return tlb;
  }

  it('all, domain and sub-tag', () => {
    let tlb = filled();
    expect(tlb.invalidateSubTag(1, 1)).toBe(2);
    expect(tlb.invalidateSubTag(1, 1)).toBe(0);
    expect(tlb.lookup(1, 1, 0x2000)).toBeDefined(); // the global entry stays
    expect(tlb.size).toBe(3);
    expect(tlb.invalidateDomain(1)).toBe(2);
    expect(tlb.countDomain(1)).toBe(0);
    expect(tlb.countDomain(2)).toBe(1);
    expect(tlb.invalidateDomain(1)).toBe(0);
    tlb = filled();
    expect(tlb.invalidateAll()).toBe(5);
    expect(tlb.size).toBe(0);
    expect(tlb.lookup(2, 1, 0x1000)).toBeUndefined();
  });

  it('range with a sub-tag (+ global), without a sub-tag, across domains', () => {
    let tlb = filled();
    expect(tlb.invalidateRange(1, 1, { start: 0, size: 0x3000 })).toBe(2); // (1,1) page + (1,G) page
    expect(tlb.lookup(1, 2, 0x1000)).toBeDefined();
    tlb = filled();
    expect(tlb.invalidateRange(1, 1, { start: 0, size: 0x3000 }, false)).toBe(1);
    expect(tlb.lookup(1, 1, 0x2000)).toBeDefined();
    tlb = filled();
    expect(tlb.invalidateRange(1, undefined, { start: 0x1000, size: 0x1000 })).toBe(2); // (1,1) and (1,2)
    expect(tlb.countDomain(2)).toBe(1);
    tlb = filled();
    expect(tlb.invalidateRange(undefined, 1, { start: 0x1000, size: 0x1000 }, false)).toBe(2); // (1,1) and (2,1)
    tlb = filled();
    // A range touching one byte of a block drops the block.
    expect(tlb.invalidateRange(1, 1, { start: 0x3f_ffff, size: 1 }, false)).toBe(1);
    expect(tlb.lookup(1, 1, 0x20_0000)).toBeUndefined();
  });

  it('level (TTL hint) and byIpa', () => {
    let tlb = filled();
    expect(tlb.invalidateRange(1, 1, { start: 0, size: 0x40_0000, level: 2 }, false)).toBe(1);
    expect(tlb.lookup(1, 1, 0x1000)).toBeDefined();
    expect(tlb.lookup(1, 1, 0x20_0000)).toBeUndefined();
    tlb = filled();
    expect(tlb.invalidateRange(undefined, undefined, { start: 0x9000, size: 0x1000, byIpa: true })).toBe(2); // (1,1) and (2,1)
    expect(tlb.lookup(1, 2, 0x1000)?.ipa).toBe(0xa000);
    tlb = filled();
    expect(tlb.invalidateRange(1, undefined, { start: 0x80_0000 + 0x1000, size: 0x1000, byIpa: true })).toBe(1); // inside the block's IPA span
    // An entry's IPA may point inside its page: the whole page's IPA span counts.
    tlb = new Iotlb();
    tlb.insert(1, 1, entry(0x20_0000, 21, { ipa: 0x80_5000 }));
    expect(tlb.invalidateRange(1, 1, { start: 0x80_0000, size: 0x1000, byIpa: true })).toBe(1);
    tlb.insert(1, 1, entry(0x20_0000, 21, { ipa: 0x80_5000 }));
    expect(tlb.invalidateRange(1, 1, { start: 0xa0_0000, size: 0x1000, byIpa: true })).toBe(0);
    expect(tlb.invalidateRange(1, 1, { start: 0x9f_f000, size: 0x1000, byIpa: true })).toBe(1);
  });

  it('where: a predicate over tags and entry', () => {
    const tlb = filled();
    expect(tlb.invalidateWhere((_d, s, e) => s === G || e.pageShift === 21)).toBe(2);
    expect(tlb.size).toBe(3);
    expect(tlb.lookup(1, 5, 0x2000)).toBeUndefined();
  });
});

describe('Iotlb capacity', () => {
  it('never holds more than its capacity; evicts the oldest bucket’s oldest entry', () => {
    const tlb = new Iotlb(3);
    tlb.insert(1, 1, entry(0x1000, 12));
    tlb.insert(1, 1, entry(0x2000, 12));
    tlb.insert(2, 1, entry(0x1000, 12));
    tlb.insert(2, 1, entry(0x3000, 12));
    expect(tlb.size).toBe(3);
    expect(tlb.lookup(1, 1, 0x1000)).toBeUndefined();
    expect(tlb.lookup(1, 1, 0x2000)).toBeDefined();
    expect(tlb.lookup(2, 1, 0x3000)).toBeDefined();
  });

  it('evicting the last entry of the bucket being filled does not lose the new entry', () => {
    const tlb = new Iotlb(1);
    tlb.insert(1, 1, entry(0x1000, 12));
    const second = entry(0x2000, 12);
    tlb.insert(1, 1, second);
    expect(tlb.lookup(1, 1, 0x2000)).toBe(second);
    expect(tlb.size).toBe(1);
    expect(tlb.countDomain(1)).toBe(1);
  });

  it('capacity 0 caches nothing', () => {
    const tlb = new Iotlb(0);
    tlb.insert(1, 1, entry(0x1000, 12));
    expect(tlb.size).toBe(0);
    expect(tlb.lookup(1, 1, 0x1000)).toBeUndefined();
  });

  it('property: size ≤ capacity, equals what is really held, and the newest entry is always present', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.constantFrom(G, 0, 1), fc.nat({ max: 7 }), fc.constantFrom(12, 21)), { minLength: 1, maxLength: 40 }),
        (capacity, inserts) => {
          const tlb = new Iotlb(capacity);
          for (const [d, s, n, shift] of inserts) {
            const e = entry(n * 2 ** shift, shift);
            tlb.insert(d, s, e);
            // Held under its tags (a smaller page at the same address may shadow it in lookups).
            let held = false;
            tlb.invalidateWhere((d2, s2, x) => ((held ||= x === e && d2 === d && s2 === s), false));
            expect(held).toBe(true);
            if (shift === 12) expect(tlb.lookup(d, s, e.input)).toBe(e);
            expect(tlb.size).toBeLessThanOrEqual(capacity);
            expect(tlb.countDomain(0) + tlb.countDomain(1) + tlb.countDomain(2)).toBe(tlb.size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---- Property: every scope against a plain array model -----------------------------------------------------

interface Held {
  d: number;
  s: number;
  e: IotlbEntry;
}

class ModelTlb {
  held: Held[] = [];
  insert(d: number, s: number, e: IotlbEntry): void {
    const i = this.held.findIndex((h) => h.d === d && h.s === s && h.e.pageShift === e.pageShift && h.e.input === e.input);
    if (i >= 0) this.held[i] = { d, s, e };
    else this.held.push({ d, s, e });
  }
  lookup(d: number, s: number, address: number): IotlbEntry | undefined {
    const find = (sub: number) =>
      this.held
        .filter((h) => h.d === d && h.s === sub && address >= h.e.input && address < h.e.input + 2 ** h.e.pageShift)
        .sort((a, b) => a.e.pageShift - b.e.pageShift)[0]?.e;
    return find(s) ?? (s === G ? undefined : find(G));
  }
  drop(pred: (h: Held) => boolean): number {
    const before = this.held.length;
    this.held = this.held.filter((h) => !pred(h));
    return before - this.held.length;
  }
  range(d: number | undefined, s: number | undefined, r: RangeInvalidation, includeGlobal: boolean): number {
    const start = BigInt(r.start);
    const end = start + BigInt(r.size);
    return this.drop((h) => {
      if (d !== undefined && h.d !== d) return false;
      if (s !== undefined && h.s !== s && !(includeGlobal && h.s === G)) return false;
      const span = 1n << BigInt(h.e.pageShift);
      const base = r.byIpa ? (BigInt(h.e.ipa) / span) * span : BigInt(h.e.input);
      return base < end && base + span > start && (r.level === undefined || h.e.level === r.level);
    });
  }
}

const tagArb = fc.record({ d: fc.nat({ max: 1 }), s: fc.constantFrom(G, 0, 1) });
// A dense address space (16 pages, 4 blocks, 2 huge pages) so ranges often start or end exactly at entries.
const entryArb = fc
  .record({ shift: fc.constantFrom(12, 12, 21, 30), n: fc.nat({ max: 63 }), ipaN: fc.nat({ max: 63 }), level: fc.integer({ min: 1, max: 3 }) })
  .map(({ shift, n, ipaN, level }) => {
    const count = shift === 12 ? 16 : shift === 21 ? 4 : 2;
    return entry((n % count) * 2 ** shift, shift, { ipa: (ipaN % count) * 2 ** shift + (ipaN % 7) * 0x1000, level });
  });
const rangeArb = fc.record({
  // Starts and sizes on page and block boundaries often, so ranges end exactly where entries begin or end.
  start: fc.oneof(fc.nat({ max: 20 }).map((p) => p * 0x1000), fc.nat({ max: 8 }).map((n) => n * 2 ** 21), fc.nat({ max: 2 ** 31 })),
  size: fc.oneof(
    fc.integer({ min: 1, max: 0x8000 }),
    fc.integer({ min: 1, max: 16 }).map((n) => n * 0x1000),
    fc.integer({ min: 1, max: 4 }).map((n) => n * 2 ** 21),
    fc.integer({ min: 1, max: 2 ** 26 }),
    fc.constant(2 ** 40),
  ),
  level: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 }),
  byIpa: fc.boolean(),
});
const opArb = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('insert' as const), t: tagArb, e: entryArb }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('all' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('domain' as const), t: tagArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('sub' as const), t: tagArb }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('range' as const),
      d: fc.option(fc.nat({ max: 2 }), { nil: undefined }),
      s: fc.option(fc.constantFrom(G, 0, 1, 2), { nil: undefined }),
      r: rangeArb,
      includeGlobal: fc.boolean(),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant('where' as const), m: fc.integer({ min: 2, max: 5 }) }), weight: 1 },
);

describe('property: Iotlb invalidation drops exactly what a plain array model drops', () => {
  it('every scope, interleaved with inserts and lookups', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.array(fc.nat({ max: 2 ** 31 }), { minLength: 8, maxLength: 8 }), (ops, probes) => {
        const tlb = new Iotlb();
        const model = new ModelTlb();
        for (const o of ops) {
          switch (o.op) {
            case 'insert':
              tlb.insert(o.t.d, o.t.s, o.e);
              model.insert(o.t.d, o.t.s, o.e);
              break;
            case 'all':
              expect(tlb.invalidateAll()).toBe(model.drop(() => true));
              break;
            case 'domain':
              expect(tlb.invalidateDomain(o.t.d)).toBe(model.drop((h) => h.d === o.t.d));
              break;
            case 'sub':
              expect(tlb.invalidateSubTag(o.t.d, o.t.s)).toBe(model.drop((h) => h.d === o.t.d && h.s === o.t.s));
              break;
            case 'range':
              expect(tlb.invalidateRange(o.d, o.s, o.r, o.includeGlobal)).toBe(model.range(o.d, o.s, o.r, o.includeGlobal));
              break;
            case 'where': {
              const pred = (d: number, s: number, e: IotlbEntry) => (d + s + e.input / 4096 + e.level) % o.m === 0;
              expect(tlb.invalidateWhere(pred)).toBe(model.drop((h) => pred(h.d, h.s, h.e)));
              break;
            }
          }
          expect(tlb.size).toBe(model.held.length);
          for (const d of [0, 1, 2]) expect(tlb.countDomain(d)).toBe(model.held.filter((h) => h.d === d).length);
          for (const h of model.held) expect(tlb.lookup(h.d, h.s, h.e.input + 1)).toBe(model.lookup(h.d, h.s, h.e.input + 1));
        }
        for (const d of [0, 1, 2]) for (const s of [G, 0, 1, 2, 3]) for (const p of [...probes, ...model.held.map((h) => h.e.input)]) {
          expect(tlb.lookup(d, s, p)).toBe(model.lookup(d, s, p));
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ---- Cost: one tag's invalidation touches one bucket ----------------------------------------------------------

describe('Iotlb: invalidating one tag touches only that bucket', () => {
  function crowded() {
    const tlb = new Iotlb(1 << 20);
    for (let d = 0; d < 20; d++) for (let s = 0; s < 50; s++) for (let p = 0; p < 20; p++) tlb.insert(d, s, entry(p * 0x1000, 12));
    for (let d = 0; d < 20; d++) tlb.insert(d, G, entry(0x100_0000, 21));
    return tlb;
  }

  it('invalidateSubTag: no iteration, a constant number of map operations', () => {
    const tlb = crowded();
    const { result, calls } = countMapCalls(() => tlb.invalidateSubTag(7, 33));
    expect(result).toBe(20);
    expect(calls.keys! + calls.values! + calls.entries! + calls.forEach! + calls.iterator!).toBe(0);
    expect(calls.get! + calls.delete! + calls.has! + calls.set!).toBeLessThanOrEqual(6);
    expect(tlb.size).toBe(20 * 50 * 20 + 20 - 20);
    expect(tlb.lookup(7, 32, 0x5000)).toBeDefined();
    expect(tlb.lookup(7, 34, 0x5000)).toBeDefined();
    expect(tlb.lookup(7, 33, 0x5000)).toBeUndefined();
    expect(tlb.lookup(7, 33, 0x100_0000)).toBeDefined(); // global survives
  });

  it('invalidateRange for one sub-tag probes that bucket only, in proportion to the range', () => {
    const tlb = crowded();
    const { result, calls } = countMapCalls(() => tlb.invalidateRange(7, 33, { start: 0x3000, size: 0x3000 }, false));
    expect(result).toBe(3);
    expect(calls.keys! + calls.values! + calls.entries! + calls.forEach! + calls.iterator!).toBe(0);
    expect(calls.get!).toBeLessThanOrEqual(2 + 3); // domain, bucket, then one probe per page
    expect(calls.delete!).toBe(3);
    expect(tlb.lookup(7, 33, 0x2000)).toBeDefined();
    expect(tlb.lookup(7, 33, 0x6000)).toBeDefined();
    expect(tlb.lookup(7, 32, 0x3000)).toBeDefined();
  });

  it('invalidateDomain: iterates only that domain’s buckets', () => {
    const tlb = crowded();
    const { result, calls } = countMapCalls(() => tlb.invalidateDomain(3));
    expect(result).toBe(50 * 20 + 1);
    expect(calls.values! + calls.iterator! + calls.keys! + calls.entries!).toBeLessThanOrEqual(2);
    expect(calls.get! + calls.delete!).toBeLessThanOrEqual(3);
    expect(tlb.countDomain(3)).toBe(0);
    expect(tlb.countDomain(4)).toBe(50 * 20 + 1);
  });
});
