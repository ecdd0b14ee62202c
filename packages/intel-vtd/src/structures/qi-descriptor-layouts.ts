/**
 * Field tables of the invalidation-queue descriptors (VT-d spec §6.5.2), in their 128-bit form. The type is
 * bits 3:0 with bits 11:9 as type[6:4]. With IQA_REG.DW=1 every descriptor is 256 bits: for types 1–8 the upper
 * 128 bits (qw2, qw3) are reserved; for the page-group response (type 9) they carry private data.
 *
 * Reserved ranges: types 1, 2, 6 and 7 follow the masks QEMU checks (context-cache qw0 0xFFFC_0000_0000_F1C0;
 * IOTLB qw0 0xFFFF_FFFF_0000_F100, qw1 0xF80; PASID-IOTLB qw0 0xFFF0_0000_0000_F1C0, qw1 0xF80; PASID-cache qw0
 * 0xFFF0_0000_0000_F1C0); a quadword with no field at all (qw1 of types 1, 4, 7) is wholly reserved. Types 3,
 * 4, 5, 8 and 9 are derived from their field tables: every bit that is neither a field nor type[6:4] is
 * reserved. Where QEMU is stricter it is because it does not model a field — it treats the wait descriptor's PD
 * (bit 7), the device-TLB descriptors' PFSID and the page-group response's PDP (bit 5) as reserved; this model
 * keeps them as the fields the architecture defines.
 * @packageDocumentation
 */
import { defineStructure } from '@viommu/core';

const TYPE_LO = { name: 'TYPE_LO', hi: 3, lo: 0, doc: 'Descriptor type bits 3:0' } as const;
const TYPE_HI = { name: 'TYPE_HI', hi: 11, lo: 9, doc: 'Descriptor type bits 6:4 (zero for types 1–9)' } as const;
const PAGE_ADDR = { name: 'ADDR', hi: 127, lo: 76, shift: 12, big: true, doc: 'Address (bits 63:12) of the first page to invalidate' } as const;

/** Type 1: context-cache invalidate. */
export const QI_CONTEXT_CACHE_LAYOUT = defineStructure({
  name: 'cc_inv_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    { name: 'G', hi: 5, lo: 4, values: { 1: 'global', 2: 'domain', 3: 'device' }, doc: 'Granularity: 01b global, 10b domain-selective, 11b device-selective; 00b reserved' },
    TYPE_HI,
    { name: 'DID', hi: 31, lo: 16, doc: 'Domain-ID (domain- and device-selective)' },
    { name: 'SID', hi: 47, lo: 32, doc: 'Source-ID (device-selective)' },
    { name: 'FM', hi: 49, lo: 48, values: { 0: 'none', 1: 'mask-bit-2', 2: 'mask-bits-2:1', 3: 'mask-bits-2:0' }, doc: 'Function mask: low SID bits ignored when matching' },
  ],
  reserved: [
    [8, 6],
    [15, 12],
    [63, 50],
    [127, 64],
  ],
});

/** Type 2: IOTLB invalidate. */
export const QI_IOTLB_LAYOUT = defineStructure({
  name: 'iotlb_inv_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    { name: 'G', hi: 5, lo: 4, values: { 1: 'global', 2: 'domain', 3: 'page' }, doc: 'Granularity: 01b global, 10b domain-selective, 11b page-selective within domain; 00b reserved' },
    { name: 'DW', hi: 6, lo: 6, doc: 'Drain writes' },
    { name: 'DR', hi: 7, lo: 7, doc: 'Drain reads' },
    TYPE_HI,
    { name: 'DID', hi: 31, lo: 16, doc: 'Domain-ID' },
    { name: 'AM', hi: 69, lo: 64, doc: 'Address mask: invalidate 2^AM pages aligned at ADDR (page-selective)' },
    { name: 'IH', hi: 70, lo: 70, doc: 'Invalidation hint: only leaf entries changed; paging-structure caches may be kept' },
    PAGE_ADDR,
  ],
  reserved: [
    [8, 8],
    [15, 12],
    [63, 32],
    [75, 71],
  ],
});

