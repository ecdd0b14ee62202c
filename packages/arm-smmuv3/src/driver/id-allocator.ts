/**
 * Allocation of the small integer tags a driver hands out: VMIDs (STE.S2VMID) and ASIDs (CD.ASID), as the
 * Linux driver keeps them in an IDA. Tag 0 is reserved by default (Linux keeps ASID 0 and VMID 0 for
 * itself), and the width follows SMMU_IDR0.ASID16 / VMID16 (16 bits, else 8) [SPEC 6.3.1, 5.2, 5.4].
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';

/**
 * Hands out integers in `[first, 2^bits)` round-robin (the next free one after the last handed out), so a
 * freed tag is reused as late as possible.
 */
export class IdAllocator {
  private readonly used = new Set<number>();
  private cursor: number;

  /**
   * @param what what the ids are, for messages (`VMID`, `ASID`).
   * @param bits the id width: 16 with IDR0.VMID16 / ASID16, else 8.
   * @param first the lowest id handed out (ids below it are reserved).
   */
  constructor(
    readonly what: string,
    readonly bits: number,
    readonly first = 1,
  ) {
    this.cursor = first;
  }

  /** Number of ids in use. */
  get size(): number {
    return this.used.size;
  }

  /** Allocates the next free id. @throws IommuError `OUT_OF_MEMORY` when every id is taken. */
  allocate(): number {
    const limit = 2 ** this.bits;
    for (let n = 0; n < limit - this.first; n++) {
      const id = this.first + ((this.cursor - this.first + n) % (limit - this.first));
      if (!this.used.has(id)) {
        this.used.add(id);
        this.cursor = id + 1 >= limit ? this.first : id + 1;
        return id;
      }
    }
    throw new IommuError('OUT_OF_MEMORY', `every ${this.bits}-bit ${this.what} is in use`);
  }

  /** Returns an id to the pool. */
  free(id: number): void {
    this.used.delete(id);
  }

  /** True when `id` is allocated. */
  has(id: number): boolean {
    return this.used.has(id);
  }
}
