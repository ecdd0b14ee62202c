/**
 * VT-d fault reasons (the FR field of a fault record): every legacy-mode code 0x1–0xE and every scalable-mode
 * code 0x30–0x91, each with a stable name, the specification's fault-condition code where known, a
 * description, and whether it is *qualified* — recorded only when the FPD bit of the context entry (and, in
 * scalable mode, of the PASID-directory and PASID-table entries) used for the request is 0.
 *
 * Sources: VT-d spec §7.1.3 (fault conditions); codes and meanings as QEMU `VTDFaultReason` and Linux
 * `dma_remap_fault_reasons` / `dma_remap_sm_fault_reasons` list them; condition codes (LRT.1, SCT.3…) as
 * VirtualBox's spec-derived `VTDADDRFAULT` lists them.
 *
 * Qualification rule: a fault is non-qualified when it is detected before any FPD bit could be read — every
 * root-table-address, root-entry and root-table fault — or when the structure holding the FPD bit itself could
 * not be fetched (context-table, PASID-directory and PASID-table access errors). Every other condition is
 * qualified, including a not-present context/PASID entry (the spec evaluates FPD irrespective of P) and
 * paging-entry access errors. This matches QEMU's `vtd_qualified_faults` table for every code QEMU models.
 * @packageDocumentation
 */

