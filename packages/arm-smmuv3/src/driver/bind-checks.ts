/**
 * The SMMUv3 checks of a `bindPasidTable` config beyond the generic ones (reference api-lineage §1–§4;
 * Arm IHI0070 §5.2 S1ContextPtr, S1Fmt, S1CDMax): the vendor block, host support for its choices, and
 * the CD table's alignment and reach. Pure: nothing changes.
 * @packageDocumentation
 */
import { basePtrOf, IommuError, type PasidTableConfig } from '@viommu/core';
import type { SmmuCapabilities } from '../structures/index';
import { S1FmtValue, smmuV3VendorOf, type SmmuV3PasidTableVendor } from './vendor-config';

/** log2 of the bytes of the table S1ContextPtr points to: the CD, the linear table, or the level-1 table. */
export function cdTableRootBits(pasidBits: number, s1fmt: number): number {
  if (pasidBits === 0 || s1fmt === S1FmtValue.LINEAR) return pasidBits + 6;
  const l2Bits = s1fmt === S1FmtValue.TWO_LEVEL_4K ? 6 : 10;
  return Math.max(6, pasidBits - l2Bits + 3);
}

/**
 * Checks a config against an SMMU and returns its effective vendor block:
 * - the vendor block ({@link checkSmmuV3Vendor}: model, S1Fmt and S1DSS not reserved) → `CONFIG_VENDOR`;
 * - a 2-level S1Fmt needs SMMU_IDR0.CD2L → `CONFIG_UNSUPPORTED`;
 * - `pasidBits` ≤ SMMU_IDR1.SSIDSIZE → `CONFIG_PASID_BITS`;
 * - the table S1ContextPtr points to (a linear table of 2^pasidBits CDs, or a level-1 table of
 *   2^(pasidBits − 10 or − 6) L1CDs, at least 64 bytes) is aligned to its size, because the SMMU treats
 *   the low address bits as zero [SPEC 5.2] → `CONFIG_ALIGNMENT`;
 * - it ends inside the `inputBits`-bit guest address space → `CONFIG_ADDRESS`.
 */
export function checkSmmuV3Bind(config: PasidTableConfig, caps: SmmuCapabilities, inputBits: number): SmmuV3PasidTableVendor {
  const vendor = smmuV3VendorOf(config);
  if (vendor.s1fmt !== S1FmtValue.LINEAR && !caps.cd2l) {
    throw new IommuError('CONFIG_UNSUPPORTED', `s1fmt ${vendor.s1fmt} selects a 2-level CD table, but this SMMU has no SMMU_IDR0.CD2L`, { s1fmt: vendor.s1fmt });
  }
  if (config.pasidBits > caps.ssidSize) {
    throw new IommuError('CONFIG_PASID_BITS', `pasidBits ${config.pasidBits} exceeds SMMU_IDR1.SSIDSIZE ${caps.ssidSize}`);
  }
  const base = basePtrOf(config);
  const bits = cdTableRootBits(config.pasidBits, vendor.s1fmt);
  if (base % (1n << BigInt(bits)) !== 0n) {
    throw new IommuError('CONFIG_ALIGNMENT', `basePtr 0x${base.toString(16)} is not aligned to its ${2 ** bits}-byte CD table`, { alignment: 2 ** bits });
  }
  if (base + (1n << BigInt(bits)) > 1n << BigInt(inputBits)) {
    throw new IommuError('CONFIG_ADDRESS', `the CD table at 0x${base.toString(16)} does not fit the ${inputBits}-bit guest address space`);
  }
  return vendor;
}
