import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getField, getFieldBig, setField, setFieldBig, u64sFromWords, wordsFromU64s } from '../src/bits';
import { bigIntToHalves, bitsOfHalves, halvesToBigInt } from '../src/u64';

/** Independent reference: a structure as one bigint. */
const asBig = (words: Uint32Array) => words.reduceRight((acc, w) => (acc << 32n) | BigInt(w), 0n);
const refGet = (words: Uint32Array, lo: number, width: number) => (asBig(words) >> BigInt(lo)) & ((1n << BigInt(width)) - 1n);

const structure = fc.uint32Array({ minLength: 16, maxLength: 16 });
const range = fc.integer({ min: 0, max: 511 }).chain((lo) => fc.tuple(fc.constant(lo), fc.integer({ min: 1, max: Math.min(53, 512 - lo) })));

describe('bit fields on 512-bit structures', () => {
  it('getField agrees with the bigint reference', () => {
    fc.assert(
      fc.property(structure, range, (words, [lo, width]) => {
        expect(BigInt(getField(words, lo, width))).toBe(refGet(words, lo, width));
      }),
    );
  });

  it('getFieldBig agrees with the reference for any width', () => {
    fc.assert(
      fc.property(structure, fc.integer({ min: 0, max: 511 }), fc.integer({ min: 1, max: 128 }), (words, lo, w) => {
        const width = Math.min(w, 512 - lo);
        expect(getFieldBig(words, lo, width)).toBe(refGet(words, lo, width));
      }),
    );
  });

  it('setField changes exactly the field', () => {
    fc.assert(
      fc.property(structure, range, fc.bigInt({ min: 0n, max: (1n << 53n) - 1n }), (words, [lo, width], raw) => {
        const value = raw & ((1n << BigInt(width)) - 1n);
        const before = asBig(words);
        const copy = Uint32Array.from(words);
        setField(copy, lo, width, Number(value));
        const fieldMask = ((1n << BigInt(width)) - 1n) << BigInt(lo);
        expect(asBig(copy)).toBe((before & ~fieldMask) | (value << BigInt(lo)));
      }),
    );
  });

  it('setFieldBig round-trips through getFieldBig', () => {
    fc.assert(
      fc.property(structure, fc.integer({ min: 0, max: 447 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (words, lo, value) => {
        const copy = Uint32Array.from(words);
        setFieldBig(copy, lo, 64, value);
        expect(getFieldBig(copy, lo, 64)).toBe(value);
      }),
    );
  });

  it('rejects values that do not fit', () => {
    const w = new Uint32Array(2);
    expect(() => setField(w, 0, 4, 16)).toThrow(RangeError);
    expect(() => setField(w, 0, 4, -1)).toThrow(RangeError);
    expect(() => setFieldBig(w, 0, 4, 16n)).toThrow(RangeError);
    expect(() => getField(w, 0, 54)).toThrow(RangeError);
  });

  it('known answer: STE word 0 0x4306200b', () => {
    const w = wordsFromU64s([0x4306200bn, 0x2n], 512);
    expect(getField(w, 0, 1)).toBe(1); // V
    expect(getField(w, 1, 3)).toBe(5); // Config = S1 translate
    expect(getField(w, 6, 50) * 64).toBe(0x43062000); // S1ContextPtr
    expect(getField(w, 64, 2)).toBe(2); // S1DSS = substream0
    expect(u64sFromWords(w).slice(0, 2)).toEqual([0x4306200bn, 0x2n]);
  });
});

describe('u64 halves', () => {
  it('bigint round trip', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const { hi, lo } = bigIntToHalves(v);
        expect(halvesToBigInt(hi, lo)).toBe(v);
      }),
    );
  });
  it('bitsOfHalves agrees with the reference', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 53 }), (v, bit, w) => {
        const width = Math.min(w, 64 - bit);
        const { hi, lo } = bigIntToHalves(v);
        expect(BigInt(bitsOfHalves(hi, lo, bit, width))).toBe((v >> BigInt(bit)) & ((1n << BigInt(width)) - 1n));
      }),
    );
  });
});
