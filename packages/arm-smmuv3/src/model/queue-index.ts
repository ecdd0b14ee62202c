/**
 * Circular-queue index arithmetic shared by the Command and Event queues (§3.5 queues, §6.3.26–§6.3.29).
 * A PROD/CONS register holds, for a queue of 2^QS entries, the index in bits [QS−1:0] and the wrap flag
 * in bit [QS]; incrementing past the last entry clears the index and toggles the wrap flag, which is the
 * same as adding one modulo 2^(QS+1).
 * @packageDocumentation
 */
import { joinHalves, mask32 } from '@viommu/core';

/** One queue's geometry as its BASE register and the IDR1 cap give it. */
export interface QueueGeometry {
  /** Effective base address: ADDR[55:5] aligned down to the larger of the queue size and 32 bytes. */
  readonly base: number;
  /** Effective log2(entries): MIN(BASE.LOG2SIZE, IDR1 maximum) (§6.3.26 LOG2SIZE). */
  readonly log2Size: number;
  /** Entry size in bytes (16 for commands, 32 for events). */
  readonly entryBytes: number;
}

/**
 * Decodes a queue BASE register (LOG2SIZE [4:0], ADDR [55:5]) given as halves, capping LOG2SIZE at
 * `maxLog2Size` (IDR1.CMDQS or IDR1.EVENTQS), truncating ADDR to the `oasBits`-bit physical address
 * size (§3.4.3: queue addresses beyond the OAS are truncated) and aligning it to the queue size (§6.3.26).
 */
export function queueGeometry(
  hi: number,
  lo: number,
  maxLog2Size: number,
  entryBytes: number,
  oasBits: number,
): QueueGeometry {
  const log2Size = Math.min(lo & 0x1f, maxLog2Size);
  const addr = joinHalves(hi & mask32(Math.min(oasBits, 56) - 32), (lo & ~0x1f) >>> 0);
  const bytes = Math.max(32, entryBytes * 2 ** log2Size);
  return { base: Math.floor(addr / bytes) * bytes, log2Size, entryBytes };
}

/** The index-and-wrap bits [QS:0] of a PROD/CONS value. */
export function indexAndWrap(value: number, log2Size: number): number {
  return (value >>> 0) % 2 ** (log2Size + 1);
}

/** The entry index, bits [QS−1:0]. */
export function queueIndex(value: number, log2Size: number): number {
  return (value >>> 0) % 2 ** log2Size;
}

/** The wrap flag, bit [QS]. */
export function queueWrap(value: number, log2Size: number): number {
  return Math.floor((value >>> 0) / 2 ** log2Size) & 1;
}

/** True when PROD and CONS point at the same entry with the same wrap flag. */
export function queueEmpty(prod: number, cons: number, log2Size: number): boolean {
  return indexAndWrap(prod, log2Size) === indexAndWrap(cons, log2Size);
}

/** True when PROD and CONS point at the same entry with different wrap flags (§7.4). */
export function queueFull(prod: number, cons: number, log2Size: number): boolean {
  return (
    queueIndex(prod, log2Size) === queueIndex(cons, log2Size) && queueWrap(prod, log2Size) !== queueWrap(cons, log2Size)
  );
}

/** The index-and-wrap value one entry further on (index wraps to 0 and the wrap flag toggles at the end). */
export function queueIncrement(value: number, log2Size: number): number {
  return (indexAndWrap(value, log2Size) + 1) % 2 ** (log2Size + 1);
}

/** Address of the entry a PROD/CONS value points at. */
export function queueEntryAddress(geometry: QueueGeometry, value: number): number {
  return geometry.base + queueIndex(value, geometry.log2Size) * geometry.entryBytes;
}
