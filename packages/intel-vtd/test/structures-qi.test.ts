import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { u64sFromWords, wordsFromU64s } from '@viommu/core';
import {
  QI_DESCRIPTOR_LAYOUTS,
  decodeQiDescriptor,
  encodeQiDescriptor,
  isQiDescriptorInvalid,
  qiDescriptorType,
  type QiDescriptor,
} from '../src/structures/index';

const d128 = (qw0: bigint, qw1 = 0n) => wordsFromU64s([qw0, qw1], 128);
const d256 = (qw0: bigint, qw1 = 0n, qw2 = 0n, qw3 = 0n) => wordsFromU64s([qw0, qw1, qw2, qw3], 256);

/** Known answers: [descriptor, qw0, qw1], worked out by hand from the §7 field table. */
const KNOWN: [QiDescriptor, bigint, bigint][] = [
  // Type 1, device-selective: G=3, DID 0x12, SID 0x0310, FM 2.
  [{ type: 1, granularity: 'device', did: 0x12, sid: 0x0310, fm: 2 }, 0x0002_0310_0012_0031n, 0n],
  // Type 2, page-selective: G=3, DW, DR, DID 0x34; AM 9, IH, ADDR 0x7fff_f000_0000.
  [
    { type: 2, granularity: 'page', drainWrites: true, drainReads: true, did: 0x34, am: 9, ih: true, address: 0x7fff_f000_0000n },
    0x0034_00f2n,
    0x7fff_f000_0049n,
  ],
  // Type 3: PFSID 0x1234 (lo 4 at 15:12, hi 0x123 at 63:52), QDEP 0x1F, SID 0x0100; S, ADDR 0x7000.
  [{ type: 3, pfsid: 0x1234, qdep: 0x1f, sid: 0x0100, size: true, address: 0x7000n }, 0x1230_0100_001f_4003n, 0x7001n],
  // Type 4, index-selective: IM 3, IIDX 0x40.
  [{ type: 4, granularity: 'index', im: 3, iidx: 0x40 }, 0x0000_0040_1800_0004n, 0n],
  // Type 5: IF, SW, FN, status data 0xCAFE, status address 0x1_2345_6788.
  [
    { type: 5, interruptFlag: true, statusWrite: true, fence: true, pageRequestDrain: false, statusData: 0xcafe, statusAddress: 0x1_2345_6788n },
    0x0000_cafe_0000_0075n,
    0x1_2345_6788n,
  ],
  // Type 6, page in PASID: G=3, DID 7, PASID 0xFFFFF; ADDR 0x4000.
  [{ type: 6, granularity: 'page', did: 7, pasid: 0xfffff, am: 0, ih: false, address: 0x4000n }, 0x000f_ffff_0007_0036n, 0x4000n],
  // Type 7, PASID-selective: G=1, DID 2, PASID 0x10.
  [{ type: 7, granularity: 'pasid', did: 2, pasid: 0x10 }, 0x0000_0010_0002_0017n, 0n],
  // Type 7, global: G=3.
  [{ type: 7, granularity: 'global', did: 0, pasid: 0 }, 0x37n, 0n],
  // Type 8: QDEP 0x10, PFSID 0xABCD, SID 0x0208, PASID 0x55; G, S, ADDR 0x10_0000.
  [
    { type: 8, qdep: 0x10, pfsid: 0xabcd, sid: 0x0208, pasid: 0x55, global: true, size: true, address: 0x10_0000n },
    0xabc0_0055_0208_d108n,
    0x10_0801n,
  ],
  // Type 9: PP, RC 1, RID 0x0318, PASID 0x77; LPIG, PRGI 0x1FF.
  [
    { type: 9, pasidPresent: true, privateDataPresent: false, responseCode: 1, rid: 0x0318, pasid: 0x77, lastPageInGroup: true, prgIndex: 0x1ff, privateData: undefined },
    0x0000_0077_0318_1019n,
    0xffcn,
  ],
];

describe('invalidation descriptors: known answers', () => {
  it.each(KNOWN.map((k) => [k[0].type, ...k] as const))('type %i encodes and decodes bit for bit', (_t, desc, qw0, qw1) => {
    expect(u64sFromWords(encodeQiDescriptor(desc, false))).toEqual([qw0, qw1]);
    expect(decodeQiDescriptor(d128(qw0, qw1), false)).toEqual(desc);
    // 256-bit form: the same 128 bits followed by zero qw2/qw3.
    expect(u64sFromWords(encodeQiDescriptor(desc, true))).toEqual([qw0, qw1, 0n, 0n]);
  });

  it('reads the type from bits 3:0 and 11:9', () => {
    expect(qiDescriptorType(d128(0x205n))).toBe(0x15);
    expect(qiDescriptorType(d128(0xe07n))).toBe(0x77);
    expect(qiDescriptorType(d128(0x9n))).toBe(9);
  });

  it('carries page-group-response private data in qw2/qw3 of 256-bit descriptors', () => {
    const desc = decodeQiDescriptor(d256(0x0000_0077_0318_1039n, 0xffcn, 0x1111n, 0x2222n), true);
    expect(desc).toMatchObject({ type: 9, privateDataPresent: true, privateData: [0x1111n, 0x2222n] });
    expect(u64sFromWords(encodeQiDescriptor(desc as QiDescriptor, true))).toEqual([0x0000_0077_0318_1039n, 0xffcn, 0x1111n, 0x2222n]);
  });
});

