/**
 * VMSAv8-64 translation granules ([ARMARM] D8.2). A granule is given as log2 of its size in bytes —
 * 12 (4 KB), 14 (16 KB) or 16 (64 KB) — the same representation as the structures' `GranuleBits`
 * (`granuleFromTg0` / `granuleFromTg1` decode CD.TG0 / TG1 / STE.S2TG into it).
 * @packageDocumentation
 */

/** log2 of a translation granule size: 12 = 4 KB, 14 = 16 KB, 16 = 64 KB. */
export type VmsaGranuleBits = 12 | 14 | 16;

/** The three granules, smallest first. */
export const VMSA_GRANULE_BITS: readonly VmsaGranuleBits[] = [12, 14, 16];

/** True when `value` is 12, 14 or 16. */
export function isVmsaGranuleBits(value: number): value is VmsaGranuleBits {
  return value === 12 || value === 14 || value === 16;
}

/** Index bits resolved per level, `stride` = grainsize − 3 (descriptors are 8 bytes): 9, 11 or 13. */
export function vmsaStride(granuleBits: VmsaGranuleBits): number {
  return granuleBits - 3;
}

/** "4K", "16K" or "64K", for names and messages. */
export function vmsaGranuleName(granuleBits: VmsaGranuleBits): string {
  return `${2 ** (granuleBits - 10)}K`;
}
