/**
 * The physical-memory interface every walker and driver uses: little-endian 8/16/32/64-bit accesses and
 * byte ranges. An access to an unbacked address is an external abort, reported as a value (never thrown)
 * so that the walker can turn it into the architected fault (SMMUv3 F_WALK_EABT, VT-d access-error reasons).
 * @packageDocumentation
 */
import type { U64 } from '../u64';

/** Returned by the narrow reads for an access to unbacked memory (an external abort). */
export const EXTERNAL_ABORT = -1;

/** Physical (or guest-physical) memory, addressed in bytes. Addresses are non-negative safe integers. */
export interface PhysicalMemory {
  /** Reads one byte, or {@link EXTERNAL_ABORT}. */
  read8(address: number): number;
  /** Reads a little-endian 16-bit value, or {@link EXTERNAL_ABORT}. */
  read16(address: number): number;
  /** Reads a little-endian 32-bit value (unsigned), or {@link EXTERNAL_ABORT}. */
  read32(address: number): number;
  /** Reads a little-endian 64-bit value into `out` (halves). Returns false on an external abort. */
  read64(address: number, out: U64): boolean;
  /** Writes one byte. Returns false on an external abort (nothing written). */
  write8(address: number, value: number): boolean;
  /** Writes a little-endian 16-bit value. Returns false on an external abort. */
  write16(address: number, value: number): boolean;
  /** Writes a little-endian 32-bit value. Returns false on an external abort. */
  write32(address: number, value: number): boolean;
  /** Writes a little-endian 64-bit value given as halves. Returns false on an external abort. */
  write64(address: number, hi: number, lo: number): boolean;
  /** Reads `length` bytes, or `undefined` if any byte is unbacked. */
  readBytes(address: number, length: number): Uint8Array | undefined;
  /** Writes bytes. Returns false (and writes nothing) if any byte is unbacked. */
  writeBytes(address: number, bytes: Uint8Array): boolean;
  /** True when every byte of `[address, address + length)` is backed. */
  isBacked(address: number, length: number): boolean;
}

/** Reads a 64-bit value as a `bigint` (API edge helper), or `undefined` on an external abort. */
export function read64Big(memory: PhysicalMemory, address: number): bigint | undefined {
  const out = { hi: 0, lo: 0 };
  if (!memory.read64(address, out)) return undefined;
  return (BigInt(out.hi) << 32n) | BigInt(out.lo);
}

/** Writes a 64-bit `bigint` (taken modulo 2^64). Returns false on an external abort. */
export function write64Big(memory: PhysicalMemory, address: number, value: bigint): boolean {
  const v = BigInt.asUintN(64, value);
  return memory.write64(address, Number(v >> 32n), Number(v & 0xffff_ffffn));
}

/** Reads a structure of `words` 32-bit words (little-endian), or `undefined` on an external abort. */
export function readWords(memory: PhysicalMemory, address: number, words: number): Uint32Array | undefined {
  const out = new Uint32Array(words);
  for (let i = 0; i < words; i++) {
    const v = memory.read32(address + i * 4);
    if (v === EXTERNAL_ABORT) return undefined;
    out[i] = v;
  }
  return out;
}

/** Writes a structure's 32-bit words (little-endian). Returns false (nothing written) on an external abort. */
export function writeWords(memory: PhysicalMemory, address: number, words: ArrayLike<number>): boolean {
  if (!memory.isBacked(address, words.length * 4)) return false;
  for (let i = 0; i < words.length; i++) memory.write32(address + i * 4, words[i]! >>> 0);
  return true;
}