/** Fault reason codes by stable name. Values are the architected FR field values. */
export const VtdFaultReason = {
  // Legacy mode (§7.1.3, legacy fault conditions).
  /** LRT.2 — the root entry's P bit is 0. */
  ROOT_ENTRY_NOT_PRESENT: 0x01,
  /** LCT.2 — the context entry's P bit is 0. */
  CONTEXT_ENTRY_NOT_PRESENT: 0x02,
  /** LCT.4 — invalid programming of a context entry (TT reserved or unsupported, AW not in SAGAW). */
  CONTEXT_ENTRY_INVALID: 0x03,
  /** LGN.1 — the input address is above 2^min(MGAW, AGAW) − 1. */
  ADDRESS_BEYOND_MGAW: 0x04,
  /** LGN.2 — write request to a page without write permission. */
  WRITE_DENIED: 0x05,
  /** LGN.3 — read request to a page without read permission. */
  READ_DENIED: 0x06,
  /** LSL.1 — error accessing a second-level paging entry (invalid next-table pointer). */
  PAGING_ENTRY_ACCESS_ERROR: 0x07,
  /** LRT.1 — error accessing the root table (RTADDR). */
  ROOT_TABLE_ACCESS_ERROR: 0x08,
  /** LCT.1 — error accessing the context table (root entry CTP). */
  CONTEXT_TABLE_ACCESS_ERROR: 0x09,
  /** LRT.3 — non-zero reserved field in a present root entry. */
  ROOT_ENTRY_RESERVED: 0x0a,
  /** LCT.3 — non-zero reserved field in a present context entry. */
  CONTEXT_ENTRY_RESERVED: 0x0b,
  /** LSL.2 — non-zero reserved field in a present second-level paging entry. */
  PAGING_ENTRY_RESERVED: 0x0c,
  /** LCT.5 — the request is blocked by the context entry's TT field (e.g. a translation request without TT=01). */
  TRANSLATION_TYPE_BLOCKED: 0x0d,
  /** LGN.4 — the translated address lies in the interrupt address range 0xFEEx_xxxx. */
  INTERRUPT_ADDRESS: 0x0e,

  // Scalable mode (§7.1.3, scalable-mode fault conditions).
  /** RTA.1 — invalid root table address / translation-table mode in RTADDR_REG. */
  SM_ROOT_TABLE_ADDRESS_INVALID: 0x30,
  /** RTA.2 — request with PASID while RTADDR_REG.TTM selects legacy mode. */
  SM_TTM_LEGACY_PASID_REQUEST: 0x31,
  /** RTA.3 — page request while RTADDR_REG.TTM selects legacy mode (Linux's table; not in the reference sheet). */
  SM_TTM_LEGACY_PAGE_REQUEST: 0x32,
  /** SRT.1 — error accessing the scalable-mode root entry. */
  SM_ROOT_ENTRY_ACCESS_ERROR: 0x38,
  /** SRT.2 — the LP/UP bit of the root entry half used is 0. */
  SM_ROOT_ENTRY_NOT_PRESENT: 0x39,
  /** SRT.3 — non-zero reserved field in a present scalable-mode root entry. */
  SM_ROOT_ENTRY_RESERVED: 0x3a,
  /** SCT.1 — error accessing the scalable-mode context entry. */
  SM_CONTEXT_ENTRY_ACCESS_ERROR: 0x40,
  /** SCT.2 — the scalable-mode context entry's P bit is 0. */
  SM_CONTEXT_ENTRY_NOT_PRESENT: 0x41,
  /** SCT.3 — non-zero reserved field in a present scalable-mode context entry. */
  SM_CONTEXT_ENTRY_RESERVED: 0x42,
  /** SCT.4 — invalid programming of a scalable-mode context entry (e.g. RID_PASID beyond the PDTS limit). */
  SM_CONTEXT_ENTRY_INVALID: 0x43,
  /** SCT.5 — translation request (ATS) while the context entry's DTE is 0. */
  SM_DTE_CLEAR: 0x44,
  /** SCT.6 — request with PASID while the context entry's PASIDE is 0. */
  SM_PASIDE_CLEAR: 0x45,
  /** SCT.7 — the PASID is beyond the limit the context entry's PDTS allows. */
  SM_PASID_BEYOND_CONTEXT_LIMIT: 0x46,
  /** SCT.8 — page request while the context entry's PRE is 0. */
  SM_PRE_CLEAR: 0x47,
  /** SCT.9 — error in the context entry's RID_PASID field. */
  SM_RID_PASID_ERROR: 0x48,
  /** SPD.1 — error accessing the PASID-directory entry. */
  SM_PASID_DIR_ACCESS_ERROR: 0x50,
  /** SPD.2 — the PASID-directory entry's P bit is 0. */
  SM_PASID_DIR_NOT_PRESENT: 0x51,
  /** SPD.3 — non-zero reserved field in a present PASID-directory entry. */
  SM_PASID_DIR_RESERVED: 0x52,
  /** SPT.1 — error accessing the PASID-table entry. */
  SM_PASID_ENTRY_ACCESS_ERROR: 0x58,
  /** SPT.2 — the PASID-table entry's P bit is 0. */
  SM_PASID_ENTRY_NOT_PRESENT: 0x59,
  /** SPT.3 — non-zero reserved field in a present PASID-table entry. */
  SM_PASID_ENTRY_RESERVED: 0x5a,
  /** SPT.4 — invalid programming of a PASID-table entry (PGTT reserved or unsupported, AW/FLPM unsupported). */
  SM_PASID_ENTRY_INVALID: 0x5b,
  /** SPT.5 — execute request while the PASID entry's ERE is 0. */
  SM_ERE_CLEAR: 0x5c,
  /** SPT.6 — supervisor request while the PASID entry's SRE is 0. */
  SM_SRE_CLEAR: 0x5d,
  /** SFL.1 — error accessing a first-level paging entry. */
  SM_FL_ENTRY_ACCESS_ERROR: 0x70,
  /** SFL.2 — a first-level paging entry's P bit is 0. */
  SM_FL_ENTRY_NOT_PRESENT: 0x71,
  /** SFL.3 — non-zero reserved field in a present first-level paging entry. */
  SM_FL_ENTRY_RESERVED: 0x72,
  /** SFL.4 — error accessing the FL-PML4/PML5 entry (pointed to by FLPTPTR). */
  SM_FL_ROOT_ACCESS_ERROR: 0x73,
  /** SFL.5 — nested: a first-level structure address (FLPTPTR or a table pointer) is beyond MGAW. */
  SM_FL_ADDRESS_BEYOND_MGAW: 0x74,
  /** SFL.6 — nested: no read permission at second level for the FL-PML4/PML5 entry. */
  SM_FL_ROOT_READ_DENIED: 0x75,
  /** SFL.7 — nested: no read permission at second level for a first-level paging entry. */
  SM_FL_ENTRY_READ_DENIED: 0x76,
  /** SFL.8 — nested: no write permission at second level to update A/D in a first-level paging entry. */
  SM_FL_ENTRY_WRITE_DENIED: 0x77,
  /** SSL.1 — error accessing a second-level paging entry. */
  SM_SL_ENTRY_ACCESS_ERROR: 0x78,
  /** SSL.2 — second-level permission error (R=W=0 in an entry, or the accumulated rights deny the access). */
  SM_SL_PERMISSION_ERROR: 0x79,
  /** SSL.3 — non-zero reserved field in a present second-level paging entry. */
  SM_SL_ENTRY_RESERVED: 0x7a,
  /** SSL.4 — invalid second-level table pointer (error accessing the table SLPTPTR points to). */
  SM_SLPTPTR_INVALID: 0x7b,
  /** SSL.5 — A/D update needed in a second-level entry while page walks do not snoop (Linux's table). */
  SM_SL_AD_UPDATE_NO_SNOOP: 0x7c,
  /** SGN.1 — the first-level input address is not canonical. */
  SM_NON_CANONICAL: 0x80,
  /** SGN.2 — user request to a first-level page with U/S=0 at some level. */
  SM_USER_DENIED: 0x81,
  /** SGN.3 — execute request without execute permission. */
  SM_EXECUTE_DENIED: 0x82,
  /** SGN.4 — the input address is beyond the hardware maximum. */
  SM_ADDRESS_BEYOND_MAX: 0x83,
  /** SGN.5 — the second-level input address is beyond 2^min(MGAW, AGAW) − 1. */
  SM_SL_ADDRESS_BEYOND_MAX: 0x84,
  /** SGN.6 — write or AtomicOp request without write permission. */
  SM_WRITE_DENIED: 0x85,
  /** SGN.7 — read or AtomicOp request without read permission. */
  SM_READ_DENIED: 0x86,
  /** SGN.8 — the translated address lies in the interrupt address range. */
  SM_INTERRUPT_ADDRESS: 0x87,
  /** SFL.9 — A/D update needed in a first-level entry while page walks do not snoop (Linux's table). */
  SM_FL_AD_UPDATE_NO_SNOOP: 0x90,
  /** SFL.10 — hardware failed to update the A/D (or EA) flags of a first-level entry. */
  SM_FL_AD_UPDATE_FAILED: 0x91,
} as const;

