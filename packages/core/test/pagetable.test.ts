import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIommuError } from '../src/errors';
import { PoolAllocator } from '../src/memory/allocator';
import { read64Big, write64Big, type PhysicalMemory } from '../src/memory/physical-memory';
import { SparseMemory } from '../src/memory/sparse-memory';
import { PageTableBuilder } from '../src/pagetable/builder';
import { Access, EntryKind, Perm, WalkState, type FaultKind, type MapProt, type PageTableFormat } from '../src/pagetable/format';
import { MemoryFetcher, WalkStop, walkStage, type TableFetcher } from '../src/pagetable/walker';
import type { U64 } from '../src/u64';
import { createToyFormat, toyEntry, type ToyFormatOptions } from './support/toy-format';

const KiB4 = 0x1000;
const MiB2 = 0x20_0000;
const GiB1 = 0x4000_0000;
const POOL = 0x10_0000;
const POOL_SIZE = 0x80_0000;

function setup(options: ToyFormatOptions) {
  const format = createToyFormat(options);
  const memory = new SparseMemory().back(POOL, POOL_SIZE);
  const allocator = new PoolAllocator(memory, POOL, POOL_SIZE);
  const builder = new PageTableBuilder(format, memory, allocator);
  return { format, memory, allocator, builder };
}

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

/** A fetcher that counts reads and writes, over plain memory. */
class CountingFetcher implements TableFetcher {
  reads = 0;
  updates = 0;
  readonly inner: MemoryFetcher;
  constructor(memory: PhysicalMemory) {
    this.inner = new MemoryFetcher(memory);
  }
  fetch(address: number, depth: number, out: U64): boolean {
    this.reads++;
    return this.inner.fetch(address, depth, out);
  }
  update(address: number, depth: number, hi: number, lo: number): boolean {
    this.updates++;
    return this.inner.update(address, depth, hi, lo);
  }
}

function walk(format: PageTableFormat, memory: PhysicalMemory, root: number, input: number, access: number) {
  const state = new WalkState();
  const fetcher = new CountingFetcher(memory);
  const stop = walkStage(format, root, input, access, fetcher, state);
  return { stop, state, fetcher };
}

const RW: MapProt = { read: true, write: true };

describe('toy format (test support) encodes what it decodes', () => {
  it('leaf and table entries round-trip through encode/classify/address', () => {
    const f = createToyFormat({ levels: 3, outputBits: 48, stage: 1 });
    const out: U64 = { hi: 0, lo: 0 };
    f.encodeLeaf(0x12_3456_7000, 2, { read: true, user: true }, out);
    expect(f.classify(out.hi, out.lo, 2)).toBe(EntryKind.LEAF);
    expect(f.address(out.hi, out.lo, 2)).toBe(0x12_3456_7000);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(toyEntry({ address: 0x12_3456_7000, r: true, u: true }));
    f.encodeTable(0xf_ffff_f000, 0, out);
    expect(f.classify(out.hi, out.lo, 0)).toBe(EntryKind.TABLE);
    expect(f.classify(out.hi, out.lo, 2)).toBe(EntryKind.INVALID); // a table at the last level
    expect(f.address(out.hi, out.lo, 0)).toBe(0xf_ffff_f000);
    expect(f.inputBits).toBe(39);
    expect(f.shifts).toEqual([30, 21, 12]);
    expect(f.archLevels).toEqual([1, 2, 3]);
    expect(createToyFormat({ levels: 4, rootIndexBits: 10, outputBits: 48, stage: 2 }).inputBits).toBe(49);
  });
});

