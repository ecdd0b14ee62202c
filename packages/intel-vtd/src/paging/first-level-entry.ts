/**
 * Bits of a VT-d first-level paging entry — IA-32e (4- and 5-level) paging as the VT-d spec §3.6 and §9.7
 * define it for scalable-mode first-level and nested translation — and the canonical-address check.
 * @packageDocumentation
 */

/** Low-word bits of a first-level entry (FL-PML5E … FL-PTE), VT-d spec §9.7. */
export const FL = {
  /** P [0]: present. Clear: the entry maps nothing (fault 0x71). */
  P: 1 << 0,
  /** R/W [1]: writes allowed (for supervisor requests only when WPE = 1). Accumulated over every level. */
  RW: 1 << 1,
  /** U/S [2]: user requests allowed. Accumulated over every level. */
  US: 1 << 2,
  /** PWT [3]: page-level write-through (memory type, with PCD and PAT). */
  PWT: 1 << 3,
  /** PCD [4]: page-level cache disable. */
  PCD: 1 << 4,
  /** A [5]: accessed; set by hardware in every entry a walk uses. */
  A: 1 << 5,
  /** D [6]: dirty; set by hardware in the leaf on a write. Ignored in non-leaf entries. */
  D: 1 << 6,
  /** PS [7]: page size in a PDPE (1 GiB, with CAP.FL1GP) or PDE (2 MiB); reserved in PML4E/PML5E; PAT in a PTE. */
  PS: 1 << 7,
  /** PAT [7] of a 4 KiB PTE (the same bit as PS in the upper levels). */
  PAT_PTE: 1 << 7,
  /** G [8]: global (CPU use); VT-d ignores it — first-level translations are always tagged by PASID. */
  G: 1 << 8,
  /** EA [10]: extended accessed; set with A when the PASID entry's EAFE = 1, ignored otherwise. */
  EA: 1 << 10,
  /** PAT [12] of a 2 MiB or 1 GiB leaf. */
  PAT_LARGE: 1 << 12,
  /** Bits 20:13 of a 2 MiB leaf: reserved. */
  RESERVED_2M: 0x001f_e000,
  /** Bits 29:13 of a 1 GiB leaf: reserved. */
  RESERVED_1G: 0x3fff_e000,
} as const;

/** High-word bits of a first-level entry. */
export const FL_HI = {
  /** XD [63]: execute disable (with NXE = 1); a reserved bit when NXE = 0. */
  XD: 0x8000_0000,
} as const;

/**
 * True when the 64-bit input address `hi:lo` is canonical for `levels`-level first-level paging: bits 63:N
 * all equal bit N−1, with N = 48 (4-level) or 57 (5-level) — VT-d spec §3.6. A request whose address is not
 * canonical is not walked: the device model reports fault reason 0x80 (SGN.1).
 */
export function isCanonical(hi: number, _lo: number, levels: 4 | 5): boolean {
  // Only bits 63:47 (or 63:56) decide, and they all sit in the high word.
  const n = levels === 5 ? 57 : 48;
  const upper = (hi >>> 0) >>> (n - 1 - 32); // bits 63:N−1 of the address, bit N−1 lowest
  const width = 64 - (n - 1);
  const ones = width >= 32 ? 0xffff_ffff : (1 << width) - 1;
  return upper === 0 || upper === ones >>> 0;
}

/**
 * The part of a canonical first-level input address that the page tables index: bits N−1:0 (N = 48 or 57)
 * as a number, to pass to the walker after {@link isCanonical} succeeded. Exact below 2^53; a 5-level
 * address with bits 56:53 set loses its lowest bits (core's walker takes JS numbers), which only matters
 * for the page offset.
 */
export function firstLevelWalkInput(hi: number, lo: number, levels: 4 | 5): number {
  const n = levels === 5 ? 57 : 48;
  const hiBits = (hi >>> 0) & ((1 << (n - 32)) - 1);
  return hiBits * 0x1_0000_0000 + (lo >>> 0);
}
