import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIommuError } from '../src/errors';
import { defineStructure, type FieldSpec, type StructureSpec } from '../src/structure';

/** Independent reference: the structure as one bigint. */
const asBig = (words: ArrayLike<number>) => Array.from(words).reduceRight((acc, w) => (acc << 32n) | BigInt(w >>> 0), 0n);
const bitsOf = (v: bigint, hi: number, lo: number) => (v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
const maskOf = (hi: number, lo: number) => ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);

function expectIommuError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isIommuError(caught), `expected IommuError ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

const demo = defineStructure({
  name: 'DEMO',
  bits: 128,
  fields: [
    { name: 'V', hi: 0, lo: 0 },
    { name: 'Mode', hi: 3, lo: 1, values: { 0: 'abort', 1: 'bypass' } },
    { name: 'Ptr', hi: 51, lo: 6, shift: 6 },
    { name: 'Wide', hi: 127, lo: 64, big: true },
  ],
  reserved: [
    [5, 4],
    [63, 56],
  ],
});

describe('defineStructure: layout checks at define time', () => {
  const base = { name: 'S', bits: 64 } as const;
  it('rejects overlapping fields, naming both', () => {
    expect(() =>
      defineStructure({ ...base, fields: [{ name: 'A', hi: 7, lo: 0 }, { name: 'B', hi: 8, lo: 7 }] }),
    ).toThrow(/B overlaps A at bit 7/);
  });
  it('rejects a field overlapping a reserved range', () => {
    expect(() => defineStructure({ ...base, fields: [{ name: 'A', hi: 7, lo: 0 }], reserved: [[10, 7]] })).toThrow(
      /reserved\[10:7\] overlaps A/,
    );
  });
  it('rejects overlapping reserved ranges', () => {
    expect(() => defineStructure({ ...base, fields: [], reserved: [[10, 8], [8, 8]] })).toThrow(RangeError);
  });
  it('rejects a duplicate field name even when the ranges are disjoint', () => {
    expect(() =>
      defineStructure({ ...base, fields: [{ name: 'A', hi: 3, lo: 0 }, { name: 'A', hi: 9, lo: 8 }] }),
    ).toThrow(/duplicate field A/);
  });
  it.each([
    ['beyond the structure', 64, 60],
    ['negative low bit', 3, -1],
    ['hi below lo', 3, 4],
  ])('rejects a range %s', (_what, hi, lo) => {
    expect(() => defineStructure({ ...base, fields: [{ name: 'A', hi, lo }] })).toThrow(RangeError);
    expect(() => defineStructure({ ...base, fields: [], reserved: [[hi, lo]] })).toThrow(RangeError);
  });
  it('requires `big` for fields wider than 53 bits (shift included)', () => {
    expect(() => defineStructure({ ...base, fields: [{ name: 'A', hi: 53, lo: 0 }] })).toThrow(/declare it big/);
    expect(() => defineStructure({ ...base, fields: [{ name: 'A', hi: 52, lo: 4, shift: 5 }] })).toThrow(/declare it big/);
    expect(() => defineStructure({ ...base, fields: [{ name: 'A', hi: 52, lo: 0 }] })).not.toThrow();
    expect(() => defineStructure({ ...base, fields: [{ name: 'A', hi: 52, lo: 4, shift: 4 }] })).not.toThrow();
    expect(() => defineStructure({ ...base, fields: [{ name: 'A', hi: 63, lo: 0, big: true }] })).not.toThrow();
  });
  it('reports its size', () => {
    expect(demo.wordCount).toBe(4);
    expect(demo.byteCount).toBe(16);
    expect(demo.create()).toEqual(new Uint32Array(4));
  });
});

describe('defineStructure: known answers', () => {
  it('decodes a hand-built structure', () => {
    // bits 0 = 1, 3:1 = 5, 51:6 = 0x12345 (address 0x12345 << 6), 127:64 = 0xfedcba9876543210, reserved clear.
    const lo64 = 1n | (5n << 1n) | (0x12345n << 6n);
    const words = new Uint32Array([Number(lo64 & 0xffff_ffffn), Number(lo64 >> 32n), 0x7654_3210, 0xfedc_ba98]);
    expect(demo.decode(words)).toEqual({ V: 1, Mode: 5, Ptr: 0x12345 * 64, Wide: 0xfedc_ba98_7654_3210n });
    expect(demo.get(words, 'Ptr')).toBe(0x48d140);
    expect(demo.getBig(words, 'Ptr')).toBe(0x48d140n);
    expect(demo.field('Mode').get(words)).toBe(5);
    expect(demo.hasReservedBits(words)).toBe(false);
    expect(demo.reservedViolations(words)).toEqual([]);
  });

  it('encodes an address field with shift: the value is the address, its low bits must be zero', () => {
    const words = demo.encode({ Ptr: 0xabc_dec0 });
    expect(asBig(words)).toBe(0xabc_dec0n); // field at bits 55:6 holds addr[55:6]: same bit positions
    expectIommuError(() => demo.encode({ Ptr: 0xabc_dec1 }), 'FIELD_RANGE');
    expectIommuError(() => demo.encode({ Ptr: 2 ** 52 }), 'FIELD_RANGE');
    expect(demo.get(demo.encode({ Ptr: 2 ** 52 - 64 }), 'Ptr')).toBe(2 ** 52 - 64);
  });

  it('a shifted field stored away from its address bits (addr[51:4] in bits 115:68)', () => {
    const ttb = defineStructure({ name: 'T', bits: 128, fields: [{ name: 'TTB', hi: 115, lo: 68, shift: 4 }] });
    const words = ttb.encode({ TTB: 0x000f_ffff_ffff_fff0 });
    expect(asBig(words)).toBe(0x000f_ffff_ffff_fff0n << 64n);
    expect(ttb.get(words, 'TTB')).toBe(0x000f_ffff_ffff_fff0);
    expectIommuError(() => ttb.encode({ TTB: 0x8 }), 'FIELD_RANGE');
  });

  it('big fields: bigint in and out, numbers only when exact', () => {
    const words = demo.encode({ Wide: (1n << 64n) - 1n });
    expect(demo.getBig(words, 'Wide')).toBe((1n << 64n) - 1n);
    expect(demo.encode({ Wide: 5 })[2]).toBe(5);
    expectIommuError(() => demo.get(words, 'Wide'), 'FIELD_RANGE');
    expectIommuError(() => demo.field('Wide'), 'FIELD_RANGE');
    expectIommuError(() => demo.encode({ Wide: 1n << 64n }), 'FIELD_RANGE');
    expectIommuError(() => demo.encode({ Wide: 2 ** 60 }), 'FIELD_RANGE'); // not a safe integer
  });

  it('FIELD_RANGE on misfit values, changing nothing on set', () => {
    for (const bad of [8, -1, 1.5, Number.NaN, Infinity, -1n, 8n]) expectIommuError(() => demo.encode({ Mode: bad }), 'FIELD_RANGE');
    const words = demo.encode({ Mode: 7, V: 1 });
    const before = Uint32Array.from(words);
    expectIommuError(() => demo.set(words, 'Mode', 9), 'FIELD_RANGE');
    expectIommuError(() => demo.field('Mode').set(words, 9), 'FIELD_RANGE');
    expect(words).toEqual(before);
    demo.set(words, 'Mode', 2n);
    expect(demo.get(words, 'Mode')).toBe(2);
    expect(demo.get(words, 'V')).toBe(1);
  });

  it('UNKNOWN_FIELD for names the layout lacks', () => {
    const words = demo.create();
    expectIommuError(() => demo.get(words, 'Nope' as 'V'), 'UNKNOWN_FIELD');
    expectIommuError(() => demo.encode({ Nope: 1 } as unknown as { V: number }), 'UNKNOWN_FIELD');
  });

  it('reports each reserved range with the bits found set', () => {
    const words = new Uint32Array([0x20, 0x8100_0000, 0, 0]); // bit 5, bits 63 and 56
    expect(demo.hasReservedBits(words)).toBe(true);
    expect(demo.reservedViolations(words)).toEqual([
      { hi: 5, lo: 4, value: 2n },
      { hi: 63, lo: 56, value: 0x81n },
    ]);
  });
});

// ---- Property tests over random layouts -------------------------------------------------------------------

interface RandomLayout {
  spec: StructureSpec;
  fields: FieldSpec[];
  reserved: (readonly [number, number])[];
}

/** A random partition of a structure into fields (some shifted, some big), reserved ranges and gaps. */
const layoutArb: fc.Arbitrary<RandomLayout> = fc
  .tuple(
    fc.constantFrom(64, 128, 256, 512),
    fc.array(fc.record({ len: fc.integer({ min: 1, max: 72 }), kind: fc.constantFrom('field', 'reserved', 'gap'), shift: fc.integer({ min: 0, max: 12 }) }), {
      minLength: 1,
      maxLength: 24,
    }),
  )
  .map(([bits, segments]) => {
    const fields: FieldSpec[] = [];
    const reserved: (readonly [number, number])[] = [];
    let pos = 0;
    for (const s of segments) {
      const len = Math.min(s.len, bits - pos);
      if (len <= 0) break;
      const lo = pos;
      const hi = pos + len - 1;
      pos += len;
      if (s.kind === 'reserved') reserved.push([hi, lo]);
      else if (s.kind === 'field') {
        const big = len > 53 || (len + s.shift > 53 && s.shift % 2 === 0);
        const shift = big || len + s.shift <= 53 ? s.shift : 0;
        fields.push({ name: `F${fields.length}`, hi, lo, ...(shift ? { shift } : {}), ...(big ? { big } : {}) });
      }
    }
    return { spec: { name: 'R', bits, fields, reserved }, fields, reserved };
  });

const wordsFor = (bits: number) => fc.uint32Array({ minLength: bits / 32, maxLength: bits / 32 });

describe('defineStructure: properties against a bigint reference', () => {
  it('decode reads each field as the reference does (shift applied, number vs bigint by `big`)', () => {
    fc.assert(
      fc.property(layoutArb.chain((l) => fc.tuple(fc.constant(l), wordsFor(l.spec.bits))), ([l, words]) => {
        const layout = defineStructure(l.spec);
        const ref = asBig(words);
        const decoded = layout.decode(words);
        for (const f of l.fields) {
          const expected = bitsOf(ref, f.hi, f.lo) << BigInt(f.shift ?? 0);
          const got = decoded[f.name];
          if (f.big) expect(got).toBe(expected);
          else expect(got).toBe(Number(expected));
          expect(layout.getBig(words, f.name)).toBe(expected);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('encode(decode(w)) keeps exactly the field bits of w', () => {
    fc.assert(
      fc.property(layoutArb.chain((l) => fc.tuple(fc.constant(l), wordsFor(l.spec.bits))), ([l, words]) => {
        const layout = defineStructure(l.spec);
        const fieldMask = l.fields.reduce((m, f) => m | maskOf(f.hi, f.lo), 0n);
        expect(asBig(layout.encode(layout.decode(words)))).toBe(asBig(words) & fieldMask);
      }),
      { numRuns: 150 },
    );
  });

  it('decode(encode(values)) returns the values; each lands in its bits only', () => {
    const arb = layoutArb.chain((l) =>
      fc.tuple(
        fc.constant(l),
        fc.tuple(...l.fields.map((f) => fc.bigInt({ min: 0n, max: (1n << BigInt(f.hi - f.lo + 1)) - 1n }))),
      ),
    );
    fc.assert(
      fc.property(arb, ([l, raws]) => {
        const layout = defineStructure(l.spec);
        const values: Record<string, number | bigint> = {};
        let expectedBig = 0n;
        l.fields.forEach((f, i) => {
          const v = raws[i]! << BigInt(f.shift ?? 0);
          values[f.name] = f.big ? v : Number(v);
          expectedBig |= raws[i]! << BigInt(f.lo);
        });
        const words = layout.encode(values);
        expect(words.length).toBe(l.spec.bits / 32);
        expect(asBig(words)).toBe(expectedBig);
        expect(layout.decode(words)).toEqual(values);
        expect(layout.hasReservedBits(words)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('set changes exactly one field', () => {
    const arb = layoutArb
      .filter((l) => l.fields.length > 0)
      .chain((l) =>
        fc.tuple(
          fc.constant(l),
          wordsFor(l.spec.bits),
          fc.nat({ max: l.fields.length - 1 }),
          fc.bigInt({ min: 0n, max: (1n << 72n) - 1n }),
        ),
      );
    fc.assert(
      fc.property(arb, ([l, words, which, raw]) => {
        const layout = defineStructure(l.spec);
        const f = l.fields[which]!;
        const fieldRaw = raw & ((1n << BigInt(f.hi - f.lo + 1)) - 1n);
        const before = asBig(words);
        const copy = Uint32Array.from(words);
        layout.set(copy, f.name, fieldRaw << BigInt(f.shift ?? 0));
        expect(asBig(copy)).toBe((before & ~maskOf(f.hi, f.lo)) | (fieldRaw << BigInt(f.lo)));
      }),
      { numRuns: 150 },
    );
  });

  it('values that do not fit (too wide, misaligned for shift) are FIELD_RANGE', () => {
    const arb = layoutArb
      .filter((l) => l.fields.length > 0)
      .chain((l) => fc.tuple(fc.constant(l), fc.nat({ max: l.fields.length - 1 }), fc.bigInt({ min: 1n, max: 1n << 20n })));
    fc.assert(
      fc.property(arb, ([l, which, extra]) => {
        const layout = defineStructure(l.spec);
        const f = l.fields[which]!;
        const shift = BigInt(f.shift ?? 0);
        const tooWide = ((1n << BigInt(f.hi - f.lo + 1)) - 1n + extra) << shift;
        expectIommuError(() => layout.encode({ [f.name]: tooWide }), 'FIELD_RANGE');
        if (shift > 0n) expectIommuError(() => layout.encode({ [f.name]: (extra << shift) | 1n }), 'FIELD_RANGE');
      }),
      { numRuns: 100 },
    );
  });

  it('reservedViolations and hasReservedBits agree with the reference', () => {
    // Bias the words towards sparse bits so clean structures occur too.
    const sparseWords = (bits: number) =>
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 31 }).map((b) => (1 << b) >>> 0), fc.nat({ max: 0xffff_ffff })), {
        minLength: bits / 32,
        maxLength: bits / 32,
      });
    fc.assert(
      fc.property(layoutArb.chain((l) => fc.tuple(fc.constant(l), sparseWords(l.spec.bits))), ([l, list]) => {
        const words = Uint32Array.from(list);
        const layout = defineStructure(l.spec);
        const ref = asBig(words);
        const expected = l.reserved
          .map(([hi, lo]) => ({ hi, lo, value: bitsOf(ref, hi, lo) }))
          .filter((v) => v.value !== 0n);
        expect(layout.reservedViolations(words)).toEqual(expected);
        const reservedMask = l.reserved.reduce((m, [hi, lo]) => m | maskOf(hi, lo), 0n);
        expect(layout.hasReservedBits(words)).toBe((ref & reservedMask) !== 0n);
      }),
      { numRuns: 200 },
    );
  });
});
