import { describe, expect, it } from 'vitest';
import {
  Access,
  EntryKind,
  MemoryFetcher,
  Perm,
  SparseMemory,
  WalkState,
  WalkStop,
  bigIntToHalves,
  halvesToBigInt,
  read64Big,
  walkStage,
  write64Big,
  type EntryKindValue,
  type PageTableFormat,
  type U64,
} from '@viommu/core';
import { S1Attr, S2Attr, createStage1Format, createStage2Format, decodeStage1Attrs, decodeStage2Attrs } from '../src/vmsa/index';

const R = Access.READ;
const W = Access.WRITE;
const X = Access.EXEC;
const P = Access.PRIV;

function decode(f: PageTableFormat, desc: bigint, depth: number, access: number, state = new WalkState()): { kind: EntryKindValue; s: WalkState } {
  const { hi, lo } = bigIntToHalves(desc);
  const kind = f.decode(hi, lo, depth, access, state);
  return { kind, s: state };
}

function encode(fn: (out: U64) => void): bigint {
  const out: U64 = { hi: 0, lo: 0 };
  fn(out);
  return halvesToBigInt(out.hi, out.lo);
}

/** 4K, 48-bit VA (start level 0, depth = level), 48-bit output. */
const s1 = createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 48 });

describe('stage-1 descriptor known answers (worked by hand)', () => {
  it('decodes a level-3 page: 0x0020_0000_1234_5747', () => {
    // [1:0]=11 page, AttrIndx=001, AP[2:1]=01 (RW at both), SH=11, AF=1, nG=0, PXN=1, UXN=0, OA=0x1234_5000.
    const { kind, s } = decode(s1, 0x0020_0000_1234_5747n, 3, R | W);
    expect(kind).toBe(EntryKind.LEAF);
    expect(s.next).toBe(0x1234_5000);
    expect(s.leafShift).toBe(12);
    expect(s.permitted).toBe(Perm.UR | Perm.UW | Perm.UX | Perm.PR | Perm.PW); // PXN, and EL0-writable anyway
    expect(s.cachePermitted).toBe(s.permitted);
    expect(s.global).toBe(true);
    expect(s.attrs).toBe(1 | (3 << S1Attr.SH_SHIFT));
    expect(decodeStage1Attrs(s.attrs)).toEqual({ attrIndex: 1, ns: false, sh: 3, contiguous: false });
    expect(s.setLo).toBe(0);
  });

  it('decodes a level-1 block: 0x0040_0000_4000_1F01 ignores the RES0 bits [29:12]', () => {
    // [1:0]=01 block, AttrIndx=0, AP=00 (privileged RW), SH=11, AF=1, nG=1 (bit 11), UXN=1, OA[47:30] = 1.
    const { kind, s } = decode(s1, 0x0040_0000_4000_1f01n, 1, R | W | P);
    expect(kind).toBe(EntryKind.LEAF);
    expect(s.next).toBe(0x4000_0000);
    expect(s.leafShift).toBe(30);
    expect(s.permitted).toBe(Perm.PR | Perm.PW | Perm.PX);
    expect(s.global).toBe(false);
    expect(s1.classify(0x0040_0000, 0x4000_1f01, 1)).toBe(EntryKind.LEAF);
    expect(s1.address(0x0040_0000, 0x4000_1f01, 1)).toBe(0x4000_0000);
  });

  it('decodes a table descriptor and accumulates APTable / XNTable bits 62:59', () => {
    const st = new WalkState();
    const { kind } = decode(s1, 0x6000_0080_1234_6003n, 0, R, st);
    expect(kind).toBe(EntryKind.TABLE);
    expect(st.next).toBe(0x80_1234_6000);
    expect(st.acc0).toBe(0b1100); // APTable[1], APTable[0]
    decode(s1, 0x1800_0000_0000_2003n, 1, R, st);
    expect(st.acc0).toBe(0b1111); // plus UXNTable, PXNTable
    expect(s1.classify(0x6000_0080, 0x1234_6003, 0)).toBe(EntryKind.TABLE);
    expect(s1.address(0x6000_0080, 0x1234_6003, 0)).toBe(0x80_1234_6000);
  });

  it('ignores descriptor bits [51:48] of a table and [49:48] of a leaf (RES0 with a 48-bit OA)', () => {
    expect(decode(s1, 0x000f_0000_8000_0003n, 1, R).s.next).toBe(0x8000_0000);
    const { kind, s } = decode(s1, 0x0003_0000_8000_0743n, 3, R);
    expect(kind).toBe(EntryKind.LEAF);
    expect(s.next).toBe(0x8000_0000);
  });

  it('classifies invalid and reserved encodings as translation faults', () => {
    expect(decode(s1, 0x0000_0000_8000_0742n, 3, R).kind).toBe(EntryKind.INVALID); // bit 0 clear
    expect(decode(s1, 0x0000_0000_8000_0741n, 3, R).kind).toBe(EntryKind.INVALID); // 01 at level 3
    expect(decode(s1, 0x0000_0080_0000_0701n, 0, R).kind).toBe(EntryKind.INVALID); // block at 4K level 0
    const f16 = createStage1Format({ granuleBits: 14, tsz: 16, outputBits: 48 });
    expect(decode(f16, 0x0000_0010_0000_0701n, 1, R).kind).toBe(EntryKind.INVALID); // block at 16K level 1
    expect(decode(f16, 0x0000_0000_0200_0701n, 2, R | P).kind).toBe(EntryKind.LEAF); // 32 MB block at 16K level 2
    const f64 = createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 48 });
    expect(decode(f64, 0x0000_0400_0000_0701n, 0, R).kind).toBe(EntryKind.INVALID); // 64K level 1 (depth 0)
    expect(decode(f64, 0x0000_0000_2000_0701n, 1, R | P).kind).toBe(EntryKind.LEAF); // 512 MB block at level 2
    const lpa = createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 52 });
    const block = decode(lpa, 0x0000_0400_0000_0701n, 0, R | P);
    expect(block.kind).toBe(EntryKind.LEAF);
    expect(block.s.leafShift).toBe(42); // 4 TB
  });

  it('64K with a 52-bit PA takes OA[51:48] from bits [15:12]', () => {
    const lpa = createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 52 });
    const { kind, s } = decode(lpa, 0x0000_0000_1234_3743n, 2, R);
    expect(kind).toBe(EntryKind.LEAF);
    expect(s.next).toBe(3 * 2 ** 48 + 0x1234_0000);
    expect(decode(lpa, 0x0000_0000_1234_5003n, 1, R).s.next).toBe(5 * 2 ** 48 + 0x1234_0000);
    // Effective IPS below 52 on a 52-bit implementation: the same bits make an Address size fault.
    const lpa48 = createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 48, oasBits: 52 });
    const r = decode(lpa48, 0x0000_0000_1234_3743n, 2, R);
    expect([r.kind, r.s.fault]).toEqual([EntryKind.FAULT, 'addressSize']);
    // Without a 52-bit implementation, bits [15:12] are RES0 and ignored.
    const no = createStage1Format({ granuleBits: 16, tsz: 16, outputBits: 48, oasBits: 48 });
    expect(decode(no, 0x0000_0000_1234_3743n, 2, R).s.next).toBe(0x1234_0000);
    expect(encode((o) => lpa.encodeLeaf(7 * 2 ** 48 + 0x5_0000, 2, { read: true }, o)) & 0xf000n).toBe(0x7000n);
  });

  it('reports Address size for output and next-table addresses at or above 2^outputBits', () => {
    const f40 = createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 40 });
    expect(decode(f40, 0x0000_00ff_ffff_f743n, 3, R).kind).toBe(EntryKind.LEAF);
    const leaf = decode(f40, 0x0000_0100_0000_0743n, 3, R);
    expect([leaf.kind, leaf.s.fault]).toEqual([EntryKind.FAULT, 'addressSize']);
    const table = decode(f40, 0x0000_0100_0000_0003n, 1, R);
    expect([table.kind, table.s.fault]).toEqual([EntryKind.FAULT, 'addressSize']);
    // Address size comes before the access flag (ARM ARM order), which comes before permission.
    const both = decode(f40, 0x0000_0100_0000_0343n, 3, R);
    expect(both.s.fault).toBe('addressSize');
    const afPerm = decode(s1, 0x0000_0000_8000_0383n, 3, W); // AF=0, AP=10 (RO), write
    expect(afPerm.s.fault).toBe('access');
  });

  it('handles the access flag: fault, AFFD, and hardware update (HA)', () => {
    const noAf = 0x0000_0000_8000_0343n; // AP=01, AF=0
    expect(decode(s1, noAf, 3, R).s.fault).toBe('access');
    const affd = createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 48, affd: true });
    const a = decode(affd, noAf, 3, R);
    expect([a.kind, a.s.setLo]).toEqual([EntryKind.LEAF, 0]);
    const ha = createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 48, ha: true, affd: false });
    const h = decode(ha, noAf, 3, R);
    expect([h.kind, h.s.setLo, h.s.setHi]).toEqual([EntryKind.LEAF, 1 << 10, 0]);
    // No update when the access then faults on permission (AArch64.SettingAccessFlagPermitted).
    const hp = decode(ha, 0x0000_0000_8000_03c3n, 3, W); // AP=11 read-only
    expect([hp.kind, hp.s.fault, hp.s.setLo]).toEqual([EntryKind.FAULT, 'permission', 0]);
  });

  it('reports the missing right on a permission fault', () => {
    const ro = 0x0060_0000_8000_07c3n; // AP=11 (RO at both), UXN=PXN=1
    expect(decode(s1, ro, 3, W).s.faultDetail).toBe('write');
    expect(decode(s1, ro, 3, R | X).s.faultDetail).toBe('exec');
    const priv = 0x0040_0000_8000_0783n; // AP=10 privileged RO, UXN
    expect(decode(s1, priv, 3, R).s.faultDetail).toBe('read');
    expect(decode(s1, priv, 3, R | P).kind).toBe(EntryKind.LEAF);
    expect(decode(s1, priv, 3, X | P).kind).toBe(EntryKind.LEAF); // PXN = 0
  });

  it('encodes leaves, tables and splits blocks keeping attributes', () => {
    expect(encode((o) => s1.encodeLeaf(0x1234_5000, 3, { read: true, write: true, user: true }, o))).toBe(0x0060_0000_1234_5743n);
    expect(encode((o) => s1.encodeLeaf(0x4000_0000, 1, { read: true, exec: true, global: false, attrIndex: 5 }, o))).toBe(0x0040_0000_4000_0f95n);
    expect(encode((o) => s1.encodeLeaf(0x8000_0000, 3, { read: true, exec: true, user: true, privExecNever: true, accessed: false }, o))).toBe(
      0x0020_0000_8000_03c3n,
    );
    expect(encode((o) => s1.encodeTable(0x80_1234_6000, 0, o))).toBe(0x0000_0080_1234_6003n);
    expect(() => s1.encodeLeaf(0x4000_1000, 1, { read: true }, { hi: 0, lo: 0 })).toThrow(); // misaligned block
    expect(() => s1.encodeLeaf(0x8000_0000, 0, { read: true }, { hi: 0, lo: 0 })).toThrow(); // no L0 blocks
    expect(() => s1.encodeLeaf(2 ** 48, 3, { read: true }, { hi: 0, lo: 0 })).toThrow(); // beyond output
    expect(() => s1.encodeLeaf(0, 3, { attrIndex: 8 }, { hi: 0, lo: 0 })).toThrow();
    // A 2 MB block with nG, AttrIndx 3, Contiguous and UXN split into 4K pages: attributes kept, Contiguous dropped.
    const block = 0x0050_0000_4020_0f8dn; // [1:0]=01, AttrIndx=3, AP=10, SH=11, AF, nG, Contiguous, UXN
    const { hi, lo } = bigIntToHalves(block);
    const page = encode((o) => s1.splitLeaf(hi, lo, 2, 0x4020_3000, o));
    expect(page).toBe(0x0040_0000_4020_3f8fn);
    const a = decode(s1, block, 2, R | P).s;
    const b = decode(s1, page, 3, R | P).s;
    expect([b.permitted, b.attrs & ~S1Attr.CONTIGUOUS, b.global]).toEqual([a.permitted, a.attrs & ~S1Attr.CONTIGUOUS, a.global]);
    expect(a.attrs & S1Attr.CONTIGUOUS).toBe(S1Attr.CONTIGUOUS);
  });
});

