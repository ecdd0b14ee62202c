/**
 * Bit fields of little-endian multi-word structures (up to 512 bits and beyond), stored as arrays of 32-bit
 * words: word 0 holds bits 31:0, word 1 bits 63:32, and so on. Bit numbers are absolute within the structure,
 * as the VT-d and SMMUv3 specifications number them (bit 64 is bit 0 of the second 64-bit word).
 * @packageDocumentation
 */
import { mask32 } from './u64';

/** A structure's storage: 32-bit words, least significant first. */
export type Words = Uint32Array;

/**
 * Reads `width` bits starting at absolute bit `lo` as a number. Exact for `width` ≤ 53.
 * @throws RangeError if `width` > 53 (use {@link getFieldBig}).
 */
export function getField(words: ArrayLike<number>, lo: number, width: number): number {
  if (width > 53) throw new RangeError(`getField: width ${width} exceeds 53 bits; use getFieldBig`);
  let result = 0;
  let got = 0;
  while (got < width) {
    const pos = lo + got;
    const index = pos >>> 5;
    const inWord = pos & 31;
    const take = Math.min(32 - inWord, width - got);
    const word = words[index] ?? 0;
    const chunk = (word >>> inWord) & mask32(take);
    result += (chunk >>> 0) * 2 ** got;
    got += take;
  }
  return result;
}

/**
 * Writes `value` (a non-negative integer below 2^width, `width` ≤ 53) into bits `[lo + width − 1 : lo]`.
 * @throws RangeError if the value does not fit.
 */
export function setField(words: Words, lo: number, width: number, value: number): void {
  if (width > 53) throw new RangeError(`setField: width ${width} exceeds 53 bits; use setFieldBig`);
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** width) {
    throw new RangeError(`setField: ${value} does not fit in ${width} bits`);
  }
  let rest = value;
  let done = 0;
  while (done < width) {
    const pos = lo + done;
    const index = pos >>> 5;
    const inWord = pos & 31;
    const take = Math.min(32 - inWord, width - done);
    const chunkMask = mask32(take);
    const chunk = rest % 2 ** take;
    rest = Math.floor(rest / 2 ** take);
    const cleared = (words[index]! & ~((chunkMask << inWord) >>> 0)) >>> 0;
    words[index] = (cleared | ((chunk << inWord) >>> 0)) >>> 0;
    done += take;
  }
}

/** Reads `width` bits (any width) starting at absolute bit `lo` as a `bigint`. */
export function getFieldBig(words: ArrayLike<number>, lo: number, width: number): bigint {
  let result = 0n;
  let got = 0;
  while (got < width) {
    const pos = lo + got;
    const inWord = pos & 31;
    const take = Math.min(32 - inWord, width - got);
    const chunk = ((words[pos >>> 5] ?? 0) >>> inWord) & mask32(take);
    result |= BigInt(chunk >>> 0) << BigInt(got);
    got += take;
  }
  return result;
}

/**
 * Writes a `bigint` into bits `[lo + width − 1 : lo]` (any width).
 * @throws RangeError if the value is negative or does not fit.
 */
export function setFieldBig(words: Words, lo: number, width: number, value: bigint): void {
  if (value < 0n || value >> BigInt(width) !== 0n) {
    throw new RangeError(`setFieldBig: ${value} does not fit in ${width} bits`);
  }
  let done = 0;
  while (done < width) {
    const pos = lo + done;
    const index = pos >>> 5;
    const inWord = pos & 31;
    const take = Math.min(32 - inWord, width - done);
    const chunkMask = mask32(take);
    const chunk = Number((value >> BigInt(done)) & BigInt(chunkMask));
    const cleared = (words[index]! & ~((chunkMask << inWord) >>> 0)) >>> 0;
    words[index] = (cleared | ((chunk << inWord) >>> 0)) >>> 0;
    done += take;
  }
}

/** True when any bit in `[lo + width − 1 : lo]` is set. */
export function anyBitSet(words: ArrayLike<number>, lo: number, width: number): boolean {
  let done = 0;
  while (done < width) {
    const pos = lo + done;
    const inWord = pos & 31;
    const take = Math.min(32 - inWord, width - done);
    if ((((words[pos >>> 5] ?? 0) >>> inWord) & mask32(take)) !== 0) return true;
    done += take;
  }
  return false;
}

/**
 * Builds a structure's words from its 64-bit words as drivers print them (lowest first). Missing trailing
 * words are zero; `bits` is the structure size.
 */
export function wordsFromU64s(values: readonly bigint[], bits: number): Words {
  const words = new Uint32Array(Math.ceil(bits / 32));
  values.forEach((v, i) => {
    const u = BigInt.asUintN(64, v);
    if (2 * i < words.length) words[2 * i] = Number(u & 0xffff_ffffn);
    if (2 * i + 1 < words.length) words[2 * i + 1] = Number(u >> 32n);
  });
  return words;
}

/** The structure's 64-bit words, lowest first (the inverse of {@link wordsFromU64s}). */
export function u64sFromWords(words: ArrayLike<number>): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < words.length; i += 2) {
    out.push((BigInt((words[i + 1] ?? 0) >>> 0) << 32n) | BigInt(words[i]! >>> 0));
  }
  return out;
}

/** Reads a structure of `bytes` bytes from a byte array at `offset` into words (little-endian). */
export function wordsFromBytes(bytes: Uint8Array, offset = 0, length = bytes.length - offset): Words {
  const words = new Uint32Array(Math.ceil(length / 4));
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  for (let i = 0; i < words.length; i++) {
    words[i] = i * 4 + 4 <= length ? view.getUint32(i * 4, true) : 0;
  }
  return words;
}

/** The structure's bytes, little-endian. */
export function bytesFromWords(words: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(i * 4, words[i]! >>> 0, true);
  return bytes;
}
