/**
 * Address fields shared by the VT-d first- and second-level entry formats: both keep the address of the
 * next table or of the page frame in bits 51:12 (VT-d spec §9.7, §9.8), and both treat address bits at or
 * above the host address width (HAW) as reserved.
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';

/** Bits 51:32 of the address field, within the high word of an entry. */
export const ADDRESS_HI_MASK = 0x000f_ffff;
/** Bits 31:12 of the address field, within the low word of an entry. */
export const ADDRESS_LO_MASK = 0xffff_f000;

/**
 * The high-word mask of address bits 51:`hawBits` — the bits a present entry must keep clear (a non-zero
 * value is a reserved-field fault). `hawBits` is 32..52.
 */
export function reservedAddressHiMask(hawBits: number): number {
  if (hawBits >= 52) return 0;
  return (ADDRESS_HI_MASK & ~((1 << (hawBits - 32)) - 1)) >>> 0;
}

/**
 * The address held in bits 51:`shift` of an entry (`shift` 12, 21 or 30: a table or 4 KiB frame, a 2 MiB
 * frame, a 1 GiB frame). Bits below `shift` (flags, PAT, reserved bits) are not part of the address.
 */
export function entryAddress(hi: number, lo: number, shift: number): number {
  const loMask = (ADDRESS_LO_MASK & ~((1 << shift) - 1)) >>> 0;
  return (hi & ADDRESS_HI_MASK) * 0x1_0000_0000 + ((lo & loMask) >>> 0);
}

/** The high word of an address (its bits 51:32) placed in an entry's high word. */
export function addressHi(address: number): number {
  return Math.floor(address / 0x1_0000_0000) & ADDRESS_HI_MASK;
}

/** The low word of an address (its bits 31:12) placed in an entry's low word. */
export function addressLo(address: number): number {
  return (address & ADDRESS_LO_MASK) >>> 0;
}

/**
 * Checks a width option given to a format factory.
 * @throws IommuError `ARGUMENT` when `value` is not an integer in `[min, max]`.
 */
export function checkWidth(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new IommuError('ARGUMENT', `${name} must be an integer in ${min}..${max}, got ${value}`, { [name]: value });
  }
}