describe('invalidation descriptors: rejection', () => {
  it('rejects undefined types with IQEI 3', () => {
    expect(decodeQiDescriptor(d128(0n), false)).toMatchObject({ invalid: 'type', iqei: 3, type: 0 });
    expect(decodeQiDescriptor(d128(0xan), false)).toMatchObject({ invalid: 'type', type: 10 });
    expect(decodeQiDescriptor(d128(0x201n | 0x10n), false)).toMatchObject({ invalid: 'type', type: 0x11 });
    expect(decodeQiDescriptor(d128(0x402n | 0x10n), false)).toMatchObject({ invalid: 'type', type: 0x22 });
  });

  /** Reserved masks the reference sheet gives (QEMU's), and the fully reserved qw1 of types 1 and 7. */
  const MASKS: [number, bigint, bigint, bigint][] = [
    // [type, base qw0 with a valid granularity, qw0 reserved mask, qw1 reserved mask]
    [1, 0x11n, 0xfffc_0000_0000_f1c0n, 0xffff_ffff_ffff_ffffn],
    [2, 0x12n, 0xffff_ffff_0000_f100n, 0xf80n],
    [6, 0x26n, 0xfff0_0000_0000_f1c0n, 0xf80n],
    [7, 0x17n, 0xfff0_0000_0000_f1c0n, 0xffff_ffff_ffff_ffffn],
  ];

  it.each(MASKS)('type %i: exactly the reference reserved bits are rejected', (type, base, mask0, mask1) => {
    for (let b = 0; b < 64; b++) {
      if (b < 4 || (b >= 9 && b <= 11)) continue; // type bits
      const result = decodeQiDescriptor(d128(base | (1n << BigInt(b))), false);
      const reserved = isQiDescriptorInvalid(result) && result.invalid === 'reserved';
      expect(reserved, `type ${type} qw0 bit ${b}`).toBe(((mask0 >> BigInt(b)) & 1n) === 1n);
      if (!reserved) expect(isQiDescriptorInvalid(result), `type ${type} qw0 bit ${b}`).toBe(false);
    }
    for (let b = 0; b < 64; b++) {
      const result = decodeQiDescriptor(d128(base, 1n << BigInt(b)), false);
      expect(isQiDescriptorInvalid(result) && result.invalid === 'reserved', `type ${type} qw1 bit ${b}`).toBe(((mask1 >> BigInt(b)) & 1n) === 1n);
    }
    expect(QI_DESCRIPTOR_LAYOUTS[type as 1 | 2 | 6 | 7].hasReservedBits(d128(base))).toBe(false);
  });

  it.each([
    [3, 0x3n | (1n << 4n), 0n],
    [3, 0x3n | (1n << 21n), 0n],
    [3, 0x3n | (1n << 48n), 0n],
    [3, 0x3n, 1n << 1n],
    [4, 0x4n | (1n << 5n), 0n],
    [4, 0x4n | (1n << 12n), 0n],
    [4, 0x4n | (1n << 48n), 0n],
    [4, 0x4n, 1n << 63n],
    [5, 0x5n | (1n << 8n), 0n],
    [5, 0x5n | (1n << 31n), 0n],
    [5, 0x5n, 1n],
    [8, 0x8n, 1n << 10n],
    [9, 0x9n | (1n << 6n), 0n],
    [9, 0x9n | (1n << 52n), 0n],
    [9, 0x9n, 1n << 1n],
    [9, 0x9n, 1n << 12n],
  ])('type %i: reserved bit rejected (qw0 %s, qw1 %s)', (_type, qw0, qw1) => {
    expect(decodeQiDescriptor(d128(qw0, qw1), false)).toMatchObject({ invalid: 'reserved', iqei: 4 });
  });

  it('accepts the derived non-reserved fields of types 3, 5, 8 and 9', () => {
    expect(isQiDescriptorInvalid(decodeQiDescriptor(d128(0x5n | (1n << 7n)), false))).toBe(false); // PD
    expect(isQiDescriptorInvalid(decodeQiDescriptor(d128(0x3n | (0xfn << 12n) | (0xfffn << 52n)), false))).toBe(false); // PFSID
    expect(isQiDescriptorInvalid(decodeQiDescriptor(d128(0xffff_ffff_ffff_f1f8n), false))).toBe(false); // type 8, every qw0 field
    expect(isQiDescriptorInvalid(decodeQiDescriptor(d128(0x9n | (1n << 5n)), false))).toBe(false); // PDP
  });

  it.each([
    [1, 0x01n],
    [2, 0x02n],
    [6, 0x06n],
    [6, 0x16n],
    [7, 0x27n],
  ])('type %i: reserved granularity rejected (qw0 %s)', (_type, qw0) => {
    expect(decodeQiDescriptor(d128(qw0), false)).toMatchObject({ invalid: 'granularity', iqei: 4 });
  });

  it('requires qw2/qw3 to be zero for types 1–8 in 256-bit mode', () => {
    for (const [desc] of KNOWN.filter(([d]) => d.type !== 9)) {
      const words = encodeQiDescriptor(desc, true);
      expect(isQiDescriptorInvalid(decodeQiDescriptor(words, true))).toBe(false);
      const qw2 = Uint32Array.from(words);
      qw2[4] = 1;
      expect(decodeQiDescriptor(qw2, true), `type ${desc.type} qw2`).toMatchObject({ invalid: 'reserved' });
      const qw3 = Uint32Array.from(words);
      qw3[7] = 0x8000_0000;
      expect(decodeQiDescriptor(qw3, true), `type ${desc.type} qw3`).toMatchObject({ invalid: 'reserved' });
      // The same bits are not looked at in 128-bit mode.
      expect(isQiDescriptorInvalid(decodeQiDescriptor(qw3, false))).toBe(false);
    }
  });

  it('rejects short buffers and unencodable values as API errors', () => {
    expect(() => decodeQiDescriptor(new Uint32Array(4), true)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => encodeQiDescriptor({ type: 2, granularity: 'page', drainReads: false, drainWrites: false, did: 0, am: 0, ih: false, address: 0x1234n }, false)).toThrow(
      expect.objectContaining({ code: 'FIELD_RANGE' }),
    );
    expect(() => encodeQiDescriptor({ type: 7, granularity: 'page' as never, did: 0, pasid: 0 }, false)).toThrow(expect.objectContaining({ code: 'FIELD_RANGE' }));
  });
});

