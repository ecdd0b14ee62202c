/**
 * A {@link TableAllocator} wrapper that remembers every block it hands out, so a host can say exactly which
 * memory the SMMU and its driver own (stream table, queues, stage-2 tables, host CD tables) — what the
 * testkit's isolation property needs.
 * @packageDocumentation
 */
import type { TableAllocator } from '@viommu/core';

/** A byte range `[base, base + size)`. */
export interface MemoryRange {
  /** First byte. */
  base: number;
  /** Length in bytes. */
  size: number;
}

/** Records the blocks an allocator hands out (and forgets freed ones). */
export class RecordingAllocator implements TableAllocator {
  private readonly blocks = new Map<number, number>();

  /** @param inner the allocator whose blocks are recorded. */
  constructor(
    /** The allocator wrapped. */
    readonly inner: TableAllocator,
  ) {}

  allocate(size: number, align?: number): number {
    const address = this.inner.allocate(size, align);
    this.blocks.set(address, size);
    return address;
  }

  free(address: number, size: number): void {
    this.blocks.delete(address);
    this.inner.free(address, size);
  }

  /** The live blocks, in address order. */
  ranges(): MemoryRange[] {
    return [...this.blocks].map(([base, size]) => ({ base, size })).sort((a, b) => a.base - b.base);
  }
}
