import { describe, expect, it } from 'vitest';
import { PageTableBuilder, PoolAllocator, SparseMemory } from '../src/index';
import { createToyFormat } from './support/toy-format';

describe('splitting a block when the next level allows no leaves', () => {
  it('unmapping one page of a 1 GiB block with no 2 MiB level keeps every other page mapped', () => {
    const format = createToyFormat({ levels: 3, outputBits: 40, stage: 2, noLeafDepths: [1] });
    const memory = new SparseMemory().back(0, 1 << 24);
    const builder = new PageTableBuilder(format, memory, new PoolAllocator(memory, 0, 1 << 24));
    const GiB = 2 ** 30;
    builder.map(GiB, 8 * GiB, GiB, { read: true, write: true });
    expect(builder.lookup(GiB)?.shift).toBe(30);
    const hole = GiB + 0x1234_5000;
    expect(builder.unmap(hole, 0x1000)).toBe(0x1000);
    expect(builder.iovaToPhys(hole)).toBeUndefined();
    for (const probe of [GiB, GiB + 0x1000, hole - 0x1000, hole + 0x1000, GiB + 0x20_0000, 2 * GiB - 0x1000]) {
      expect(builder.iovaToPhys(probe), `0x${probe.toString(16)}`).toBe(probe - GiB + 8 * GiB);
      expect(builder.lookup(probe)?.shift).toBe(12);
    }
  });
});
