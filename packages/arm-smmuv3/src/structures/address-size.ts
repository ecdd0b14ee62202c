/**
 * The 3-bit address-size encoding shared by SMMU_IDR5.OAS, STE.S2PS and CD.IPS [SPEC 5.2 S2PS, 5.4 IPS,
 * 6.3.6 OAS]: 0 → 32 bits … 5 → 48, 6 → 52, 7 → 56.
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';

/** Address size in bits for each 3-bit encoding (index = encoding). */
export const ADDRESS_SIZE_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52, 56];

/** Human-readable names of the encodings, for layout `values`. */
export const ADDRESS_SIZE_VALUES: Readonly<Record<number, string>> = {
  0: '32 bits',
  1: '36 bits',
  2: '40 bits',
  3: '42 bits',
  4: '44 bits',
  5: '48 bits',
  6: '52 bits',
  7: '56 bits',
};

/** Bits for a 3-bit size encoding (OAS, S2PS, IPS). */
export function addressSizeBits(code: number): number {
  const bits = ADDRESS_SIZE_BITS[code & 7];
  return bits ?? 32;
}

/**
 * The encoding for an address size in bits.
 * @throws IommuError `ARGUMENT` when `bits` is not one of 32, 36, 40, 42, 44, 48, 52, 56.
 */
export function addressSizeCode(bits: number): number {
  const code = ADDRESS_SIZE_BITS.indexOf(bits);
  if (code < 0) throw new IommuError('ARGUMENT', `no address-size encoding for ${bits} bits`);
  return code;
}
