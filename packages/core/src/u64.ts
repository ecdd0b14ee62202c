/**
 * 64-bit values as two unsigned 32-bit halves. Hot paths never build a `bigint`: they read the halves with
 * `DataView.getUint32(…, true)` and combine them only when the result fits a JS number exactly (below 2^53,
 * which every physical address up to 52 bits does). `bigint` appears only at the API edges.
 * @packageDocumentation
 */

/** 2^32, the weight of the high half. */
export const TWO_POW_32 = 0x1_0000_0000;

// 2^n for n = 0..64: V8 compiles `2 ** n` with a variable `n` to a Math.pow call, which costs as much as a
// memory read in the per-translation paths that use these helpers (alignDown on every IOTLB fill).
const POW2 = Float64Array.from({ length: 65 }, (_, n) => 2 ** n);

/** 2^n: from the table for integers 0..64, else `2 ** n` (the same value either way). */
function pow2(n: number): number {
  return POW2[n] ?? 2 ** n;
}

/** Largest integer a JS number represents exactly, 2^53 − 1. */
export const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/** A 64-bit value split into halves, both unsigned 32-bit integers. */
export interface U64 {
  /** Bits 63:32. */
  hi: number;
  /** Bits 31:0. */
  lo: number;
}

/** The low half (bits 31:0) of a non-negative integer number. */
export function lowHalf(value: number): number {
  return value >>> 0;
}

/** The high half (bits 63:32) of a non-negative integer number below 2^64. */
export function highHalf(value: number): number {
  return Math.floor(value / TWO_POW_32) >>> 0;
}

/**
 * Joins halves into a number. Exact only when `hi < 2^21`; callers use it for addresses, which are at
 * most 56 bits wide and checked against their width first.
 */
export function joinHalves(hi: number, lo: number): number {
  return (hi >>> 0) * TWO_POW_32 + (lo >>> 0);
}

/** Joins halves into a `bigint` (exact for every 64-bit value). */
export function halvesToBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Splits a `bigint` into halves, taking it modulo 2^64 (so −1n gives all ones). */
export function bigIntToHalves(value: bigint): U64 {
  const v = BigInt.asUintN(64, value);
  return { hi: Number(v >> 32n), lo: Number(v & 0xffff_ffffn) };
}

/** Converts an address given as `number` or `bigint` to halves. Numbers must be non-negative safe integers. */
export function toHalves(value: number | bigint): U64 {
  if (typeof value === 'bigint') return bigIntToHalves(value);
  return { hi: highHalf(value), lo: lowHalf(value) };
}

/** A mask of the low `n` bits of a 32-bit word (`n` in 0..32). */
export function mask32(n: number): number {
  return n >= 32 ? 0xffff_ffff : ((1 << n) >>> 0) - 1;
}

/**
 * Bits `[lo + width − 1 : lo]` of a 64-bit value given as halves, as a number. `width` may be up to 53 when
 * the field straddles the halves; the result is exact.
 */
export function bitsOfHalves(hi: number, lo: number, bit: number, width: number): number {
  let result = 0;
  let got = 0;
  while (got < width) {
    const pos = bit + got;
    const word = pos < 32 ? lo : hi;
    const inWord = pos & 31;
    const take = Math.min(32 - inWord, width - got);
    const chunk = (word >>> inWord) & mask32(take);
    result += (chunk >>> 0) * pow2(got);
    got += take;
  }
  return result;
}

/** Bit `n` (0..63) of a 64-bit value given as halves, 0 or 1. */
export function bitOfHalves(hi: number, lo: number, n: number): number {
  return n < 32 ? (lo >>> n) & 1 : (hi >>> (n - 32)) & 1;
}

/**
 * The number `value` with all bits at and above `n` cleared (`value mod 2^n`), for non-negative safe
 * integers and `n` ≤ 53.
 */
export function truncateBits(value: number, n: number): number {
  if (n >= 53) return value;
  const m = pow2(n);
  return value - Math.floor(value / m) * m;
}

/**
 * `value` with bits below `n` cleared (aligned down to 2^n), for non-negative safe integers.
 */
export function alignDown(value: number, n: number): number {
  if (n <= 0) return value;
  const m = pow2(n);
  return Math.floor(value / m) * m;
}

/** True when `value` is a multiple of 2^n. */
export function isAligned(value: number, n: number): boolean {
  return n <= 0 || value % 2 ** n === 0;
}

/** Formats a number or bigint as a `0x…` hexadecimal string (lower case). */
export function hex(value: number | bigint): string {
  return '0x' + value.toString(16);
}