describe('PageTableBuilder', () => {
  it('maps a 2 MiB block when input and output are aligned, at the 2 MiB depth', () => {
    const { builder, allocator, format } = setup({ levels: 3, outputBits: 40, stage: 1 });
    builder.map(0x4020_0000, 0x8_0040_0000, MiB2, RW);
    expect(builder.lookup(0x4020_0000 + 0x1234)).toEqual({ input: 0x4020_0000, output: 0x8_0040_0000, shift: 21, depth: 1 });
    expect(builder.iovaToPhys(0x4020_0000 + 0x1f_fff8)).toBe(0x8_005f_fff8);
    expect(builder.iovaToPhys(0x4020_0000 - 1)).toBeUndefined();
    expect(builder.iovaToPhys(0x4040_0000)).toBeUndefined();
    expect(allocator.used).toBe(2 * KiB4); // the root and one 2 MiB-level table, no last-level table
    expect(format.leafDepths).toEqual([true, true, true]);
  });

  it('falls back to pages when the output is not block-aligned, and mixes sizes by alignment', () => {
    const { builder } = setup({ levels: 3, outputBits: 40, stage: 1 });
    builder.map(0x20_0000, 0x30_1000, MiB2, RW);
    expect(builder.lookup(0x20_0000)?.depth).toBe(2);
    expect(builder.lookup(0x3f_f000)).toEqual({ input: 0x3f_f000, output: 0x50_0000, shift: 12, depth: 2 });
    // 4 KiB + 2 MiB + 4 KiB starting one page below a 2 MiB boundary: page, block, page.
    builder.map(0x5f_f000, 0x1_005f_f000, MiB2 + 2 * KiB4, RW);
    expect(builder.lookup(0x5f_f000)?.shift).toBe(12);
    expect(builder.lookup(0x60_0000)).toEqual({ input: 0x60_0000, output: 0x1_0060_0000, shift: 21, depth: 1 });
    expect(builder.lookup(0x80_0000)).toEqual({ input: 0x80_0000, output: 0x1_0080_0000, shift: 12, depth: 2 });
    expect(builder.lookup(0x80_1000)).toBeUndefined();
  });

  it('maps a 1 GiB block at the root of a 3-level table, but not where the format forbids leaves', () => {
    const a = setup({ levels: 3, outputBits: 40, stage: 1 });
    a.builder.map(GiB1, 3 * GiB1, GiB1, RW);
    expect(a.builder.lookup(GiB1 + 5)).toEqual({ input: GiB1, output: 3 * GiB1, shift: 30, depth: 0 });
    expect(a.allocator.used).toBe(KiB4);
    const b = setup({ levels: 3, outputBits: 40, stage: 1, noLeafDepths: [0] });
    b.builder.map(GiB1, 3 * GiB1, GiB1, RW);
    expect(b.builder.lookup(GiB1 + 5)).toEqual({ input: GiB1, output: 3 * GiB1, shift: 21, depth: 1 });
    expect(b.builder.lookup(2 * GiB1 - 1)).toEqual({ input: 2 * GiB1 - MiB2, output: 4 * GiB1 - MiB2, shift: 21, depth: 1 });
  });

  it('a root with more index bits (concatenated tables) maps the top of the larger input space', () => {
    const { builder, format, memory } = setup({ levels: 2, rootIndexBits: 11, outputBits: 40, stage: 2 });
    expect(format.inputBits).toBe(32);
    builder.map(0xffe0_0000, 0x20_0000, MiB2, RW);
    expect(builder.lookup(0xffff_f000)).toEqual({ input: 0xffe0_0000, output: 0x20_0000, shift: 21, depth: 0 });
    expect(read64Big(memory, builder.root + 2047 * 8)).toBe(toyEntry({ address: 0x20_0000, r: true, w: true }));
  });

  it('MAP_EXISTS refuses an overlapping map and changes nothing', () => {
    const { builder, memory, allocator } = setup({ levels: 3, outputBits: 40, stage: 1 });
    builder.map(0x40_0000, 0x40_0000, MiB2, RW);
    builder.map(0x80_3000, 0x9000, KiB4, RW);
    const snapshot = memory.readBytes(POOL, allocator.used)!;
    const used = allocator.used;
    // Overlaps only at the end: the first pages are free, yet nothing may be written.
    expectIommuError(() => builder.map(0x80_0000 - 8 * KiB4, 0x100_0000, 12 * KiB4, RW), 'MAP_EXISTS');
    // Starts before the existing block.
    expectIommuError(() => builder.map(0x20_0000, 0x100_0000, 4 * MiB2, RW), 'MAP_EXISTS');
    expectIommuError(() => builder.map(0x40_0000, 0x40_0000, KiB4, RW), 'MAP_EXISTS');
    expect(allocator.used).toBe(used);
    expect(memory.readBytes(POOL, used)).toEqual(snapshot);
    expect(builder.iovaToPhys(0x80_0000 - 8 * KiB4)).toBeUndefined();
  });

  it('rejects misaligned, empty and out-of-range arguments', () => {
    const { builder } = setup({ levels: 2, outputBits: 32, stage: 1 });
    expectIommuError(() => builder.map(0x800, 0, KiB4, RW), 'MAP_ARGUMENT');
    expectIommuError(() => builder.map(0, 0x800, KiB4, RW), 'MAP_ARGUMENT');
    expectIommuError(() => builder.map(0, 0, 0, RW), 'MAP_ARGUMENT');
    expectIommuError(() => builder.map(-KiB4, 0, KiB4, RW), 'MAP_ARGUMENT');
    expectIommuError(() => builder.map(GiB1 - KiB4, 0, 2 * KiB4, RW), 'MAP_RANGE'); // 30-bit input
    expectIommuError(() => builder.map(0, 2 ** 32 - KiB4, 2 * KiB4, RW), 'MAP_RANGE'); // 32-bit output
    expectIommuError(() => builder.unmap(0x10, KiB4), 'MAP_ARGUMENT');
    expect(builder.iovaToPhys(GiB1)).toBeUndefined();
  });

  it('OUT_OF_MEMORY when the table pool runs dry', () => {
    const format = createToyFormat({ levels: 3, outputBits: 40, stage: 1 });
    const memory = new SparseMemory().back(0, 2 * KiB4);
    const builder = new PageTableBuilder(format, memory, new PoolAllocator(memory, 0, 2 * KiB4));
    builder.map(0, 0, MiB2, RW); // root + one table: the pool is full
    expectIommuError(() => builder.map(MiB2, 0, KiB4, RW), 'OUT_OF_MEMORY');
  });

  it('a partial unmap splits a block; the rest stays mapped to the same output', () => {
    const { builder, format, memory } = setup({ levels: 3, outputBits: 40, stage: 1 });
    builder.map(0x60_0000, 0x1_0000_0000, MiB2, { read: true, exec: true, user: true, attrIndex: 2 });
    expect(builder.unmap(0x60_5000, KiB4)).toBe(KiB4);
    expect(builder.iovaToPhys(0x60_5000)).toBeUndefined();
    for (const page of [0, 1, 4, 6, 511]) {
      expect(builder.lookup(0x60_0000 + page * KiB4)).toEqual({ input: 0x60_0000 + page * KiB4, output: 0x1_0000_0000 + page * KiB4, shift: 12, depth: 2 });
    }
    // The split pages keep the block's attributes.
    const r = walk(format, memory, builder.root, 0x60_4abc, Access.EXEC);
    expect(r.stop).toBe(WalkStop.OK);
    expect(r.state.output).toBe(0x1_0000_4abc);
    expect(r.state.attrs).toBe(2);
    expect(r.state.permitted).toBe(Perm.UR | Perm.UX | Perm.PR | Perm.PX);
  });

  it('unmap returns only the bytes that were mapped, across blocks and holes', () => {
    const { builder } = setup({ levels: 3, outputBits: 40, stage: 1 });
    builder.map(0, 0, MiB2, RW); // block
    builder.map(MiB2 + 4 * KiB4, 0x9000_0000, 2 * KiB4, RW); // two pages after a hole
    expect(builder.unmap(MiB2 - KiB4, 8 * KiB4)).toBe(3 * KiB4); // last page of the block + both pages
    expect(builder.iovaToPhys(MiB2 - 2 * KiB4)).toBe(MiB2 - 2 * KiB4);
    expect(builder.iovaToPhys(MiB2 - KiB4)).toBeUndefined();
    expect(builder.unmap(0, 4 * MiB2)).toBe(MiB2 - KiB4);
    expect(builder.unmap(0, 4 * MiB2)).toBe(0);
    expect(builder.firstMapped(0, 2 ** 39)).toBeUndefined();
    // Now the whole range maps again.
    builder.map(0, 0x4000_0000, 4 * MiB2, RW);
    expect(builder.lookup(3 * MiB2)?.output).toBe(0x4060_0000);
  });

  it('unmapping a whole block clears its entry', () => {
    const { builder, memory } = setup({ levels: 3, outputBits: 40, stage: 1 });
    builder.map(MiB2, MiB2, MiB2, RW);
    const rootEntry = read64Big(memory, builder.root)!;
    const table = builder.format.address(Number(rootEntry >> 32n), Number(rootEntry & 0xffff_ffffn), 0);
    expect(read64Big(memory, table + 8)).toBe(toyEntry({ address: MiB2, r: true, w: true }));
    expect(builder.unmap(MiB2, MiB2)).toBe(MiB2);
    expect(read64Big(memory, table + 8)).toBe(0n);
  });
});

