/**
 * From a generic walk fault (core's {@link TranslationFault}: stage, kind, detail, depth, and for stage-2
 * faults what the walk was serving) to the VT-d fault reason (FR) the fault recording register reports —
 * VT-d spec §7.1.3 (legacy LGN/LSL/LCT conditions, scalable SFL/SSL/SGN conditions). Codes and their
 * meaning were checked against QEMU's `VTDFaultReason`, Linux's `dma_remap_sm_fault_reasons` and the
 * condition names of VirtualBox's `VTDADDRFAULT`; where they differ the choice is noted below.
 * @packageDocumentation
 */
import { Access, type FaultKind, type PermissionDetail, type Stage2Purpose } from '@viommu/core';

/** The fault reasons a page walk can produce (plus 0x5D/0x80, which the device model checks before walking). */
export const VtdWalkFaultReason = {
  /** LCT.4.3: the second-level root (SLPTPTR) could not be read (legacy; QEMU VTD_FR_CONTEXT_ENTRY_INV). */
  LEGACY_SL_ROOT_ACCESS: 0x3,
  /** LGN.1: input address above 2^min(MGAW, AGAW) − 1 (legacy). */
  LEGACY_ADDRESS_BEYOND_MGAW: 0x4,
  /** LGN.2: write (or AtomicOp) without write permission, R = W = 0 included (legacy). */
  LEGACY_WRITE: 0x5,
  /** LGN.3: read (or AtomicOp) without read permission, R = W = 0 included (legacy). */
  LEGACY_READ: 0x6,
  /** LSL.1: a second-level entry below the root could not be read (legacy; Linux "next page table ptr is invalid"). */
  LEGACY_SL_ACCESS: 0x7,
  /** LSL.2: non-zero reserved field in a present second-level entry (legacy). */
  LEGACY_SL_RESERVED: 0xc,
  /** SPT.6: supervisor request while the PASID entry's SRE = 0. */
  SRE_CLEAR: 0x5d,
  /** SFL.1: a first-level entry below the root could not be read. */
  FL_ACCESS: 0x70,
  /** SFL.2: first-level entry with P = 0. */
  FL_NOT_PRESENT: 0x71,
  /** SFL.3: non-zero reserved field in a present first-level entry. */
  FL_RESERVED: 0x72,
  /** SFL.4: the first-level root (FL-PML4/PML5 table at FLPTPTR) could not be read (QEMU: "invalid FSPTPTR"). */
  FL_ROOT_ACCESS: 0x73,
  /** SFL.5: nested — a first-level table address (a GPA) beyond the second level's input range. */
  NESTED_FL_TABLE_BEYOND_MGAW: 0x74,
  /** SFL.6: nested — the second level denies reading the first-level root table. */
  NESTED_FL_ROOT_READ: 0x75,
  /** SFL.7: nested — the second level denies reading a first-level table below the root. */
  NESTED_FL_TABLE_READ: 0x76,
  /** SFL.8: nested — the second level denies writing a first-level entry (its A/D/EA update). */
  NESTED_FL_TABLE_WRITE: 0x77,
  /** SSL.1: a second-level entry below the root could not be read (or its A/D written). */
  SL_ACCESS: 0x78,
  /** SSL.2: second-level entry not present (R = W = 0, and X = 0 with SLEE); Linux: "Read/Write permission error". */
  SL_NOT_PRESENT: 0x79,
  /** SSL.3: non-zero reserved field in a present second-level entry. */
  SL_RESERVED: 0x7a,
  /** SSL.4: the second-level root (SLPTPTR) could not be read. */
  SL_ROOT_ACCESS: 0x7b,
  /** SGN.1: input address not canonical for first-level translation (checked before walking). */
  NON_CANONICAL: 0x80,
  /** SGN.2: user request and U/S = 0 in some first-level entry. */
  USER: 0x81,
  /** SGN.3: execute request without execute permission (XD, SMEP, or second-level X with SLEE). */
  EXEC: 0x82,
  /** SGN.4: input address beyond the second level's input range (PGTT = 2). */
  ADDRESS_BEYOND_MAX: 0x83,
  /** SGN.5: nested — the first level's output (a GPA) beyond the second level's input range. */
  SL_ADDRESS_BEYOND_MAX: 0x84,
  /** SGN.6: write without write permission (first-level R/W, second-level W). */
  WRITE: 0x85,
  /** SGN.7: read without read permission (second-level R). */
  READ: 0x86,
  /** SFL.10 (QEMU VTD_FR_FS_BIT_UPDATE_FAILED): writing a first-level entry's A/D/EA update failed. */
  FL_AD_UPDATE_FAILED: 0x91,
} as const;

