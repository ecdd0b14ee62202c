/**
 * VT-d fault records ↔ generic faults. The generic fault is read entirely off the 128-bit fault recording
 * register (VT-d spec §10.4 FRCD_REG, decoded by the structures' {@link decodeFaultRecord}), so the two
 * conversions are exact inverses:
 * - `addr` is FI: the faulting address with bits 11:0 clear (the register keeps no page offset);
 * - `pasid` is PV when PP = 1, else undefined;
 * - `perm` is READ when T = 1, WRITE when T = 0, plus EXEC for EXE and PRIV for PRIV;
 * - `fetchAddr` is never set: the record has no field for it;
 * - `reason` follows from FR alone, through {@link vtdGenericReason};
 * - the source-id, AT and F bits travel in `vendor.record` only.
 * @packageDocumentation
 */
import { FaultPerm, IommuError, type FaultReason, type GenericFault } from '@viommu/core';
import { decodeFaultRecord, encodeFaultRecord, faultReasonInfo, VtdFaultReason as R } from '../structures/index';

/** The model name in core's `VendorFaultRecord.model` for VT-d faults. */
export const VTD_MODEL_NAME = 'intel-vtd';

const PASID_FETCH = [R.ROOT_TABLE_ACCESS_ERROR, R.CONTEXT_TABLE_ACCESS_ERROR, R.SM_ROOT_ENTRY_ACCESS_ERROR, R.SM_CONTEXT_ENTRY_ACCESS_ERROR, R.SM_PASID_DIR_ACCESS_ERROR, R.SM_PASID_ENTRY_ACCESS_ERROR];
const BAD_PASID_ENTRY = [R.SM_PASID_DIR_NOT_PRESENT, R.SM_PASID_DIR_RESERVED, R.SM_PASID_ENTRY_NOT_PRESENT, R.SM_PASID_ENTRY_RESERVED, R.SM_PASID_ENTRY_INVALID];
const PASID_INVALID = [R.SM_TTM_LEGACY_PASID_REQUEST, R.SM_PASIDE_CLEAR, R.SM_PASID_BEYOND_CONTEXT_LIMIT, R.SM_RID_PASID_ERROR];
const WALK_EABT = [R.PAGING_ENTRY_ACCESS_ERROR, R.SM_FL_ENTRY_ACCESS_ERROR, R.SM_FL_ROOT_ACCESS_ERROR, R.SM_SL_ENTRY_ACCESS_ERROR, R.SM_SLPTPTR_INVALID, R.SM_FL_AD_UPDATE_FAILED];
const PTE_FETCH = [
  R.PAGING_ENTRY_RESERVED,
  R.SM_FL_ENTRY_NOT_PRESENT,
  R.SM_FL_ENTRY_RESERVED,
  R.SM_FL_ROOT_READ_DENIED,
  R.SM_FL_ENTRY_READ_DENIED,
  R.SM_FL_ENTRY_WRITE_DENIED,
  R.SM_SL_PERMISSION_ERROR,
  R.SM_SL_ENTRY_RESERVED,
];
const PERMISSION = [R.WRITE_DENIED, R.READ_DENIED, R.SM_ERE_CLEAR, R.SM_SRE_CLEAR, R.SM_USER_DENIED, R.SM_EXECUTE_DENIED, R.SM_WRITE_DENIED, R.SM_READ_DENIED];
const OOR_ADDRESS = [R.ADDRESS_BEYOND_MGAW, R.SM_FL_ADDRESS_BEYOND_MGAW, R.SM_NON_CANONICAL, R.SM_ADDRESS_BEYOND_MAX, R.SM_SL_ADDRESS_BEYOND_MAX];

const REASONS = new Map<number, FaultReason>([
  ...PASID_FETCH.map((c) => [c, 'pasid-fetch'] as const),
  ...BAD_PASID_ENTRY.map((c) => [c, 'bad-pasid-entry'] as const),
  ...PASID_INVALID.map((c) => [c, 'pasid-invalid'] as const),
  ...WALK_EABT.map((c) => [c, 'walk-eabt'] as const),
  ...PTE_FETCH.map((c) => [c, 'pte-fetch'] as const),
  ...PERMISSION.map((c) => [c, 'permission'] as const),
  ...OOR_ADDRESS.map((c) => [c, 'oor-address'] as const),
]);