/** 4K, 40-bit IPA starting at level 1 with 2 concatenated tables, 40-bit output. */
const s2 = createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40 });

describe('stage-2 descriptor known answers', () => {
  it('decodes a page: 0x0040_0000_8765_47FF', () => {
    // [1:0]=11, MemAttr=1111 (Normal WB), S2AP=11 (RW), SH=11, AF=1, XN=10 (no execution).
    const { kind, s } = decode(s2, 0x0040_0000_8765_47ffn, 2, R | W);
    expect(kind).toBe(EntryKind.LEAF);
    expect(s.next).toBe(0x8765_4000);
    expect(s.permitted).toBe(Perm.UR | Perm.UW | Perm.PR | Perm.PW);
    expect(s.attrs).toBe(0xf | (3 << S2Attr.SH_SHIFT));
    expect(decodeStage2Attrs(s.attrs)).toEqual({ memAttr: 0xf, sh: 3, contiguous: false, device: false });
    expect(s.global).toBe(true);
    expect(decode(s2, 0x0040_0000_8765_47ffn, 2, X).s.faultDetail).toBe('exec');
  });

  it('flags Device memory (MemAttr[3:2] = 00) for S2PTW', () => {
    const { s } = decode(s2, 0x0040_0000_8765_47c7n, 2, R); // MemAttr=0001 Device-nGnRE
    expect(decodeStage2Attrs(s.attrs)).toEqual({ memAttr: 1, sh: 3, contiguous: false, device: true });
  });

  it('S2AP: bit 6 grants read, bit 7 write; both privileges alike', () => {
    const ro = decode(s2, 0x0000_0000_8000_0747n, 2, W); // S2AP=01
    expect([ro.s.fault, ro.s.faultDetail]).toEqual(['permission', 'write']);
    const wo = decode(s2, 0x0000_0000_8000_0787n, 2, R | P); // S2AP=10
    expect([wo.s.fault, wo.s.faultDetail]).toEqual(['permission', 'read']);
    expect(decode(s2, 0x0000_0000_8000_0787n, 2, W | P).s.permitted).toBe(Perm.UW | Perm.PW | Perm.UX | Perm.PX);
  });

  it('XNX distinguishes EL1 and EL0 execution', () => {
    const xnx = createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40, xnx: true });
    const el1xn = 0x0020_0000_8000_07c7n; // XN=01
    expect(decode(xnx, el1xn, 2, X | P).s.faultDetail).toBe('exec');
    expect(decode(xnx, el1xn, 2, X).kind).toBe(EntryKind.LEAF);
    const el0xn = 0x0060_0000_8000_07c7n; // XN=11
    expect(decode(xnx, el0xn, 2, X).s.faultDetail).toBe('exec');
    expect(decode(xnx, el0xn, 2, X | P).kind).toBe(EntryKind.LEAF);
    // Without XNX, XN[0] is ignored.
    expect(decode(s2, el1xn, 2, X | P).kind).toBe(EntryKind.LEAF);
  });

  it('hardware dirty state: DBM makes a clean page writable and a write sets S2AP[1]', () => {
    const hd = createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40, ha: true, hd: true });
    const clean = 0x0048_0000_8000_0347n; // DBM=1, XN, S2AP=01, AF=0
    const w = decode(hd, clean, 2, W);
    expect([w.kind, w.s.setLo]).toEqual([EntryKind.LEAF, (1 << 7) | (1 << 10)]);
    expect(w.s.cachePermitted).toBe(w.s.permitted);
    const r = decode(hd, clean, 2, R);
    expect([r.kind, r.s.setLo]).toEqual([EntryKind.LEAF, 1 << 10]);
    expect(r.s.permitted & Perm.UW).toBe(Perm.UW);
    expect(r.s.cachePermitted & (Perm.UW | Perm.PW)).toBe(0);
    // HD without HA has no effect; without DBM the page stays read-only.
    const hdOnly = createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40, hd: true, affd: true });
    expect(decode(hdOnly, clean, 2, W).s.fault).toBe('permission');
    expect(decode(hd, 0x0040_0000_8000_0347n, 2, W).s.fault).toBe('permission');
  });

  it('AF at stage 2: fault, S2AFFD, S2HA', () => {
    const noAf = 0x0040_0000_8000_03c7n;
    expect(decode(s2, noAf, 2, R).s.fault).toBe('access');
    expect(decode(createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40, affd: true }), noAf, 2, R).s.setLo).toBe(0);
    expect(decode(createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40, ha: true }), noAf, 2, R).s.setLo).toBe(1 << 10);
  });

  it('encodes leaves', () => {
    expect(encode((o) => s2.encodeLeaf(0x8765_4000, 2, { read: true, write: true }, o))).toBe(0x0040_0000_8765_47ffn);
    expect(encode((o) => s2.encodeLeaf(0x4000_0000, 0, { write: true, exec: true, attrIndex: 1 }, o))).toBe(0x0000_0000_4000_0785n);
    const xnx = createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40, xnx: true });
    expect(encode((o) => xnx.encodeLeaf(0x1000, 2, { read: true, exec: true, privExecNever: true }, o))).toBe(0x0020_0000_0000_177fn);
    expect(() => s2.encodeLeaf(0, 2, { attrIndex: 16 }, { hi: 0, lo: 0 })).toThrow();
  });
});