// ---- Walker: known answers for every fault kind ------------------------------------------------------------

describe('walkStage faults', () => {
  const options = { levels: 3, outputBits: 36, stage: 1 } as const;

  /** Root at POOL, one 2 MiB-level table at POOL+4K, one page table at POOL+8K mapping VA 0 → entry. */
  function handBuilt(leaf: bigint, opts: ToyFormatOptions = options, table1 = toyEntry({ address: POOL + 0x2000, table: true, r: true, w: true, x: true, u: true })) {
    const format = createToyFormat(opts);
    const memory = new SparseMemory().back(POOL, 3 * KiB4);
    write64Big(memory, POOL, toyEntry({ address: POOL + 0x1000, table: true, r: true, w: true, x: true, u: true }));
    write64Big(memory, POOL + 0x1000, table1);
    write64Big(memory, POOL + 0x2000, leaf);
    return { format, memory, run: (input: number, access: number) => walk(format, memory, POOL, input, access) };
  }

  it('translates with exactly `levels` reads', () => {
    const { run } = handBuilt(toyEntry({ address: 0x8_7654_3000, r: true, w: true, u: true, attr: 1 }));
    const r = run(0x123, Access.WRITE);
    expect(r.stop).toBe(WalkStop.OK);
    expect(r.state.output).toBe(0x8_7654_3123);
    expect(r.state.leafShift).toBe(12);
    expect(r.state.depth).toBe(2);
    expect(r.state.attrs).toBe(1);
    expect(r.state.entryAddress).toBe(POOL + 0x2000);
    expect(r.fetcher.reads).toBe(3);
  });

  it('translation: an invalid entry, a table at the last level, a leaf where none is allowed', () => {
    let r = handBuilt(0n).run(0, Access.READ);
    expect([r.stop, r.state.fault, r.state.depth]).toEqual([WalkStop.FAULT, 'translation', 2]);
    r = handBuilt(toyEntry({ address: 0x5000, table: true, r: true })).run(0, Access.READ);
    expect([r.stop, r.state.fault, r.state.depth]).toEqual([WalkStop.FAULT, 'translation', 2]);
    const block = toyEntry({ address: 0, r: true, u: true });
    r = handBuilt(0n, { ...options, noLeafDepths: [1] }, block).run(0, Access.READ);
    expect([r.stop, r.state.fault, r.state.depth, r.fetcher.reads]).toEqual([WalkStop.FAULT, 'translation', 1, 2]);
    r = handBuilt(0n, options, block).run(0x1f_f123, Access.READ);
    expect([r.stop, r.state.output, r.state.leafShift]).toEqual([WalkStop.OK, 0x1f_f123, 21]);
  });

  it('reserved: any of bits 62:52 set', () => {
    for (const bit of [52n, 57n, 62n]) {
      const r = handBuilt(toyEntry({ address: 0x5000, r: true, extra: 1n << bit })).run(0, Access.READ);
      expect([r.stop, r.state.fault, r.state.depth]).toEqual([WalkStop.FAULT, 'reserved', 2]);
    }
    // Ignored bits are not reserved.
    const ok = handBuilt(toyEntry({ address: 0x5000, r: true, u: true, extra: (1n << 63n) | (3n << 10n) })).run(0, Access.READ);
    expect(ok.stop).toBe(WalkStop.OK);
    // Reserved bits in a table entry fault at that depth.
    const t = handBuilt(0n, options, toyEntry({ address: POOL + 0x2000, table: true, extra: 1n << 60n })).run(0, Access.READ);
    expect([t.state.fault, t.state.depth]).toEqual(['reserved', 1]);
  });

  it('access: A clear faults without hardware update; with it the walker writes A back', () => {
    const leaf = toyEntry({ address: 0x5000, r: true, w: true, u: true, a: false });
    const r = handBuilt(leaf).run(0, Access.READ);
    expect([r.stop, r.state.fault, r.fetcher.updates]).toEqual([WalkStop.FAULT, 'access', 0]);
    const hw = handBuilt(leaf, { ...options, hwAccessFlag: true });
    const ok = hw.run(0, Access.READ);
    expect([ok.stop, ok.fetcher.updates]).toEqual([WalkStop.OK, 1]);
    expect(read64Big(hw.memory, POOL + 0x2000)).toBe(leaf | 64n);
    expect(hw.run(0, Access.READ).fetcher.updates).toBe(0); // already set
    // A permission fault does not set A.
    const ro = handBuilt(toyEntry({ address: 0x5000, r: true, u: true, a: false }), { ...options, hwAccessFlag: true });
    expect(ro.run(0, Access.WRITE).state.fault).toBe('permission');
    expect(read64Big(ro.memory, POOL + 0x2000)! & 64n).toBe(0n);
  });

  it('permission, with the missing right as detail', () => {
    const cases: [bigint, number, string][] = [
      [toyEntry({ address: 0x5000, r: true, u: true }), Access.WRITE, 'write'],
      [toyEntry({ address: 0x5000, w: true, u: true }), Access.READ, 'read'],
      [toyEntry({ address: 0x5000, r: true, w: true, u: true }), Access.EXEC | Access.READ, 'exec'],
      [toyEntry({ address: 0x5000, r: true, w: true, x: true }), Access.READ, 'user'],
    ];
    for (const [leaf, access, detail] of cases) {
      const r = handBuilt(leaf).run(0x10, access);
      expect([r.stop, r.state.fault, r.state.faultDetail, r.state.depth]).toEqual([WalkStop.FAULT, 'permission', detail, 2]);
    }
    // Supervisor pages are fine for privileged requests.
    const priv = handBuilt(toyEntry({ address: 0x5000, r: true, w: true })).run(0, Access.WRITE | Access.PRIV);
    expect(priv.stop).toBe(WalkStop.OK);
    expect(priv.state.permitted).toBe(Perm.PR | Perm.PW);
  });

  it('permission: a table entry without W (or U) restricts everything below it', () => {
    const leaf = toyEntry({ address: 0x5000, r: true, w: true, x: true, u: true });
    const noW = handBuilt(leaf, options, toyEntry({ address: POOL + 0x2000, table: true, r: true, x: true, u: true }));
    expect(noW.run(0, Access.READ).state.permitted).toBe(Perm.UR | Perm.UX | Perm.PR | Perm.PX);
    const w = noW.run(0, Access.WRITE);
    expect([w.state.fault, w.state.faultDetail]).toEqual(['permission', 'write']);
    const noU = handBuilt(leaf, options, toyEntry({ address: POOL + 0x2000, table: true, r: true, w: true, x: true }));
    expect(noU.run(0, Access.READ).state.faultDetail).toBe('user');
    expect(noU.run(0, Access.READ | Access.PRIV).stop).toBe(WalkStop.OK);
    // Stage 2 ignores U everywhere.
    const s2 = handBuilt(leaf, { ...options, stage: 2 }, toyEntry({ address: POOL + 0x2000, table: true, r: true, w: true, x: true }));
    expect(s2.run(0, Access.READ).state.permitted).toBe(Perm.ALL);
  });

  it('addressSize: an output or next-table address at or above 2^outputBits', () => {
    const big = handBuilt(toyEntry({ address: 2 ** 36, r: true, u: true })).run(0, Access.READ);
    expect([big.stop, big.state.fault, big.state.depth]).toEqual([WalkStop.FAULT, 'addressSize', 2]);
    expect(handBuilt(toyEntry({ address: 2 ** 36 - KiB4, r: true, u: true })).run(0, Access.READ).stop).toBe(WalkStop.OK);
    const table = handBuilt(0n, options, toyEntry({ address: 2 ** 40, table: true })).run(0, Access.READ);
    expect([table.state.fault, table.state.depth, table.fetcher.reads]).toEqual(['addressSize', 1, 2]);
  });

  it('inputRange: inputs outside [0, 2^inputBits), before any read', () => {
    const { run } = handBuilt(toyEntry({ address: 0x5000, r: true, u: true }));
    for (const input of [2 ** 39, 2 ** 52, -1, Number.NaN]) {
      const r = run(input, Access.READ);
      expect([r.stop, r.state.fault, r.fetcher.reads]).toEqual([WalkStop.FAULT, 'inputRange', 0]);
    }
    expect(run(2 ** 39 - 1, Access.READ).state.fault).toBe('translation');
  });

  it('externalAbort: a table pointer to unbacked memory stops with FETCH', () => {
    const { format, memory } = handBuilt(0n, options, toyEntry({ address: 0x7000_0000, table: true }));
    const state = new WalkState();
    const fetcher = new MemoryFetcher(memory);
    expect(walkStage(format, POOL, 0x2000, Access.READ, fetcher, state)).toBe(WalkStop.FETCH);
    expect(fetcher.aborted).toBe(true);
    expect(fetcher.abortAddress).toBe(0x7000_0000 + 2 * 8);
    expect(state.depth).toBe(2);
    // An unbacked root aborts on the first read.
    const f2 = new MemoryFetcher(memory);
    expect(walkStage(format, 0, 0, Access.READ, f2, new WalkState())).toBe(WalkStop.FETCH);
    expect(f2.abortAddress).toBe(0);
  });
});