/** How the device translates the request: which tables the walk used and which fault table applies. */
export type VtdWalkMode =
  /** Legacy mode (RTADDR.TTM = 0): second-level tables from the context entry, legacy reasons 0x1–0xE. */
  | 'legacy'
  /** Scalable mode, PASID entry PGTT = 1: first level only (stage 1). */
  | 'first-level'
  /** Scalable mode, PGTT = 2: second level only (stage 2). */
  | 'second-level'
  /** Scalable mode, PGTT = 3: first level (stage 1) nested over second level (stage 2). */
  | 'nested';

/**
 * The fields of a walk fault this mapping reads — a core `TranslationFault` fits as is. Stage 1 is the
 * first level, stage 2 the second level.
 */
export interface VtdWalkFaultInfo {
  /** The stage that faulted: 1 = first level, 2 = second level (also for a first-level table fetch under nesting). */
  readonly stage: 1 | 2;
  /** Why the walk stopped. */
  readonly kind: FaultKind;
  /** For permission faults: the missing right. */
  readonly detail: PermissionDetail;
  /** Depth (from the root) of the faulting stage's walk. */
  readonly depth: number;
  /** Stage 2 only: the fetch the walk served (`s1-table` = a first-level table under nesting). */
  readonly purpose?: Stage2Purpose | undefined;
  /** Stage 2 on an `s1-table` fetch: the first-level depth being fetched (0 = its root). */
  readonly s1Depth?: number | undefined;
  /** The fault happened writing back an A/D update. */
  readonly onUpdate?: boolean | undefined;
}

const R = VtdWalkFaultReason;

/**
 * The VT-d fault reason for a page-walk fault.
 *
 * - `access` is the request's `Access` mask (from `@viommu/core`); legacy mode needs it because a
 *   not-present entry there is reported as the missing right (0x5 for writes and AtomicOps, else 0x6), as
 *   QEMU does (VirtualBox reports 0xC instead).
 * - First level (stage 1): P = 0 → 0x71, reserved → 0x72, permission → 0x81 (`user`) / 0x82 (`exec`) /
 *   0x85 (`write`) / 0x86 (`read`) / 0x5D (`supervisor`, SRE clear), entry read failure → 0x73 at the root
 *   else 0x70, A/D write-back failure → 0x91. An `inputRange` fault is a non-canonical input (0x80): the
 *   device model should check {@link isCanonical} first anyway.
 * - Second level (stage 2): not present → 0x79, reserved → 0x7A, read failure → 0x7B at the root else
 *   0x78; permission → 0x86 / 0x85 / 0x82; input beyond the AGAW/MGAW → 0x83 (PGTT = 2) or 0x84 (nested
 *   output GPA). Under nesting, a fault of the second-level walk that translates a first-level table
 *   address maps to the nested reasons: beyond the input range → 0x74, read denied → 0x75 (first-level
 *   root) / 0x76, write denied for an A/D update → 0x77; structural second-level faults keep 0x78–0x7B.
 * - Legacy: not present → 0x5/0x6, permission → 0x5 (`write`) else 0x6, reserved → 0xC, input beyond
 *   MGAW → 0x4, read failure → 0x3 at the root (invalid context: SLPTPTR unreadable) else 0x7.
 *
 * QEMU differs: it reports second-level faults with the legacy codes (0x3/0x5/0x6/0x7/0xC) in scalable
 * mode too, and calls 0x73 "invalid FSPTPTR"; VirtualBox reports a not-present legacy entry as 0xC and a
 * scalable input beyond the AGAW as 0x84. The spec's condition tables (LGN/LSL/SFL/SSL/SGN) are followed
 * here; where the public sources leave the choice open (0x79 for a not-present second-level entry, 0x83
 * versus 0x84) the choice above is the one their names describe.
 *
 * Not produced here: 0x7C/0x90 (A/D update needed with no-snoop page walks), 0x87 (interrupt-range
 * output) and the configuration faults — the device model's.
 */