describe('walks through memory', () => {
  it('stage 2: an IPA at or above 2^(64 − T0SZ) is an inputRange fault; a table read writes back AF', () => {
    const mem = new SparseMemory().back(0, 1 << 20);
    const fetcher = new MemoryFetcher(mem);
    const ha = createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40, ha: true });
    const st = new WalkState();
    expect(walkStage(ha, 0, 2 ** 40, R, fetcher, st)).toBe(WalkStop.FAULT);
    expect(st.fault).toBe('inputRange');
    // Root at 0 (8 KB, two tables): the IPA 0x80_4020_1234 uses entry 0x201 of the root (in the second table).
    write64Big(mem, 0x201 * 8, 0x0000_0000_0000_4003n);
    write64Big(mem, 0x4000 + 1 * 8, 0x0000_0000_0000_5003n);
    write64Big(mem, 0x5000 + 1 * 8, 0x0040_0000_0000_93c7n); // page 0x9000, MemAttr 0001, S2AP=11, AF=0
    expect(walkStage(ha, 0, 0x80_4020_1234, R | W, fetcher, st)).toBe(WalkStop.OK);
    expect(st.output).toBe(0x9234);
    expect(read64Big(mem, 0x5008)).toBe(0x0040_0000_0000_97c7n);
    expect(walkStage(ha, 0, 0x80_4020_2234, R, fetcher, st)).toBe(WalkStop.FAULT);
    expect([st.fault, st.depth]).toEqual(['translation', 2]);
  });
});
