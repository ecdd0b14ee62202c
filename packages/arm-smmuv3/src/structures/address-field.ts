/**
 * Exact reads of address fields as JS numbers. An address field such as `S1ContextPtr` (bits [55:6] holding
 * address[55:6]) is wider than 53 bits once shifted, so the declarative layouts declare it `big`; but the
 * shifted value has at most 53 significant bits (the field width), so `raw × 2^shift` is exact as a double.
 * Hot paths use these readers instead of building a `bigint`.
 * @packageDocumentation
 */
import { getField } from '@viommu/core';

/**
 * Reads the `width`-bit field at absolute bit `lo` and returns it shifted left by `shift` bits.
 * Exact whenever `width` ≤ 53, whatever the shift (the low `shift` bits are zero).
 */
export function readAddressField(words: ArrayLike<number>, lo: number, width: number, shift: number): number {
  return getField(words, lo, width) * 2 ** shift;
}

/** True when `address` (a non-negative integer) has a bit set at or above bit `bits`. */
export function exceedsBits(address: number, bits: number): boolean {
  return address >= 2 ** bits;
}
