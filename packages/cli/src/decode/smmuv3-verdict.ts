/**
 * Shared pieces of the SMMUv3 verdicts: the capabilities every check assumes and the RES0 rule.
 * @packageDocumentation
 */
import type { ReservedViolation } from '@viommu/core';
import { DEFAULT_SMMU_CAPABILITIES } from '@viommu/arm-smmuv3';

/**
 * The capabilities every SMMUv3 verdict assumes: the model's fully featured default (SMMU_IDR0 0x084d769b,
 * IDR1 0x01084510, IDR5 0x00800075 — both stages, AArch64 tables, 16-bit ASIDs/VMIDs, 2-level tables,
 * 20-bit SubstreamIDs, 48-bit OAS).
 */
export const SMMU_CAPS = DEFAULT_SMMU_CAPABILITIES;

/**
 * The problem line for RES0 bits that are set in an STE, CD, L1STD or L1CD. [SPEC 5] lets an implementation
 * either ignore non-zero RES0 fields or deem the structure invalid; software must write zero, so the decoder
 * calls such a structure invalid (the device model ignores them).
 */
export function res0Problems(reserved: readonly ReservedViolation[], fault: string): string[] {
  if (reserved.length === 0) return [];
  const bits = reserved.map((r) => `[${r.hi}:${r.lo}]`).join(', ');
  return [`RES0 bits ${bits} set: an SMMU may treat the structure as invalid (${fault}) or ignore them [SPEC 5]`];
}