describe('invalidation descriptors: round trip', () => {
  const u = (bits: number) => fc.integer({ min: 0, max: 2 ** bits - 1 });
  const page = fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }).map((v) => v << 12n);
  const descriptor: fc.Arbitrary<QiDescriptor> = fc.oneof(
    fc.record({ type: fc.constant(1 as const), granularity: fc.constantFrom('global' as const, 'domain' as const, 'device' as const), did: u(16), sid: u(16), fm: u(2) }),
    fc.record({
      type: fc.constant(2 as const),
      granularity: fc.constantFrom('global' as const, 'domain' as const, 'page' as const),
      drainWrites: fc.boolean(),
      drainReads: fc.boolean(),
      did: u(16),
      am: u(6),
      ih: fc.boolean(),
      address: page,
    }),
    fc.record({ type: fc.constant(3 as const), pfsid: u(16), qdep: u(5), sid: u(16), size: fc.boolean(), address: page }),
    fc.record({ type: fc.constant(4 as const), granularity: fc.constantFrom('index' as const, 'global' as const), im: u(5), iidx: u(16) }),
    fc.record({
      type: fc.constant(5 as const),
      interruptFlag: fc.boolean(),
      statusWrite: fc.boolean(),
      fence: fc.boolean(),
      pageRequestDrain: fc.boolean(),
      statusData: fc.integer({ min: 0, max: 0xffff_ffff }),
      statusAddress: fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }).map((v) => v << 2n),
    }),
    fc.record({ type: fc.constant(6 as const), granularity: fc.constantFrom('pasid' as const, 'page' as const), did: u(16), pasid: u(20), am: u(6), ih: fc.boolean(), address: page }),
    fc.record({ type: fc.constant(7 as const), granularity: fc.constantFrom('domain' as const, 'pasid' as const, 'global' as const), did: u(16), pasid: u(20) }),
    fc.record({ type: fc.constant(8 as const), qdep: u(5), pfsid: u(16), sid: u(16), pasid: u(20), global: fc.boolean(), size: fc.boolean(), address: page }),
    fc.record({
      type: fc.constant(9 as const),
      pasidPresent: fc.boolean(),
      privateDataPresent: fc.boolean(),
      responseCode: u(4),
      rid: u(16),
      pasid: u(20),
      lastPageInGroup: fc.boolean(),
      prgIndex: u(9),
      privateData: fc.constant(undefined),
    }),
  );

  it('decode(encode(d)) === d in both descriptor widths', () => {
    fc.assert(
      fc.property(descriptor, fc.boolean(), (desc, dw256) => {
        const back = decodeQiDescriptor(encodeQiDescriptor(desc, dw256), dw256);
        expect(back).toEqual(desc.type === 9 && dw256 ? { ...desc, privateData: [0n, 0n] } : desc);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary queue contents', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 8, maxLength: 8 }), fc.boolean(), (words, dw256) => {
        const result = decodeQiDescriptor(words, dw256);
        expect(typeof result).toBe('object');
      }),
      { numRuns: 500 },
    );
  });
});
