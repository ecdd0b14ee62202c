/**
 * Turns the verdict of an `@viommu/intel-vtd` structure check into the problem lines `viommu decode` prints:
 * the architected fault reason the hardware would record, by code, name and spec condition, and the rule that
 * failed.
 * @packageDocumentation
 */
import { faultReasonInfo, type VtdCheck } from '@viommu/intel-vtd';

/** `fault 0x5a SM_PASID_ENTRY_RESERVED (SPT.3)` for a VT-d fault reason code (VT-d spec §7.1.3). */
export function describeVtdFaultReason(code: number): string {
  const info = faultReasonInfo(code);
  const hex = `0x${code.toString(16)}`;
  return info ? `fault ${hex} ${info.name} (${info.condition})` : `fault ${hex}`;
}

/** No problems when the check passed; otherwise one line naming the fault and the failed rule. */
export function vtdProblems(check: VtdCheck<unknown>, prefix = ''): string[] {
  return check.ok ? [] : [`${prefix}${describeVtdFaultReason(check.reason)}: ${check.detail}`];
}
