/**
 * Address-width rules shared by every VT-d structure that holds a host-physical pointer: pointer bits at and
 * above the host address width (HAW) are reserved (VT-d spec §9.1–§9.6, "bits ≥ HAW reserved").
 *
 * Which width: the architecture reports HAW in the ACPI DMAR table (HAW field + 1), not in a register, and
 * CAP.MGAW (+1) is the widest *input* address. A model without an ACPI table needs one value; like QEMU,
 * which derives both its HAW mask and CAP.MGAW from one `aw-bits` property, this model takes HAW = MGAW + 1
 * by default ({@link hostAddressWidth}). Callers that know the platform's DMAR HAW pass it explicitly.
 * Physical addresses are JS numbers, so HAW is at most 52 bits here.
 * @packageDocumentation
 */
import { IommuError, anyBitSet, getField } from '@viommu/core';

/** Largest host address width the model supports (physical addresses are exact JS numbers up to 2^52). */
export const MAX_HOST_ADDRESS_WIDTH = 52;

/** Smallest meaningful host address width: a 4 KB-aligned pointer needs at least bits 12 and up. */
export const MIN_HOST_ADDRESS_WIDTH = 13;

/**
 * The default host address width for a capability set: CAP.MGAW + 1 (held as `mgawBits`), capped at
 * {@link MAX_HOST_ADDRESS_WIDTH}.
 */
export function hostAddressWidth(caps: { readonly mgawBits: number }): number {
  return Math.min(caps.mgawBits, MAX_HOST_ADDRESS_WIDTH);
}

/**
 * Checks an API-supplied host address width.
 * @throws IommuError `ARGUMENT` unless `haw` is an integer in 13..52.
 */
export function assertHostAddressWidth(haw: number): void {
  if (!Number.isInteger(haw) || haw < MIN_HOST_ADDRESS_WIDTH || haw > MAX_HOST_ADDRESS_WIDTH) {
    throw new IommuError('ARGUMENT', `host address width ${haw} is not an integer in ${MIN_HOST_ADDRESS_WIDTH}..${MAX_HOST_ADDRESS_WIDTH}`, {
      haw,
    });
  }
}

/**
 * True when the 64-bit word `qword` of a structure (0 = bits 63:0, 1 = bits 127:64…) has any bit set at or
 * above position `width` — i.e. a pointer held in that word reaches beyond a `width`-bit address space.
 */
export function qwordExceedsWidth(words: ArrayLike<number>, qword: number, width: number): boolean {
  return width < 64 && anyBitSet(words, qword * 64 + width, 64 - width);
}

/**
 * The 4 KB-aligned pointer held in bits [width−1:12] of 64-bit word `qword`, as a number (exact for
 * `width` ≤ 52). Bits at and above `width` are not read: check them with {@link qwordExceedsWidth} first.
 */
export function pointerBelowWidth(words: ArrayLike<number>, qword: number, width: number): number {
  return getField(words, qword * 64 + 12, width - 12) * 4096;
}
