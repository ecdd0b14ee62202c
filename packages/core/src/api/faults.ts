/**
 * Generic fault reporting as the merged uapi defined it: unrecoverable faults with a reason, and page
 * requests answered by a page response. Every vendor fault converts to a {@link GenericFault} that keeps
 * the vendor's own architected record.
 * @packageDocumentation
 */

/**
 * Why an unrecoverable fault happened (`IOMMU_FAULT_REASON_*`):
 * - `unknown`: none of the others;
 * - `pasid-fetch`: the PASID table / CD could not be fetched;
 * - `bad-pasid-entry`: the PASID entry / CD is invalid or has reserved bits set;
 * - `pasid-invalid`: the PASID is out of range or not enabled;
 * - `walk-eabt`: an external abort while walking page tables;
 * - `pte-fetch`: a page-table entry could not be fetched (not present, reserved, or stage-2 fault on the fetch);
 * - `permission`: the access is not permitted;
 * - `access`: the access flag is clear;
 * - `oor-address`: the address is out of range (address size).
 */
export type FaultReason =
  | 'unknown'
  | 'pasid-fetch'
  | 'bad-pasid-entry'
  | 'pasid-invalid'
  | 'walk-eabt'
  | 'pte-fetch'
  | 'permission'
  | 'access'
  | 'oor-address';

/** Permission bits of a fault or page request (`IOMMU_FAULT_PERM_*`); equal to the {@link Access} bits. */
export const FaultPerm = {
  /** Read. */
  READ: 1,
  /** Write. */
  WRITE: 2,
  /** Execute. */
  EXEC: 4,
  /** Privileged. */
  PRIV: 8,
} as const;

/** The vendor's own view of a fault: its architected name, code and record. */
export interface VendorFaultRecord {
  /** The vendor model name (`arm-smmuv3`, `intel-vtd`). */
  readonly model: string;
  /** Architected name, e.g. `F_TRANSLATION`, or VT-d `SL_PTE_NOT_PRESENT`-style name. */
  readonly name: string;
  /** Architected code: SMMUv3 event type, VT-d fault reason. */
  readonly code: number;
  /** The architected record's words (SMMUv3 32-byte event, VT-d 128-bit fault record). */
  readonly record: Uint32Array;
}

/** An unrecoverable fault (`iommu_fault_unrecoverable`). */
export interface GenericFault {
  /** Why. */
  readonly reason: FaultReason;
  /** The PASID / SubstreamID of the request, when it had one. */
  readonly pasid?: number | undefined;
  /** The faulting address (the request's input address), when known. */
  readonly addr?: bigint | undefined;
  /** {@link FaultPerm} bits of the request. */
  readonly perm: number;
  /** Address of the descriptor whose fetch failed, when known. */
  readonly fetchAddr?: bigint | undefined;
  /** The vendor record this fault came from. */
  readonly vendor: VendorFaultRecord;
}

/** A page request (`iommu_fault_page_request`): the device asks the OS to make a page present. */
export interface PageRequest {
  /** The PASID, when the request carried one. */
  readonly pasid?: number | undefined;
  /** Page request group index. */
  readonly group: number;
  /** {@link FaultPerm} bits requested. */
  readonly perm: number;
  /** Page address. */
  readonly addr: bigint;
  /** Last request of the group. */
  readonly last: boolean;
}

/** Response codes of a page response (`IOMMU_PAGE_RESP_*`). */
export type PageResponseCode = 'success' | 'invalid' | 'failure';

/** A page response (`iommu_page_response`). */
export interface PageResponse {
  /** The PASID of the request group, when it had one. */
  pasid?: number | undefined;
  /** The group answered. */
  group: number;
  /** The answer. */
  code: PageResponseCode;
}

/** A per-device handler for unrecoverable faults and page requests. */
export interface FaultHandler {
  /** Called for each unrecoverable fault reported on the device. */
  onFault?(fault: GenericFault): void;
  /** Called for each page request; answer it with `pageResponse`. */
  onPageRequest?(request: PageRequest): void;
}
