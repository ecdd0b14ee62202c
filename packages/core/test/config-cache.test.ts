import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigCache, NO_PASID } from '../src/cache/config-cache';
import { countMapCalls, iterations } from './support/map-calls';



describe('ConfigCache', () => {
  it('caches per device and PASID, with a separate no-PASID entry', () => {
    const c = new ConfigCache<string>();
    c.set(0x10, NO_PASID, 'STE');
    c.set(0x10, 0, 'CD 0');
    c.set(0x10, 5, 'CD 5');
    c.set(0x11, 5, 'other device');
    expect(c.size).toBe(4);
    expect(c.get(0x10, NO_PASID)).toBe('STE');
    expect(c.get(0x10, 5)).toBe('CD 5');
    expect(c.get(0x11, 5)).toBe('other device');
    expect(c.get(0x11, NO_PASID)).toBeUndefined();
    expect(c.get(0x12, 0)).toBeUndefined();
    c.set(0x10, 5, 'CD 5 v2');
    expect(c.size).toBe(4);
    expect(c.get(0x10, 5)).toBe('CD 5 v2');
    expect([...c.entries()]).toEqual([
      [0x10, NO_PASID, 'STE'],
      [0x10, 0, 'CD 0'],
      [0x10, 5, 'CD 5 v2'],
      [0x11, 5, 'other device'],
    ]);
  });

  it('invalidates one entry, one device, a predicate, or everything', () => {
    const c = new ConfigCache<{ domain: number }>();
    for (const dev of [1, 2, 3]) for (const pasid of [NO_PASID, 0, 1]) c.set(dev, pasid, { domain: dev === 3 ? 9 : pasid + 1 });
    expect(c.invalidateEntry(1, 0)).toBe(1);
    expect(c.invalidateEntry(1, 0)).toBe(0);
    expect(c.invalidateEntry(7, 0)).toBe(0);
    expect(c.get(1, NO_PASID)).toBeDefined();
    expect(c.invalidateDevice(2)).toBe(3);
    expect(c.invalidateDevice(2)).toBe(0);
    expect(c.get(2, 1)).toBeUndefined();
    expect(c.invalidateWhere((_d, _p, v) => v.domain === 9)).toBe(3);
    expect(c.size).toBe(2);
    expect([...c.entries()].map(([d, p]) => [d, p])).toEqual([
      [1, NO_PASID],
      [1, 1],
    ]);
    expect(c.invalidateAll()).toBe(2);
    expect(c.size).toBe(0);
  });

  it('never holds more than its capacity; the oldest device’s oldest entry goes first', () => {
    const c = new ConfigCache<number>(3);
    c.set(1, 0, 10);
    c.set(1, 1, 11);
    c.set(2, 0, 20);
    c.set(2, 1, 21);
    expect(c.size).toBe(3);
    expect(c.get(1, 0)).toBeUndefined();
    expect(c.get(1, 1)).toBe(11);
    expect(c.get(2, 1)).toBe(21);
  });

  it('evicting the last entry of the device being filled does not lose the new entry', () => {
    const c = new ConfigCache<number>(1);
    c.set(1, 0, 10);
    c.set(1, 1, 11);
    expect(c.get(1, 1)).toBe(11);
    expect(c.size).toBe(1);
    expect([...c.entries()]).toEqual([[1, 1, 11]]);
  });

  it('capacity 0 caches nothing', () => {
    const c = new ConfigCache<number>(0);
    c.set(1, 0, 10);
    expect(c.size).toBe(0);
    expect(c.get(1, 0)).toBeUndefined();
  });

  it('property: size ≤ capacity, equals what is held, and the newest entry is always present', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(fc.nat({ max: 3 }), fc.integer({ min: -1, max: 3 }), fc.nat()), { minLength: 1, maxLength: 40 }),
        (capacity, sets) => {
          const c = new ConfigCache<number>(capacity);
          for (const [d, p, v] of sets) {
            c.set(d, p, v);
            expect(c.get(d, p)).toBe(v);
            expect(c.size).toBeLessThanOrEqual(capacity);
            expect([...c.entries()].length).toBe(c.size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('property: ConfigCache invalidation drops exactly what a plain array model drops', () => {
  type Op =
    | { op: 'set'; d: number; p: number; v: number }
    | { op: 'all' }
    | { op: 'device'; d: number }
    | { op: 'entry'; d: number; p: number }
    | { op: 'where'; m: number };
  const dev = fc.nat({ max: 4 });
  const pasid = fc.integer({ min: -1, max: 4 });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('set' as const), d: dev, p: pasid, v: fc.nat({ max: 99 }) }), weight: 6 },
    { arbitrary: fc.record({ op: fc.constant('all' as const) }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('device' as const), d: dev }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('entry' as const), d: dev, p: pasid }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('where' as const), m: fc.integer({ min: 2, max: 4 }) }), weight: 1 },
  );

  it('every scope, interleaved with sets', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const c = new ConfigCache<number>();
        let model: { d: number; p: number; v: number }[] = [];
        const drop = (pred: (e: { d: number; p: number; v: number }) => boolean) => {
          const before = model.length;
          model = model.filter((e) => !pred(e));
          return before - model.length;
        };
        for (const o of ops) {
          switch (o.op) {
            case 'set': {
              c.set(o.d, o.p, o.v);
              const hit = model.find((e) => e.d === o.d && e.p === o.p);
              if (hit) hit.v = o.v;
              else model.push({ d: o.d, p: o.p, v: o.v });
              break;
            }
            case 'all':
              expect(c.invalidateAll()).toBe(drop(() => true));
              break;
            case 'device':
              expect(c.invalidateDevice(o.d)).toBe(drop((e) => e.d === o.d));
              break;
            case 'entry':
              expect(c.invalidateEntry(o.d, o.p)).toBe(drop((e) => e.d === o.d && e.p === o.p));
              break;
            case 'where': {
              const pred = (d: number, p: number, v: number) => (d + p + v) % o.m === 0;
              expect(c.invalidateWhere(pred)).toBe(drop((e) => pred(e.d, e.p, e.v)));
              break;
            }
          }
          expect(c.size).toBe(model.length);
          for (let d = 0; d <= 4; d++) for (let p = -1; p <= 4; p++) expect(c.get(d, p)).toBe(model.find((e) => e.d === d && e.p === p)?.v);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('ConfigCache: device-scoped invalidation touches only that device', () => {
  function crowded() {
    const c = new ConfigCache<number>(1 << 20);
    for (let d = 0; d < 500; d++) for (let p = -1; p < 40; p++) c.set(d, p, d * 100 + p);
    return c;
  }

  it('invalidateDevice: no iteration, a constant number of map operations', () => {
    const c = crowded();
    const { result, calls } = countMapCalls(() => c.invalidateDevice(250));
    expect(result).toBe(41);
    expect(iterations(calls)).toBe(0);
    expect(calls.get! + calls.delete!).toBeLessThanOrEqual(2);
    expect(c.size).toBe(500 * 41 - 41);
    expect(c.get(249, 7)).toBe(24907);
    expect(c.get(251, NO_PASID)).toBe(25099);
  });

  it('invalidateEntry: no iteration, a constant number of map operations', () => {
    const c = crowded();
    const { result, calls } = countMapCalls(() => c.invalidateEntry(250, 7));
    expect(result).toBe(1);
    expect(iterations(calls)).toBe(0);
    expect(calls.get! + calls.delete!).toBeLessThanOrEqual(3);
    expect(c.get(250, 7)).toBeUndefined();
    expect(c.get(250, 8)).toBe(25008);
  });
});
