import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Iotlb, type IotlbEntry } from '../src/cache/iotlb';
import { countMapCalls, iterations } from './support/map-calls';

const entry = (page: number, stage1: boolean): IotlbEntry => ({
  input: page * 4096,
  output: page * 4096,
  pageShift: 12,
  permitted: 63,
  level: 3,
  ipa: page * 4096,
  hasStage1: stage1,
  hasStage2: true,
});

describe('Iotlb.invalidateWhere with a scope', () => {
  it('drops exactly what the unscoped predicate restricted to the scope drops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 40 }), fc.boolean()), { maxLength: 120 }),
        fc.nat({ max: 3 }),
        fc.option(fc.nat({ max: 3 }), { nil: undefined }),
        (inserts, d, s) => {
          const a = new Iotlb(1 << 16);
          const b = new Iotlb(1 << 16);
          for (const [dt, st, page, s1] of inserts) {
            a.insert(dt, st, entry(page, s1));
            b.insert(dt, st, entry(page, s1));
          }
          const scoped = a.invalidateWhere((_d, _s, e) => e.hasStage1, s === undefined ? { domainTag: d } : { domainTag: d, subTag: s });
          const full = b.invalidateWhere((dd, ss, e) => dd === d && (s === undefined || ss === s) && e.hasStage1);
          expect(scoped).toBe(full);
          expect(a.size).toBe(b.size);
          for (const [dt, st, page] of inserts) {
            expect(a.lookup(dt, st, page * 4096) === undefined).toBe(b.lookup(dt, st, page * 4096) === undefined);
          }
        },
      ),
    );
  });

  it('visits only the scoped bucket, however many others the cache holds', () => {
    const tlb = new Iotlb(1 << 16);
    for (let tag = 0; tag < 64; tag++) for (let page = 0; page < 256; page++) tlb.insert(1, tag, entry(page, true));
    const { result, calls } = countMapCalls(() => tlb.invalidateWhere(() => true, { domainTag: 1, subTag: 7 }));
    expect(result).toBe(256);
    // One iteration over the one bucket's entries (plus the single-element scope arrays), never over the 63 others.
    expect(iterations(calls)).toBeLessThanOrEqual(3);
    expect(calls.delete).toBe(256 + 1);
    expect(tlb.size).toBe(63 * 256);
  });
});
