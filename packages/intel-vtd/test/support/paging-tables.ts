/** Hand-built page tables for the paging tests: a 1 MiB backed memory and 64-bit entry access by table index. */
import { expect } from 'vitest';
import { SparseMemory, read64Big, write64Big, type PhysicalMemory } from '@viommu/core';

/** A fresh memory with [0, 1 MiB) backed. */
export function memory(): SparseMemory {
  return new SparseMemory().back(0, 0x10_0000);
}

/** Writes entry `index` of the table at `table`. */
export function put(mem: PhysicalMemory, table: number, index: number, value: bigint): void {
  expect(write64Big(mem, table + index * 8, value)).toBe(true);
}

/** Reads entry `index` of the table at `table`. */
export function get(mem: PhysicalMemory, table: number, index: number): bigint {
  return read64Big(mem, table + index * 8)!;
}

/** A 4-level chain (root at `tables[0]`) to a 4 KiB page at `pa`, `flags` on every entry, index 1 at every level. */
export function chain4(mem: PhysicalMemory, tables: readonly [number, number, number, number], pa: bigint, flags: bigint): void {
  put(mem, tables[0], 1, BigInt(tables[1]) | flags);
  put(mem, tables[1], 1, BigInt(tables[2]) | flags);
  put(mem, tables[2], 1, BigInt(tables[3]) | flags);
  put(mem, tables[3], 1, pa | flags);
}