export function vtdFaultReasonForWalk(fault: VtdWalkFaultInfo, mode: VtdWalkMode, access: number = Access.READ): number {
  if (mode === 'legacy') return legacyReason(fault, access);
  if (fault.stage === 1) return firstLevelReason(fault);
  if (fault.purpose === 's1-table') return nestedTableFetchReason(fault);
  return secondLevelReason(fault, mode);
}

function legacyReason(fault: VtdWalkFaultInfo, access: number): number {
  switch (fault.kind) {
    case 'inputRange':
      return R.LEGACY_ADDRESS_BEYOND_MGAW;
    case 'reserved':
    case 'addressSize':
      return R.LEGACY_SL_RESERVED;
    case 'externalAbort':
      return fault.depth === 0 && !fault.onUpdate ? R.LEGACY_SL_ROOT_ACCESS : R.LEGACY_SL_ACCESS;
    case 'permission':
      return fault.detail === 'write' ? R.LEGACY_WRITE : R.LEGACY_READ;
    default: // translation (R = W = 0), access
      return access & Access.WRITE ? R.LEGACY_WRITE : R.LEGACY_READ;
  }
}

function firstLevelReason(fault: VtdWalkFaultInfo): number {
  switch (fault.kind) {
    case 'inputRange':
      return R.NON_CANONICAL;
    case 'reserved':
    case 'addressSize':
      return R.FL_RESERVED;
    case 'externalAbort':
      if (fault.onUpdate) return R.FL_AD_UPDATE_FAILED;
      return fault.depth === 0 ? R.FL_ROOT_ACCESS : R.FL_ACCESS;
    case 'permission':
      return permissionReason(fault.detail);
    default: // translation, access
      return R.FL_NOT_PRESENT;
  }
}

function nestedTableFetchReason(fault: VtdWalkFaultInfo): number {
  switch (fault.kind) {
    case 'inputRange':
      return R.NESTED_FL_TABLE_BEYOND_MGAW;
    case 'permission':
      if (fault.onUpdate || fault.detail === 'write') return R.NESTED_FL_TABLE_WRITE;
      return fault.s1Depth === 0 ? R.NESTED_FL_ROOT_READ : R.NESTED_FL_TABLE_READ;
    default:
      return secondLevelStructuralReason(fault);
  }
}

function secondLevelReason(fault: VtdWalkFaultInfo, mode: VtdWalkMode): number {
  switch (fault.kind) {
    case 'inputRange':
      return mode === 'nested' ? R.SL_ADDRESS_BEYOND_MAX : R.ADDRESS_BEYOND_MAX;
    case 'permission':
      return permissionReason(fault.detail);
    default:
      return secondLevelStructuralReason(fault);
  }
}

function secondLevelStructuralReason(fault: VtdWalkFaultInfo): number {
  switch (fault.kind) {
    case 'reserved':
    case 'addressSize':
      return R.SL_RESERVED;
    case 'externalAbort':
      return fault.depth === 0 && !fault.onUpdate ? R.SL_ROOT_ACCESS : R.SL_ACCESS;
    default: // translation, access
      return R.SL_NOT_PRESENT;
  }
}

function permissionReason(detail: PermissionDetail): number {
  switch (detail) {
    case 'user':
      return R.USER;
    case 'exec':
      return R.EXEC;
    case 'write':
      return R.WRITE;
    case 'supervisor':
      return R.SRE_CLEAR;
    case 'update':
      return R.FL_AD_UPDATE_FAILED;
    default:
      return R.READ;
  }
}