/** A stable fault-reason name, e.g. `SM_PASID_ENTRY_RESERVED`. */
export type VtdFaultReasonName = keyof typeof VtdFaultReason;
/** An architected fault-reason code (the FR field value). */
export type VtdFaultReasonCode = (typeof VtdFaultReason)[VtdFaultReasonName];

/** One row of the fault-reason table. */
export interface VtdFaultReasonInfo {
  /** The FR field value. */
  readonly code: VtdFaultReasonCode;
  /** Stable name (a key of {@link VtdFaultReason}). */
  readonly name: VtdFaultReasonName;
  /** The specification's fault-condition code, e.g. `SCT.3`. */
  readonly condition: string;
  /** Which translation mode reports it. */
  readonly mode: 'legacy' | 'scalable';
  /** True when FPD=1 suppresses recording (see the module comment for the rule). */
  readonly qualified: boolean;
  /** What happened, in words. */
  readonly description: string;
}

type Row = readonly [VtdFaultReasonName, string, boolean, string];

/** [name, condition, qualified, description] — the code and mode follow from the name. */
const ROWS: readonly Row[] = [
  ['ROOT_ENTRY_NOT_PRESENT', 'LRT.2', false, 'Present (P) bit of the root entry is clear'],
  ['CONTEXT_ENTRY_NOT_PRESENT', 'LCT.2', true, 'Present (P) bit of the context entry is clear'],
  ['CONTEXT_ENTRY_INVALID', 'LCT.4', true, 'Invalid programming of a context entry (TT or AW)'],
  ['ADDRESS_BEYOND_MGAW', 'LGN.1', true, 'Input address beyond the guest address width (MGAW/AGAW)'],
  ['WRITE_DENIED', 'LGN.2', true, 'Write request without write permission'],
  ['READ_DENIED', 'LGN.3', true, 'Read request without read permission'],
  ['PAGING_ENTRY_ACCESS_ERROR', 'LSL.1', true, 'Error accessing a second-level paging entry (invalid next-table pointer)'],
  ['ROOT_TABLE_ACCESS_ERROR', 'LRT.1', false, 'Error accessing the root table'],
  ['CONTEXT_TABLE_ACCESS_ERROR', 'LCT.1', false, 'Error accessing the context table'],
  ['ROOT_ENTRY_RESERVED', 'LRT.3', false, 'Non-zero reserved field in a present root entry'],
  ['CONTEXT_ENTRY_RESERVED', 'LCT.3', true, 'Non-zero reserved field in a present context entry'],
  ['PAGING_ENTRY_RESERVED', 'LSL.2', true, 'Non-zero reserved field in a present second-level paging entry'],
  ['TRANSLATION_TYPE_BLOCKED', 'LCT.5', true, 'Request blocked by the context entry Translation Type (TT)'],
  ['INTERRUPT_ADDRESS', 'LGN.4', true, 'Translated address in the interrupt address range'],
  ['SM_ROOT_TABLE_ADDRESS_INVALID', 'RTA.1', false, 'Invalid root table address or translation-table mode'],
  ['SM_TTM_LEGACY_PASID_REQUEST', 'RTA.2', false, 'Request with PASID while TTM selects legacy mode'],
  ['SM_TTM_LEGACY_PAGE_REQUEST', 'RTA.3', false, 'Page request while TTM selects legacy mode'],
  ['SM_ROOT_ENTRY_ACCESS_ERROR', 'SRT.1', false, 'Error accessing the scalable-mode root entry'],
  ['SM_ROOT_ENTRY_NOT_PRESENT', 'SRT.2', false, 'Present (LP/UP) bit of the scalable-mode root entry is clear'],
  ['SM_ROOT_ENTRY_RESERVED', 'SRT.3', false, 'Non-zero reserved field in a present scalable-mode root entry'],
  ['SM_CONTEXT_ENTRY_ACCESS_ERROR', 'SCT.1', false, 'Error accessing the scalable-mode context entry'],
  ['SM_CONTEXT_ENTRY_NOT_PRESENT', 'SCT.2', true, 'Present (P) bit of the scalable-mode context entry is clear'],
  ['SM_CONTEXT_ENTRY_RESERVED', 'SCT.3', true, 'Non-zero reserved field in a present scalable-mode context entry'],
  ['SM_CONTEXT_ENTRY_INVALID', 'SCT.4', true, 'Invalid programming of a scalable-mode context entry'],
  ['SM_DTE_CLEAR', 'SCT.5', true, 'Translation request while DTE is clear in the context entry'],
  ['SM_PASIDE_CLEAR', 'SCT.6', true, 'Request with PASID while PASIDE is clear in the context entry'],
  ['SM_PASID_BEYOND_CONTEXT_LIMIT', 'SCT.7', true, 'PASID larger than the context entry PDTS allows'],
  ['SM_PRE_CLEAR', 'SCT.8', true, 'Page request while PRE is clear in the context entry'],
  ['SM_RID_PASID_ERROR', 'SCT.9', true, 'RID_PASID field error in the context entry'],
  ['SM_PASID_DIR_ACCESS_ERROR', 'SPD.1', false, 'Error accessing the PASID-directory entry'],
  ['SM_PASID_DIR_NOT_PRESENT', 'SPD.2', true, 'Present (P) bit of the PASID-directory entry is clear'],
  ['SM_PASID_DIR_RESERVED', 'SPD.3', true, 'Non-zero reserved field in a present PASID-directory entry'],
  ['SM_PASID_ENTRY_ACCESS_ERROR', 'SPT.1', false, 'Error accessing the PASID-table entry'],
  ['SM_PASID_ENTRY_NOT_PRESENT', 'SPT.2', true, 'Present (P) bit of the PASID-table entry is clear'],
  ['SM_PASID_ENTRY_RESERVED', 'SPT.3', true, 'Non-zero reserved field in a present PASID-table entry'],
  ['SM_PASID_ENTRY_INVALID', 'SPT.4', true, 'Invalid programming of a PASID-table entry (PGTT, AW, FLPM)'],
  ['SM_ERE_CLEAR', 'SPT.5', true, 'Execute request while ERE is clear in the PASID-table entry'],
  ['SM_SRE_CLEAR', 'SPT.6', true, 'Supervisor request while SRE is clear in the PASID-table entry'],
  ['SM_FL_ENTRY_ACCESS_ERROR', 'SFL.1', true, 'Error accessing a first-level paging entry'],
  ['SM_FL_ENTRY_NOT_PRESENT', 'SFL.2', true, 'Present (P) bit of a first-level paging entry is clear'],
  ['SM_FL_ENTRY_RESERVED', 'SFL.3', true, 'Non-zero reserved field in a present first-level paging entry'],
  ['SM_FL_ROOT_ACCESS_ERROR', 'SFL.4', true, 'Error accessing the FL-PML4/PML5 entry'],
  ['SM_FL_ADDRESS_BEYOND_MGAW', 'SFL.5', true, 'Nested: first-level structure address beyond MGAW'],
  ['SM_FL_ROOT_READ_DENIED', 'SFL.6', true, 'Nested: no second-level read permission for the FL-PML4/PML5 entry'],
  ['SM_FL_ENTRY_READ_DENIED', 'SFL.7', true, 'Nested: no second-level read permission for a first-level entry'],
  ['SM_FL_ENTRY_WRITE_DENIED', 'SFL.8', true, 'Nested: no second-level write permission to update a first-level entry'],
  ['SM_SL_ENTRY_ACCESS_ERROR', 'SSL.1', true, 'Error accessing a second-level paging entry'],
  ['SM_SL_PERMISSION_ERROR', 'SSL.2', true, 'Read/write permission error in second-level paging entries'],
  ['SM_SL_ENTRY_RESERVED', 'SSL.3', true, 'Non-zero reserved field in a present second-level paging entry'],
  ['SM_SLPTPTR_INVALID', 'SSL.4', true, 'Invalid second-level page-table pointer'],
  ['SM_SL_AD_UPDATE_NO_SNOOP', 'SSL.5', true, 'A/D update needed in a second-level entry while page walks do not snoop'],
  ['SM_NON_CANONICAL', 'SGN.1', true, 'First-level input address is not canonical'],
  ['SM_USER_DENIED', 'SGN.2', true, 'User request to a first-level page with U/S clear'],
  ['SM_EXECUTE_DENIED', 'SGN.3', true, 'Execute request without execute permission'],
  ['SM_ADDRESS_BEYOND_MAX', 'SGN.4', true, 'Input address beyond the hardware maximum'],
  ['SM_SL_ADDRESS_BEYOND_MAX', 'SGN.5', true, 'Second-level input address beyond the maximum'],
  ['SM_WRITE_DENIED', 'SGN.6', true, 'Write or AtomicOp request without write permission'],
  ['SM_READ_DENIED', 'SGN.7', true, 'Read or AtomicOp request without read permission'],
  ['SM_INTERRUPT_ADDRESS', 'SGN.8', true, 'Translated address in the interrupt address range'],
  ['SM_FL_AD_UPDATE_NO_SNOOP', 'SFL.9', true, 'A/D update needed in a first-level entry while page walks do not snoop'],
  ['SM_FL_AD_UPDATE_FAILED', 'SFL.10', true, 'Hardware failed to update A/D flags in a first-level entry'],
];

/** The full fault-reason table, ordered by code. */
export const VTD_FAULT_REASONS: readonly VtdFaultReasonInfo[] = ROWS.map(([name, condition, qualified, description]) => ({
  code: VtdFaultReason[name],
  name,
  condition,
  mode: VtdFaultReason[name] < 0x30 ? ('legacy' as const) : ('scalable' as const),
  qualified,
  description,
}));

const BY_CODE = new Map<number, VtdFaultReasonInfo>(VTD_FAULT_REASONS.map((r) => [r.code, r]));

/** The table row for an FR value, or `undefined` for a code this model does not define. */
export function faultReasonInfo(code: number): VtdFaultReasonInfo | undefined {
  return BY_CODE.get(code);
}

/**
 * True when a fault with this reason is qualified (FPD=1 suppresses its recording). Unknown codes are treated
 * as non-qualified, so they are always recorded.
 */
export function isQualifiedFault(code: number): boolean {
  return BY_CODE.get(code)?.qualified ?? false;
}
