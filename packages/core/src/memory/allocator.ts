import { IommuError } from '../errors';
import { isAligned } from '../u64';
import type { PhysicalMemory } from './physical-memory';

/** Hands out zeroed, aligned blocks of memory for tables (what a driver's page allocator does). */
export interface TableAllocator {
  /**
   * Allocates `size` bytes aligned to `align` bytes (a power of two), zeroed.
   * @throws IommuError `OUT_OF_MEMORY` when the pool is exhausted.
   */
  allocate(size: number, align?: number): number;
  /** Returns a block to the pool (optional bookkeeping; a bump allocator may ignore it). */
  free(address: number, size: number): void;
}

/**
 * A bump allocator over `[base, base + size)` of a memory, with a free list of exact-size blocks so that
 * freed tables are reused. The memory must already be backed over the pool.
 */
export class PoolAllocator implements TableAllocator {
  private next: number;
  private readonly freeBlocks = new Map<number, number[]>();

  constructor(
    /** The memory the pool lives in (already backed over the pool). */
    readonly memory: PhysicalMemory,
    /** First byte of the pool. */
    readonly base: number,
    /** Size of the pool in bytes. */
    readonly size: number,
  ) {
    this.next = base;
  }

  /** Bytes handed out so far (high-water mark). */
  get used(): number {
    return this.next - this.base;
  }

  allocate(size: number, align = 4096): number {
    if (!Number.isSafeInteger(size) || size <= 0 || align <= 0 || (align & (align - 1)) !== 0) {
      throw new IommuError('ARGUMENT', `bad allocation size=${size} align=${align}`);
    }
    const reused = this.freeBlocks.get(size)?.find((a) => isAligned(a, Math.log2(align)));
    let address: number;
    if (reused !== undefined) {
      const list = this.freeBlocks.get(size)!;
      list.splice(list.indexOf(reused), 1);
      address = reused;
    } else {
      address = Math.ceil(this.next / align) * align;
      if (address + size > this.base + this.size) {
        throw new IommuError('OUT_OF_MEMORY', `table pool exhausted allocating ${size} bytes`);
      }
      this.next = address + size;
    }
    if (!this.memory.writeBytes(address, new Uint8Array(size))) {
      throw new IommuError('MEMORY_UNBACKED', `allocator pool is not backed at 0x${address.toString(16)}`);
    }
    return address;
  }

  free(address: number, size: number): void {
    const list = this.freeBlocks.get(size) ?? [];
    list.push(address);
    this.freeBlocks.set(size, list);
  }
}