/**
 * The merged uapi's fault reason for a VT-d fault reason (FR):
 * - `pasid-fetch`: the root, context, PASID-directory or PASID-table entry could not be read (0x8, 0x9,
 *   0x38, 0x40, 0x50, 0x58);
 * - `bad-pasid-entry`: a PASID-directory or PASID-table entry is not present, has reserved bits set or is
 *   programmed invalidly (0x51, 0x52, 0x59, 0x5A, 0x5B);
 * - `pasid-invalid`: the PASID may not be used — a request with PASID in legacy mode (0x31), PASIDE clear
 *   (0x45), beyond the directory the context entry sizes (0x46), a bad RID_PASID (0x48);
 * - `walk-eabt`: reading (or A/D-updating) a first- or second-level entry failed (0x7, 0x70, 0x73, 0x78,
 *   0x7B, 0x91);
 * - `pte-fetch`: a page-table entry is not present or has reserved bits set (0xC, 0x71, 0x72, 0x79, 0x7A),
 *   or the second level refused a first-level table fetch (0x75, 0x76, 0x77);
 * - `permission`: the request lacks a right — read/write (0x5, 0x6, 0x85, 0x86), user (0x81), execute
 *   (0x82), or the PASID entry's ERE/SRE is clear (0x5C, 0x5D);
 * - `oor-address`: the address is beyond MGAW/AGAW or not canonical (0x4, 0x74, 0x80, 0x83, 0x84);
 * - `unknown`: everything else — the host's own root/context configuration (0x1–0x3, 0xA, 0xB, 0xD, 0x30,
 *   0x39–0x3A, 0x41–0x44, 0x47), interrupt-range outputs (0xE, 0x87), A/D updates without snooping (0x7C,
 *   0x90) and codes this model does not define.
 * The `access` reason (an access flag clear) has no VT-d counterpart: hardware sets A itself.
 */
export function vtdGenericReason(code: number): FaultReason {
  return REASONS.get(code) ?? 'unknown';
}

/** The architected name of a fault reason (the structures' stable name), or `FAULT_0x..` for an undefined code. */
export function vtdFaultName(code: number): string {
  return faultReasonInfo(code)?.name ?? `FAULT_0x${code.toString(16)}`;
}

/**
 * A 128-bit fault record (four 32-bit words, least significant first) as a generic fault.
 * @throws IommuError `ARGUMENT` when the record is not 4 words.
 */
export function vtdRecordToFault(record: Uint32Array): GenericFault {
  if (record.length !== 4) throw new IommuError('ARGUMENT', `a VT-d fault record is 4 words, got ${record.length}`);
  const r = decodeFaultRecord(record);
  const perm = (r.type === 'read' ? FaultPerm.READ : FaultPerm.WRITE) | (r.execute ? FaultPerm.EXEC : 0) | (r.privileged ? FaultPerm.PRIV : 0);
  return {
    reason: vtdGenericReason(r.reason),
    pasid: r.pasid,
    addr: r.address,
    perm,
    fetchAddr: undefined,
    vendor: { model: VTD_MODEL_NAME, name: vtdFaultName(r.reason), code: r.reason, record: Uint32Array.from(record) },
  };
}

/**
 * A generic fault as the fault record it came from: FI, PP/PV, T, EXE and PRIV from the generic fields, FR
 * from `vendor.code`, and SID, AT and F from `vendor.record` (a generic fault has no device field).
 * @throws IommuError `ARGUMENT` when `vendor.code` is not 0..255 or a field does not fit.
 */
export function vtdFaultToRecord(fault: GenericFault): Uint32Array {
  const carried = fault.vendor.model === VTD_MODEL_NAME && fault.vendor.record.length === 4 ? decodeFaultRecord(fault.vendor.record) : undefined;
  return encodeFaultRecord({
    address: fault.addr ?? 0n,
    sourceId: carried?.sourceId ?? 0,
    reason: fault.vendor.code,
    type: fault.perm & FaultPerm.WRITE ? 'write' : 'read',
    pasid: fault.pasid,
    privileged: (fault.perm & FaultPerm.PRIV) !== 0,
    execute: (fault.perm & FaultPerm.EXEC) !== 0,
    addressType: carried?.addressType ?? 0,
    fault: carried?.fault ?? true,
  });
}