// ---- Walker termination on garbage ---------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32) to fill memory from one fast-check seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('walkStage terminates on anything', () => {
  it('a table entry pointing at its own table: exactly `levels` reads, then a translation fault', () => {
    for (const levels of [2, 3, 4]) {
      const format = createToyFormat({ levels, outputBits: 40, stage: 1 });
      const memory = new SparseMemory().back(0, KiB4);
      write64Big(memory, 0, toyEntry({ address: 0, table: true, r: true, w: true, x: true, u: true }));
      const r = walk(format, memory, 0, 0, Access.READ);
      expect([r.stop, r.state.fault, r.state.depth, r.fetcher.reads]).toEqual([WalkStop.FAULT, 'translation', levels - 1, levels]);
    }
  });

  it('even a format that calls every entry a table cannot make the walker read past the last level', () => {
    const toy = createToyFormat({ levels: 3, outputBits: 40, stage: 1 });
    const alwaysTable: PageTableFormat = {
      ...toy,
      decode: (_hi, _lo, _depth, _access, state) => {
        state.next = 0;
        return EntryKind.TABLE;
      },
    };
    const memory = new SparseMemory().back(0, KiB4);
    const r = walk(alwaysTable, memory, 0, 0x1234_5678, Access.READ);
    expect([r.stop, r.state.fault, r.fetcher.reads]).toEqual([WalkStop.FAULT, 'translation', 3]);
  });

  it('random memory contents (self-references, cycles, garbage): never throws, at most `levels` reads', () => {
    const PAGES = 4;
    const configs = fc.record({
      levels: fc.integer({ min: 2, max: 4 }),
      rootIndexBits: fc.integer({ min: 9, max: 10 }),
      outputBits: fc.integer({ min: 20, max: 52 }),
      stage: fc.constantFrom(1 as const, 2 as const),
      hwAccessFlag: fc.boolean(),
      noLeafDepths: fc.subarray([0, 1, 2]),
    });
    const kinds: FaultKind[] = ['translation', 'reserved', 'access', 'permission', 'addressSize'];
    fc.assert(
      fc.property(configs, fc.nat(), fc.array(fc.nat({ max: 2 ** 31 }), { minLength: 1, maxLength: 20 }), (options, seed, inputs) => {
        const format = createToyFormat(options);
        const rand = prng(seed);
        const memory = new SparseMemory().back(0, PAGES * 2 * KiB4);
        const table = () => Math.floor(rand() * PAGES) * 2 * KiB4;
        for (let i = 0; i < PAGES * 2 * 512; i++) {
          const pick = rand();
          const hi = Math.floor(rand() * 2 ** 32);
          const lo = Math.floor(rand() * 2 ** 32);
          let v: bigint;
          if (pick < 0.15) v = 0n;
          else if (pick < 0.3) v = (BigInt(hi) << 32n) | BigInt(lo);
          else if (pick < 0.7) v = toyEntry({ address: table(), table: true, r: rand() < 0.9, w: rand() < 0.9, x: true, u: rand() < 0.9 });
          else if (pick < 0.75) v = toyEntry({ address: 0x4000_0000, table: true }); // unbacked
          else v = toyEntry({ address: BigInt(hi & 0xfffff) << 32n | BigInt(lo), r: true, w: rand() < 0.5, u: rand() < 0.5, a: rand() < 0.5 }) | (rand() < 0.1 ? 1n << 55n : 0n);
          write64Big(memory, i * 8, v);
        }
        for (const raw of inputs) {
          const input = raw * 2 ** 17 + (raw % 2 ** 17);
          const access = 1 + (raw % 15);
          for (const root of [0, table()]) {
            const r = walk(format, memory, root, input % 2 ** format.inputBits, access);
            expect(r.fetcher.reads).toBeLessThanOrEqual(format.levels);
            expect(r.fetcher.updates).toBeLessThanOrEqual(1);
            if (r.stop === WalkStop.OK) {
              expect(format.shifts).toContain(r.state.leafShift);
              expect(r.state.output).toBeLessThan(2 ** format.outputBits);
            } else if (r.stop === WalkStop.FAULT) {
              expect(kinds).toContain(r.state.fault);
            } else {
              expect(memory.isBacked(r.fetcher.inner.abortAddress, 8)).toBe(false);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

// ---- Property: map → walk agreement with a slow bigint reference ---------------------------------------------

interface RefMapping {
  iova: bigint;
  pa: bigint;
  size: bigint;
  prot: { read: boolean; write: boolean; exec: boolean; user: boolean };
  /** Leaf chunks `[start, start + 2^shift)` as the greedy largest-aligned-block policy lays them out. */
  chunks: { start: bigint; shift: number }[];
}

type RefResult = { ok: true; output: bigint; shift: number } | { ok: false; fault: FaultKind; detail?: string };

/** Leaf sizes a toy format allows, largest first (independent of the format object). */
function refLeafShifts(o: ToyFormatOptions): number[] {
  const out: number[] = [];
  for (let d = 0; d < o.levels; d++) if (!(o.noLeafDepths ?? []).includes(d)) out.push(12 + 9 * (o.levels - 1 - d));
  return out;
}

function refChunks(o: ToyFormatOptions, iova: bigint, pa: bigint, size: bigint): { start: bigint; shift: number }[] {
  const shifts = refLeafShifts(o);
  const chunks: { start: bigint; shift: number }[] = [];
  let off = 0n;
  while (off < size) {
    const shift = shifts.find((s) => {
      const span = 1n << BigInt(s);
      return (iova + off) % span === 0n && (pa + off) % span === 0n && size - off >= span;
    })!;
    chunks.push({ start: iova + off, shift });
    off += 1n << BigInt(shift);
  }
  return chunks;
}

function refTranslate(o: ToyFormatOptions, maps: RefMapping[], input: bigint, access: number): RefResult {
  const inputBits = 12 + 9 * (o.levels - 1) + (o.rootIndexBits ?? 9);
  if (input < 0n || input >= 1n << BigInt(inputBits)) return { ok: false, fault: 'inputRange' };
  const m = maps.find((x) => input >= x.iova && input < x.iova + x.size);
  if (!m) return { ok: false, fault: 'translation' };
  const user = o.stage === 2 || m.prot.user;
  const priv = (access & Access.PRIV) !== 0;
  if (!priv && !user) return { ok: false, fault: 'permission', detail: 'user' };
  if (access & Access.READ && !m.prot.read) return { ok: false, fault: 'permission', detail: 'read' };
  if (access & Access.WRITE && !m.prot.write) return { ok: false, fault: 'permission', detail: 'write' };
  if (access & Access.EXEC && !m.prot.exec) return { ok: false, fault: 'permission', detail: 'exec' };
  const chunk = m.chunks.find((c) => input >= c.start && input < c.start + (1n << BigInt(c.shift)))!;
  return { ok: true, output: m.pa + (input - m.iova), shift: chunk.shift };
}

const SLOT = 8n << 20n; // each mapping lives in its own 8 MiB slot

const mappingArb = (slots: number, outputBits: number) =>
  fc.record({
    slot: fc.nat({ max: slots - 1 }),
    offsetPages: fc.oneof(fc.constant(0), fc.constant(512), fc.nat({ max: 1024 })),
    pages: fc.oneof(fc.constant(512), fc.integer({ min: 1, max: 1024 })),
    paPage: fc.oneof(
      fc.nat({ max: 2 ** (outputBits - 21) - 2 }).map((n) => n * 512),
      fc.nat({ max: 2 ** (outputBits - 12) - 1025 }),
    ),
    read: fc.boolean(),
    write: fc.boolean(),
    exec: fc.boolean(),
    user: fc.boolean(),
  });

describe('property: what the builder maps is what the walker finds', () => {
  const configs: ToyFormatOptions[] = [
    { levels: 3, outputBits: 40, stage: 1 },
    { levels: 4, rootIndexBits: 10, outputBits: 48, stage: 1, noLeafDepths: [0] },
    { levels: 2, outputBits: 34, stage: 2 },
  ];
  it.each(configs)('%o', (options) => {
    const inputBits = 12 + 9 * (options.levels - 1) + (options.rootIndexBits ?? 9);
    const slots = Math.min(2 ** (inputBits - 23), 4096);
    const accessArb = fc.constantFrom(Access.READ, Access.WRITE, Access.EXEC, Access.READ | Access.WRITE, Access.READ | Access.PRIV, Access.WRITE | Access.PRIV, Access.EXEC | Access.PRIV);
    const queryArb = fc.record({ sel: fc.nat({ max: 3 }), idx: fc.nat(), frac: fc.double({ min: 0, max: 1, noNaN: true }), access: accessArb });
    fc.assert(
      fc.property(
        fc.uniqueArray(mappingArb(slots, options.outputBits), { minLength: 1, maxLength: 6, selector: (m) => m.slot }),
        fc.array(queryArb, { minLength: 1, maxLength: 40 }),
        (raw, queries) => {
          const { format, memory, builder } = setup(options);
          const maps: RefMapping[] = raw.map((r) => {
            const iova = BigInt(r.slot) * SLOT + BigInt(r.offsetPages) * 4096n;
            const pa = BigInt(r.paPage) * 4096n;
            const size = BigInt(r.pages) * 4096n;
            const prot = { read: r.read, write: r.write, exec: r.exec, user: r.user };
            builder.map(Number(iova), Number(pa), Number(size), prot);
            return { iova, pa, size, prot, chunks: refChunks(options, iova, pa, size) };
          });
          for (const q of queries) {
            const m = maps[q.idx % maps.length]!;
            const input =
              q.sel === 0 ? m.iova + BigInt(Math.floor(q.frac * Number(m.size)))
              : q.sel === 1 ? (q.frac < 0.5 ? m.iova - 1n : m.iova + m.size)
              : q.sel === 2 ? BigInt(Math.floor(q.frac * 2 ** inputBits))
              : (1n << BigInt(inputBits)) + BigInt(Math.floor(q.frac * 2 ** 20));
            const expected = refTranslate(options, maps, input, q.access);
            const r = walk(format, memory, builder.root, Number(input), q.access);
            if (expected.ok) {
              expect(r.stop).toBe(WalkStop.OK);
              expect(BigInt(r.state.output)).toBe(expected.output);
              expect(r.state.leafShift).toBe(expected.shift);
              expect(r.fetcher.reads).toBe(options.levels - (expected.shift - 12) / 9); // leaf depth + 1
              expect(builder.iovaToPhys(Number(input))).toBe(Number(expected.output));
            } else {
              expect(r.stop).toBe(WalkStop.FAULT);
              expect(r.state.fault).toBe(expected.fault);
              if (expected.detail) expect(r.state.faultDetail).toBe(expected.detail);
              if (expected.fault === 'translation') expect(builder.iovaToPhys(Number(input))).toBeUndefined();
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
