/**
 * Field specifications shared by the command layouts [SPEC 4.1.6, 4.2–4.7]. Bit numbers are absolute within
 * the 16-byte command (bit 64 is bit 0 of the second doubleword). Each constant is a `FieldSpec` (from `@viommu/core`) literal:
 * `name` is the key of the field in {@link decodeCommand} results and {@link encodeCommand} input, `hi`/`lo`
 * the inclusive bit range, `shift` and `big` how an address field is scaled and typed, `values` the names of
 * its encodings and `doc` the text `viommu decode` prints.
 * @packageDocumentation
 */

/** Opcode [7:0]. */
export const CMD_OPCODE = {
  /** Key `Opcode`; implied by the command name, so decoded commands omit it and encoding rejects it. */
  name: 'Opcode',
  /** Bit 7, top of the opcode byte. */
  hi: 7,
  /** Bit 0: the opcode is the first byte of the command. */
  lo: 0,
  /** Printed by `viommu decode`. */
  doc: 'Command opcode.',
} as const;
/** SSec [10]: Secure StreamID (must be 0 on the Non-secure queue). */
export const CMD_SSEC = {
  /** Key `SSec` (Secure StreamID). */
  name: 'SSec',
  /** Single-bit field: bit 10. */
  hi: 10,
  /** Single-bit field: bit 10. */
  lo: 10,
  /** Encodings of SSec. */
  values: {
    /** The StreamID is Non-secure: the only legal value on the Non-secure Command queue. */
    0: 'Non-secure StreamID',
    /** The StreamID is Secure; on the Non-secure queue this is CERROR_ILL (`SSEC_ON_NON_SECURE_QUEUE`). */
    1: 'Secure StreamID',
  },
  /** Printed by `viommu decode`. */
  doc: 'StreamID Security state; must be 0 on the Non-secure Command queue.',
} as const;
/** SSV [11]. */
export const CMD_SSV = {
  /** Key `SSV` (SubstreamID valid). */
  name: 'SSV',
  /** Single-bit field: bit 11. */
  hi: 11,
  /** Single-bit field: bit 11. */
  lo: 11,
  /** Encodings of SSV. */
  values: {
    /** The command applies to non-substream state; SubstreamID is ignored. */
    0: 'no SubstreamID',
    /** SubstreamID [31:12] qualifies the command. */
    1: 'SubstreamID valid',
  },
  /** Printed by `viommu decode`. */
  doc: 'SubstreamID supplied.',
} as const;
/** SubstreamID [31:12]. */
export const CMD_SUBSTREAM_ID = {
  /** Key `SubstreamID` (the PASID on PCIe). */
  name: 'SubstreamID',
  /** Bit 31: SubstreamIDs are up to 20 bits. */
  hi: 31,
  /** Bit 12. */
  lo: 12,
  /** Printed by `viommu decode`. */
  doc: 'SubstreamID (with SSV, or the CD index for CMD_CFGI_CD).',
} as const;
/** StreamID [63:32]. */
export const CMD_STREAM_ID = {
  /** Key `StreamID`. */
  name: 'StreamID',
  /** Bit 63: the StreamID is the whole upper word of the first doubleword. */
  hi: 63,
  /** Bit 32. */
  lo: 32,
  /** Printed by `viommu decode`. */
  doc: 'StreamID.',
} as const;
/** Leaf [64]. */
export const CMD_LEAF = {
  /** Key `Leaf`. */
  name: 'Leaf',
  /** Single-bit field: bit 64 (bit 0 of the second doubleword). */
  hi: 64,
  /** Single-bit field: bit 64. */
  lo: 64,
  /** Encodings of Leaf. */
  values: {
    /** Invalidate entries at every level (CFGI: the L1STD or L1CD too; TLBI: walk caches too). */
    0: 'all levels',
    /** Invalidate only last-level entries. */
    1: 'last level only',
  },
  /** Printed by `viommu decode`. */
  doc: 'Leaf == 1 limits the invalidation to the last-level entry (CFGI: not the L1STD/L1CD).',
} as const;
/** Range [68:64] of CMD_CFGI_STE_RANGE. */
export const CMD_RANGE = {
  /** Key `Range`; see {@link cfgiSteRange} for the StreamIDs it covers. */
  name: 'Range',
  /** Bit 68: Range is 5 bits (0..31). */
  hi: 68,
  /** Bit 64. */
  lo: 64,
  /** Printed by `viommu decode`. */
  doc: 'Invalidate 2^(Range+1) StreamIDs aligned to their size; 31 = all (CMD_CFGI_ALL).',
} as const;
/** NUM [16:12] of range TLBIs. */
export const CMD_NUM = {
  /** Key `NUM`: number of granules minus one, with SCALE [SPEC 4.4.1.1]. */
  name: 'NUM',
  /** Bit 16: NUM is 5 bits (1..32 granules before scaling). */
  hi: 16,
  /** Bit 12. */
  lo: 12,
  /** Printed by `viommu decode`. */
  doc: 'Range invalidation: (NUM+1) × 2^SCALE granules (RES0 when TG == 0).',
} as const;
/** SCALE [25:20] of range TLBIs; bit 25 is RES0 without SMMU_IDR5.DS. */
export const CMD_SCALE = {
  /** Key `SCALE`: power-of-two multiplier of a range invalidation [SPEC 4.4.1.1]. */
  name: 'SCALE',
  /** Bit 25, which only SMMUs with SMMU_IDR5.DS implement; otherwise RES0 (CERROR_ILL when set). */
  hi: 25,
  /** Bit 20. */
  lo: 20,
  /** Printed by `viommu decode`. */
  doc: 'Range invalidation scale; 5 bits [24:20] unless SMMU_IDR5.DS (RES0 when TG == 0).',
} as const;
/** VMID [47:32]. */
export const CMD_VMID = {
  /** Key `VMID`: the stage 2 context (STE.S2VMID) the invalidation applies to. */
  name: 'VMID',
  /** Bit 47: 16-bit VMID, bits [47:40] RES0 without SMMU_IDR0.VMID16. */
  hi: 47,
  /** Bit 32. */
  lo: 32,
  /** Printed by `viommu decode`. */
  doc: 'VMID (upper byte RES0 without SMMU_IDR0.VMID16).',
} as const;
/** ASID [63:48]. */
export const CMD_ASID = {
  /** Key `ASID`: the stage 1 context (CD.ASID) the invalidation applies to. */
  name: 'ASID',
  /** Bit 63: 16-bit ASID, bits [63:56] RES0 without SMMU_IDR0.ASID16. */
  hi: 63,
  /** Bit 48. */
  lo: 48,
  /** Printed by `viommu decode`. */
  doc: 'ASID (upper byte RES0 without SMMU_IDR0.ASID16).',
} as const;
/** TTL [73:72]. */
export const CMD_TTL = {
  /** Key `TTL`: translation table level hint (0 = any level) [SPEC 4.4.1.1]. */
  name: 'TTL',
  /** Bit 73. */
  hi: 73,
  /** Bit 72. */
  lo: 72,
  /** Printed by `viommu decode`. */
  doc: 'Level hint of the leaf entries (RES0 when TG == 0).',
} as const;
/** TG [75:74]. */
export const CMD_TG = {
  /** Key `TG`: translation granule of a range or TTL-hinted invalidation [SPEC 4.4.1.1]. */
  name: 'TG',
  /** Bit 75. */
  hi: 75,
  /** Bit 74. */
  lo: 74,
  /** Encodings of TG (note: not the CD.TG0 or STE.S2TG encoding). */
  values: {
    /** No range and no level hint: NUM, SCALE and TTL must be 0. */
    0: 'any (no range, no TTL)',
    /** 4KB granule. */
    1: '4KB',
    /** 16KB granule. */
    2: '16KB',
    /** 64KB granule. */
    3: '64KB',
  },
  /** Printed by `viommu decode`. */
  doc: 'Granule of the entries to invalidate; non-zero enables range invalidation and the TTL hint.',
} as const;
/** Address[63:12] at [127:76] (VA commands). */
export const CMD_VA = {
  /** Key `Address`: the VA to invalidate, decoded as a byte address (`bigint`). */
  name: 'Address',
  /** Bit 127 holds VA[63]. */
  hi: 127,
  /** Bit 76 holds VA[12]; VA[11:0] are not encoded (page aligned). */
  lo: 76,
  /** The field holds VA[63:12]: decoded value = field × 2^12. */
  shift: 12,
  /** 52 field bits + 12 shift exceed 53 bits, so the value is a `bigint`. */
  big: true,
  /** Printed by `viommu decode`. */
  doc: 'Virtual address, bits [63:12].',
} as const;
/** IPA[51:12] at [115:76] (CMD_TLBI_S2_IPA). */
export const CMD_IPA = {
  /** Key `Address`: the IPA to invalidate, decoded as a byte address (`number`). */
  name: 'Address',
  /** Bit 115 holds IPA[51]; bits [127:116] are RES0. */
  hi: 115,
  /** Bit 76 holds IPA[12]; IPA[11:0] are not encoded (page aligned). */
  lo: 76,
  /** The field holds IPA[51:12]: decoded value = field × 2^12. */
  shift: 12,
  /** Printed by `viommu decode`. */
  doc: 'IPA, bits [51:12].',
} as const;