/** Type 3: device-TLB invalidate. */
export const QI_DEVICE_TLB_LAYOUT = defineStructure({
  name: 'dev_tlb_inv_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    TYPE_HI,
    { name: 'PFSID_LO', hi: 15, lo: 12, doc: 'Physical-function source-ID bits 3:0 (ECAP.DIT)' },
    { name: 'QDEP', hi: 20, lo: 16, doc: 'Invalidate queue depth of the device (max invalidations pending)' },
    { name: 'SID', hi: 47, lo: 32, doc: 'Source-ID of the device whose device-TLB is invalidated' },
    { name: 'PFSID_HI', hi: 63, lo: 52, doc: 'Physical-function source-ID bits 15:4 (ECAP.DIT)' },
    { name: 'S', hi: 64, lo: 64, doc: 'Size: 0 one page at ADDR; 1 the range encoded by the lowest clear bit of ADDR' },
    PAGE_ADDR,
  ],
  reserved: [
    [8, 4],
    [31, 21],
    [51, 48],
    [75, 65],
  ],
});

/** Type 4: interrupt-entry-cache invalidate. */
export const QI_INTERRUPT_ENTRY_CACHE_LAYOUT = defineStructure({
  name: 'iec_inv_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    { name: 'G', hi: 4, lo: 4, values: { 0: 'index', 1: 'global' }, doc: 'Granularity: 0 index-selective, 1 global' },
    TYPE_HI,
    { name: 'IM', hi: 31, lo: 27, doc: 'Index mask: invalidate 2^IM entries aligned at IIDX' },
    { name: 'IIDX', hi: 47, lo: 32, doc: 'Interrupt index' },
  ],
  reserved: [
    [8, 5],
    [26, 12],
    [63, 48],
    [127, 64],
  ],
});

/** Type 5: invalidation wait. */
export const QI_WAIT_LAYOUT = defineStructure({
  name: 'inv_wait_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    { name: 'IF', hi: 4, lo: 4, doc: 'Interrupt flag: signal completion through ICS_REG.IWC and an event' },
    { name: 'SW', hi: 5, lo: 5, doc: 'Status write: write STDATA to STADDR on completion' },
    { name: 'FN', hi: 6, lo: 6, doc: 'Fence: later descriptors wait for this one' },
    { name: 'PD', hi: 7, lo: 7, doc: 'Page-request drain (ECAP.PDS)' },
    TYPE_HI,
    { name: 'STDATA', hi: 63, lo: 32, doc: 'Status data written to STADDR' },
    { name: 'STADDR', hi: 127, lo: 66, shift: 2, big: true, doc: 'Status address (4-byte aligned)' },
  ],
  reserved: [
    [8, 8],
    [31, 12],
    [65, 64],
  ],
});

/** Type 6: PASID-based IOTLB invalidate. */
export const QI_PASID_IOTLB_LAYOUT = defineStructure({
  name: 'p_iotlb_inv_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    { name: 'G', hi: 5, lo: 4, values: { 2: 'pasid', 3: 'page' }, doc: 'Granularity: 10b all non-global mappings of the PASID, 11b page-selective within the PASID; 00b/01b reserved' },
    TYPE_HI,
    { name: 'DID', hi: 31, lo: 16, doc: 'Domain-ID' },
    { name: 'PASID', hi: 51, lo: 32, doc: 'PASID' },
    { name: 'AM', hi: 69, lo: 64, doc: 'Address mask: invalidate 2^AM pages aligned at ADDR (page-selective)' },
    { name: 'IH', hi: 70, lo: 70, doc: 'Invalidation hint: only leaf entries changed' },
    PAGE_ADDR,
  ],
  reserved: [
    [8, 6],
    [15, 12],
    [63, 52],
    [75, 71],
  ],
});

