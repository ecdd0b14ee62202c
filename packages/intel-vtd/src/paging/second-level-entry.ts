/**
 * Bits of a VT-d second-level paging entry (SL-PML5E … SL-PTE), VT-d spec §3.7 and §9.8, with the reserved
 * masks QEMU's model uses (`VTD_SPTE_*_RSVD_MASK`), which agree with the spec: IGN = bits 61:52 and 63 are
 * ignored, TM [62] is reserved (the spec dropped Transient Mapping in rev 3.2).
 * @packageDocumentation
 */

/** Low-word bits of a second-level entry. */
export const SL = {
  /** R [0]: read allowed. An entry with R = W = 0 (and X = 0 when execute is enforced) is not present. */
  R: 1 << 0,
  /** W [1]: write allowed. */
  W: 1 << 1,
  /** X [2]: execute allowed — honoured only with SLEE = 1 (execute requests, ECAP.ERS); ignored otherwise. */
  X: 1 << 2,
  /** EMT [5:3] and IPAT [6] of a leaf (memory type, used with EMTE); reported as `attrs`. */
  MEMORY_TYPE_MASK: 0x78,
  /** PS [7]: page size — a 2 MiB (PDE) or 1 GiB (PDPE) leaf when CAP.SLLPS allows; reserved in PML4E/PML5E. */
  PS: 1 << 7,
  /** A [8]: accessed; set by hardware in every entry used when SLADE = 1, ignored otherwise. */
  A: 1 << 8,
  /** D [9]: dirty; set by hardware in the leaf on a write when SLADE = 1, ignored otherwise. */
  D: 1 << 9,
  /** SNP [11]: snoop behaviour of a leaf; reserved in non-leaf entries and, unless snoop control applies, in leaves. */
  SNP: 1 << 11,
  /** Bits 20:12 of a 2 MiB leaf: reserved. */
  RESERVED_2M: 0x001f_f000,
  /** Bits 29:12 of a 1 GiB leaf: reserved. */
  RESERVED_1G: 0x3fff_f000,
} as const;

/** High-word bits of a second-level entry. */
export const SL_HI = {
  /** TM [62]: transient mapping (spec ≤ 3.1, device-TLB); reserved since rev 3.2. */
  TM: 1 << 30,
  /** Ignored bits 61:52 and 63 (QEMU `VTD_SL_IGN_COM` = 0xbff0_0000_0000_0000), within the high word. */
  IGNORED: 0xbff0_0000,
} as const;
