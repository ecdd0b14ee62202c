import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PoolAllocator, SparseMemory, type MappedLeaf } from '@viommu/core';
import {
  addressTlbiCommands,
  chooseStage2Sl0,
  decodeCommand,
  DEFAULT_SMMU_CAPABILITIES,
  levelOfLeaf,
  runsOfLeaves,
  SmmuPageTable,
  tlbiRange,
  type Command,
} from '../src/index';

function table(stage: 1 | 2, inputBits = 48) {
  const mem = new SparseMemory().back(0x10_0000, 0x100_0000);
  const alloc = new PoolAllocator(mem, 0x10_0000, 0x100_0000);
  return new SmmuPageTable(mem, alloc, { stage, inputBits, outputBits: 48, oasBits: 48 });
}

describe('io-pgtable', () => {
  it('chooses the stage-2 start level Linux does (concatenating up to 16 tables)', () => {
    // 4 KB granule: 48-bit IPA starts at level 0 (SL0 = 2); 40 bits at level 1 with 2 tables (SL0 = 1);
    // 42 bits at level 1 with 8 tables; 44 bits cannot concatenate 32 tables, so level 0.
    expect(chooseStage2Sl0(12, 16, 48)).toBe(2);
    expect(chooseStage2Sl0(12, 24, 48)).toBe(1);
    expect(chooseStage2Sl0(12, 22, 48)).toBe(1);
    expect(chooseStage2Sl0(12, 20, 48)).toBe(2);
    // 32-bit IPA: level 2 with 4 concatenated tables (2^11 entries) (SL0 = 0).
    expect(chooseStage2Sl0(12, 32, 48)).toBe(0);
    const t = table(2, 40);
    expect(t.sl0).toBe(1);
    expect(t.format.levels).toBe(3);
    expect(t.format.indexBits[0]).toBe(10);
  });

  it('maps with the largest blocks and reports the leaves an unmap removed', () => {
    const t = table(2);
    t.map(0x4000_0000, 0x8000_0000, 0x4000_0000 + 0x20_0000 + 0x1000, { read: true, write: true });
    expect(t.builder.lookup(0x4000_0000)).toMatchObject({ shift: 30, depth: 1 });
    expect(t.builder.lookup(0x8000_0000)).toMatchObject({ shift: 21, depth: 2 });
    expect(t.builder.lookup(0x8020_0000)).toMatchObject({ shift: 12, depth: 3 });
    const { unmapped, leaves } = t.unmap(0x8000_0000, 0x20_1000);
    expect(unmapped).toBe(0x20_1000);
    expect(leaves.map((l) => [l.input, l.shift])).toEqual([
      [0x8000_0000, 21],
      [0x8020_0000, 12],
    ]);
    expect(t.iovaToPhys(0x4000_1234)).toBe(0x8000_1234);
    expect(t.iovaToPhys(0x8000_0000)).toBeUndefined();
  });

  it('stage-1 tables take the CD geometry: T0SZ 16, 4 KB granule, start level 0', () => {
    const t = table(1);
    expect(t.tsz).toBe(16);
    expect(t.format.archLevels).toEqual([0, 1, 2, 3]);
  });
});

function coverage(cmds: Uint32Array[]): { start: bigint; length: bigint | undefined; ttl: number }[] {
  return cmds.map((w) => {
    const c = decodeCommand(w, DEFAULT_SMMU_CAPABILITIES) as Command;
    expect(c.illegal).toBe(false);
    const f = c.fields as Record<string, number | bigint>;
    const range = tlbiRange({ TG: Number(f['TG']), NUM: Number(f['NUM']), SCALE: Number(f['SCALE']), Address: f['Address']! });
    return { start: BigInt(f['Address']!), length: range?.length, ttl: Number(f['TTL']) };
  });
}

describe('TLB invalidation commands', () => {
  const t = { name: 'CMD_TLBI_NH_VA' as const, vmid: 3, asid: 9 };

  it('without range support: one TG = 0 command per leaf', () => {
    const cmds = addressTlbiCommands(t, [{ start: 0x10_0000, size: 0x3000, leafShift: 12, level: 3 }], false, true)!;
    expect(coverage(cmds)).toEqual([
      { start: 0x10_0000n, length: undefined, ttl: 0 },
      { start: 0x10_1000n, length: undefined, ttl: 0 },
      { start: 0x10_2000n, length: undefined, ttl: 0 },
    ]);
  });

  it('with range support: (NUM + 1) × 2^SCALE pages and the TTL of the leaves', () => {
    // 2 MB block: 512 pages = 1 × 2^9, TTL 2.
    const [block] = coverage(addressTlbiCommands(t, [{ start: 0x20_0000, size: 0x20_0000, leafShift: 21, level: 2 }], true, true)!);
    expect(block).toEqual({ start: 0x20_0000n, length: 0x20_0000n, ttl: 2 });
    // 513 pages: 1 page, then 512.
    const split = coverage(addressTlbiCommands(t, [{ start: 0, size: 513 * 4096, leafShift: 12, level: 3 }], true, true)!);
    expect(split).toEqual([
      { start: 0n, length: 4096n, ttl: 3 },
      { start: 4096n, length: 512n * 4096n, ttl: 3 },
    ]);
    // One page without a level hint cannot be a range (NUM = SCALE = TTL = 0 is Reserved): TG = 0.
    const [one] = coverage(addressTlbiCommands(t, [{ start: 0x5000, size: 4096, leafShift: 12, level: undefined }], true, false)!);
    expect(one).toEqual({ start: 0x5000n, length: undefined, ttl: 0 });
  });

  it('range commands cover exactly the run (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 24 }), fc.integer({ min: 1, max: 5000 }), fc.boolean(), (page, pages, leaf) => {
        const run = { start: page * 4096, size: pages * 4096, leafShift: 12, level: leaf ? 3 : undefined };
        const cmds = addressTlbiCommands(t, [run], true, leaf);
        if (!cmds) return; // more than MAX_TLBI_OPS: the caller widens
        let cursor = BigInt(run.start);
        for (const c of coverage(cmds)) {
          expect(c.start).toBe(cursor);
          cursor += c.length ?? 4096n;
        }
        expect(cursor).toBe(BigInt(run.start + run.size));
      }),
      { numRuns: 200 },
    );
  });

  it('gives up above 256 commands so the caller invalidates the context instead', () => {
    expect(addressTlbiCommands(t, [{ start: 0, size: 257 * 4096, leafShift: 12 }], false, true)).toBeUndefined();
  });

  it('groups adjacent leaves of one size into runs', () => {
    const leaf = (input: number, shift: number): MappedLeaf => ({ input, output: 0, shift, depth: 0 });
    expect(runsOfLeaves([leaf(0, 12), leaf(0x1000, 12), leaf(0x20_0000, 21), leaf(0x40_0000, 21), leaf(0x80_0000, 12)])).toEqual([
      { start: 0, size: 0x2000, leafShift: 12, level: 3 },
      { start: 0x20_0000, size: 0x40_0000, leafShift: 21, level: 2 },
      { start: 0x80_0000, size: 0x1000, leafShift: 12, level: 3 },
    ]);
    expect([levelOfLeaf(30), levelOfLeaf(13)]).toEqual([1, undefined]);
  });
});
