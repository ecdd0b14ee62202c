/**
 * Stage-1 input checks on a 64-bit VA given as halves (§3.4, §3.4.1; [ARMARM] D8.2): VA[55] selects
 * TTB0 or TTB1, and the VA is inside the selected half only when bits [AddrTop : inputBits] all equal
 * VA[55] — AddrTop = 55 with Top Byte Ignore (CD.TBIx), else 63.
 * @packageDocumentation
 */
import { mask32 } from '@viommu/core';

/** True when bits [top : from] of the 64-bit value (halves) are all `bit` (0 or 1). `from` ≤ `top` ≤ 63. */
export function bitsAllEqual(hi: number, lo: number, from: number, top: number, bit: number): boolean {
  for (let b = from; b <= top; ) {
    const inHi = b >= 32;
    const word = inHi ? hi : lo;
    const pos = b & 31;
    const end = Math.min(top, inHi ? 63 : 31);
    const width = end - b + 1;
    const field = (word >>> pos) & mask32(width);
    if (field !== (bit ? mask32(width) : 0)) return false;
    b = end + 1;
  }
  return true;
}

/** VA[55], the TTB1 select bit. */
export function selectsTtb1(hi: number): boolean {
  return ((hi >>> 23) & 1) === 1;
}

/**
 * True when the VA is inside a TTBx half of `inputBits` bits (64 − TxSZ): VA[addrTop : inputBits] all
 * equal VA[55], with addrTop 55 under TBI and 63 otherwise (§3.4.1).
 */
export function vaInRange(hi: number, lo: number, inputBits: number, tbi: boolean): boolean {
  return bitsAllEqual(hi, lo, inputBits, tbi ? 55 : 63, selectsTtb1(hi) ? 1 : 0);
}

/** The walk input: VA[inputBits − 1 : 0] as a number (inputBits ≤ 52). */
export function walkInput(hi: number, lo: number, inputBits: number): number {
  if (inputBits <= 32) return (lo & mask32(inputBits)) >>> 0;
  return (hi & mask32(inputBits - 32)) * 0x1_0000_0000 + (lo >>> 0);
}
