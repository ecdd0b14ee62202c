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

// The hand-built layout both levels' tests use: level-5 table 0x1000 (5-level only), level 4 0x2000, level 3
// 0x3000, level 2 0x4000, level 1 0x5000. The input 0x80_4020_1abc = 2^39 + 2^30 + 2^21 + 2^12 + 0xabc indexes
// entry 1 at every level, offset 0xabc.
/** The test input address: entry 1 at every level, offset 0xabc. */
export const VA = 0x80_4020_1abc;
/** Level-5 table (PML5 / SL-PML5). */
export const PML5 = 0x1000;
/** Level-4 table (PML4 / SL-PML4). */
export const PML4 = 0x2000;
/** Level-3 table (PDPT). */
export const PDPT = 0x3000;
/** Level-2 table (PD). */
export const PD = 0x4000;
/** Level-1 table (PT). */
export const PT = 0x5000;

/** A 4-level chain (PML4 root) to a 4 KiB page at `pa`, `flags` on every entry, index 1 at every level. */
export function chain4(mem: PhysicalMemory, pa: bigint, flags: bigint): void {
  put(mem, PML4, 1, BigInt(PDPT) | flags);
  put(mem, PDPT, 1, BigInt(PD) | flags);
  put(mem, PD, 1, BigInt(PT) | flags);
  put(mem, PT, 1, pa | flags);
}