/** Type 7: PASID-cache invalidate. */
export const QI_PASID_CACHE_LAYOUT = defineStructure({
  name: 'pc_inv_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    { name: 'G', hi: 5, lo: 4, values: { 0: 'domain', 1: 'pasid', 3: 'global' }, doc: 'Granularity: 00b domain-selective, 01b PASID-selective within domain, 11b global; 10b reserved' },
    TYPE_HI,
    { name: 'DID', hi: 31, lo: 16, doc: 'Domain-ID' },
    { name: 'PASID', hi: 51, lo: 32, doc: 'PASID (PASID-selective)' },
  ],
  reserved: [
    [8, 6],
    [15, 12],
    [63, 52],
    [127, 64],
  ],
});

/** Type 8: PASID-based device-TLB invalidate. */
export const QI_PASID_DEVICE_TLB_LAYOUT = defineStructure({
  name: 'p_dev_tlb_inv_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    { name: 'QDEP', hi: 8, lo: 4, doc: 'Invalidate queue depth of the device (max invalidations pending)' },
    TYPE_HI,
    { name: 'PFSID_LO', hi: 15, lo: 12, doc: 'Physical-function source-ID bits 3:0 (ECAP.DIT)' },
    { name: 'SID', hi: 31, lo: 16, doc: 'Source-ID of the device' },
    { name: 'PASID', hi: 51, lo: 32, doc: 'PASID' },
    { name: 'PFSID_HI', hi: 63, lo: 52, doc: 'Physical-function source-ID bits 15:4 (ECAP.DIT)' },
    { name: 'G', hi: 64, lo: 64, doc: 'Global: also invalidate translations the device marked global' },
    { name: 'S', hi: 75, lo: 75, doc: 'Size: 0 one page at ADDR; 1 the range encoded by the lowest clear bit of ADDR' },
    PAGE_ADDR,
  ],
  reserved: [[74, 65]],
});

/** Type 9: page-group response. */
export const QI_PAGE_GROUP_RESPONSE_LAYOUT = defineStructure({
  name: 'page_grp_resp_dsc',
  bits: 128,
  fields: [
    TYPE_LO,
    { name: 'PP', hi: 4, lo: 4, doc: 'PASID present: the response carries PASID' },
    { name: 'PDP', hi: 5, lo: 5, doc: 'Private data present: qw2/qw3 (256-bit descriptors) carry the request private data' },
    TYPE_HI,
    { name: 'RC', hi: 15, lo: 12, values: { 0: 'success', 1: 'invalid-request', 15: 'failure' }, doc: 'Response code: 0 success, 1 invalid request, 0xF response failure' },
    { name: 'RID', hi: 31, lo: 16, doc: 'Requester-ID of the device' },
    { name: 'PASID', hi: 51, lo: 32, doc: 'PASID of the page request group' },
    { name: 'LPIG', hi: 66, lo: 66, doc: 'Last page in group' },
    { name: 'PRGI', hi: 75, lo: 67, doc: 'Page request group index' },
  ],
  reserved: [
    [8, 6],
    [63, 52],
    [65, 64],
    [127, 76],
  ],
});

/** The layout of each descriptor type (1–9). */
export const QI_DESCRIPTOR_LAYOUTS = {
  /** Context-cache invalidate. */
  1: QI_CONTEXT_CACHE_LAYOUT,
  /** IOTLB invalidate. */
  2: QI_IOTLB_LAYOUT,
  /** Device-TLB invalidate. */
  3: QI_DEVICE_TLB_LAYOUT,
  /** Interrupt-entry-cache invalidate. */
  4: QI_INTERRUPT_ENTRY_CACHE_LAYOUT,
  /** Invalidation wait. */
  5: QI_WAIT_LAYOUT,
  /** PASID-based IOTLB invalidate. */
  6: QI_PASID_IOTLB_LAYOUT,
  /** PASID-cache invalidate. */
  7: QI_PASID_CACHE_LAYOUT,
  /** PASID-based device-TLB invalidate. */
  8: QI_PASID_DEVICE_TLB_LAYOUT,
  /** Page-group response. */
  9: QI_PAGE_GROUP_RESPONSE_LAYOUT,
} as const;
