/**
 * Field specifications shared by the event record layouts [SPEC 7.3]. Bit numbers are absolute within the
 * 32-byte record (bit 64 is bit 0 of the second doubleword). Each constant is a `FieldSpec` (from
 * `@viommu/core`) literal: `name` is the key of the field in {@link decodeEvent} results and
 * {@link encodeEvent} input, `hi`/`lo` the inclusive bit range, `shift` and `big` how an address field is
 * scaled and typed, `values` the names of its encodings and `doc` the text `viommu decode` prints.
 * @packageDocumentation
 */

/** Type [7:0]: the event code. */
export const EV_TYPE = {
  /** Key `Type`; implied by the event name, so decoded records omit it and encoding sets it. */
  name: 'Type',
  /** Bit 7, top of the first byte. */
  hi: 7,
  /** Bit 0: the event code ({@link EVENT_CODES}) is the first byte of the record. */
  lo: 0,
  /** Printed by `viommu decode`. */
  doc: 'Event type code.',
} as const;
/** SSV [11]: SubstreamID valid. */
export const EV_SSV = {
  /** Key `SSV` (SubstreamID valid). */
  name: 'SSV',
  /** Single-bit field: bit 11. */
  hi: 11,
  /** Single-bit field: bit 11. */
  lo: 11,
  /** Encodings of SSV. */
  values: {
    /** The transaction had no SubstreamID; SubstreamID [31:12] is 0. */
    0: 'no SubstreamID',
    /** SubstreamID [31:12] holds the transaction's SubstreamID. */
    1: 'SubstreamID valid',
  },
  /** Printed by `viommu decode`. */
  doc: 'SubstreamID valid.',
} as const;
/** SubstreamID [31:12]. */
export const EV_SUBSTREAM_ID = {
  /** Key `SubstreamID` (the PASID on PCIe). */
  name: 'SubstreamID',
  /** Bit 31: SubstreamIDs are up to 20 bits. */
  hi: 31,
  /** Bit 12. */
  lo: 12,
  /** Printed by `viommu decode`. */
  doc: 'SubstreamID of the transaction (valid when SSV == 1).',
} as const;
/** SubstreamID [31:12] of C_BAD_SUBSTREAMID, which has no SSV: always valid. */
export const EV_SUBSTREAM_ID_ALWAYS = {
  /** Key `SubstreamID`, as in {@link EV_SUBSTREAM_ID}. */
  name: 'SubstreamID',
  /** Bit 31. */
  hi: 31,
  /** Bit 12. */
  lo: 12,
  /** Printed by `viommu decode`. */
  doc: 'SubstreamID that could not be used (always valid in this event).',
} as const;
/** StreamID [63:32]. */
export const EV_STREAM_ID = {
  /** Key `StreamID`. */
  name: 'StreamID',
  /** Bit 63: the StreamID is the upper word of the first doubleword. */
  hi: 63,
  /** Bit 32. */
  lo: 32,
  /** Printed by `viommu decode`. */
  doc: 'StreamID of the transaction.',
} as const;
/** STAG [79:64]: stall tag. */
export const EV_STAG = {
  /** Key `STAG`: the tag software passes back in CMD_RESUME.STAG. */
  name: 'STAG',
  /** Bit 79: 16-bit tag. */
  hi: 79,
  /** Bit 64 (bit 0 of the second doubleword). */
  lo: 64,
  /** Printed by `viommu decode`. */
  doc: 'Stall tag to pass to CMD_RESUME (valid when Stall == 1).',
} as const;
/** Stall [95]. */
export const EV_STALL = {
  /** Key `Stall`. */
  name: 'Stall',
  /** Single-bit field: bit 95. */
  hi: 95,
  /** Single-bit field: bit 95. */
  lo: 95,
  /** Encodings of Stall. */
  values: {
    /** The transaction has already been terminated; no CMD_RESUME is expected. */
    0: 'terminated',
    /** The transaction waits for CMD_RESUME (retry or abort) or CMD_STALL_TERM. */
    1: 'stalled',
  },
  /** Printed by `viommu decode`. */
  doc: 'The transaction is stalled awaiting CMD_RESUME.',
} as const;
/** PnU [97]. */
export const EV_PNU = {
  /** Key `PnU` (privileged, not unprivileged). */
  name: 'PnU',
  /** Single-bit field: bit 97. */
  hi: 97,
  /** Single-bit field: bit 97. */
  lo: 97,
  /** Encodings of PnU. */
  values: {
    /** Unprivileged access (EL0). */
    0: 'unprivileged',
    /** Privileged access. */
    1: 'privileged',
  },
  /** Printed by `viommu decode`. */
  doc: 'Privileged / unprivileged (post-STE override).',
} as const;
/** InD [98]. */
export const EV_IND = {
  /** Key `InD` (instruction, not data). */
  name: 'InD',
  /** Single-bit field: bit 98. */
  hi: 98,
  /** Single-bit field: bit 98. */
  lo: 98,
  /** Encodings of InD. */
  values: {
    /** Data access (always for writes). */
    0: 'data',
    /** Instruction fetch. */
    1: 'instruction',
  },
  /** Printed by `viommu decode`. */
  doc: 'Instruction / data (post-STE override; 0 for writes).',
} as const;
/** RnW [99]. */
export const EV_RNW = {
  /** Key `RnW` (read, not write). */
  name: 'RnW',
  /** Single-bit field: bit 99. */
  hi: 99,
  /** Single-bit field: bit 99. */
  lo: 99,
  /** Encodings of RnW. */
  values: {
    /** The transaction was a write. */
    0: 'write',
    /** The transaction was a read. */
    1: 'read',
  },
  /** Printed by `viommu decode`. */
  doc: 'Read (1) or write (0).',
} as const;
/** S2 [103]. */
export const EV_S2 = {
  /** Key `S2`. */
  name: 'S2',
  /** Single-bit field: bit 103. */
  hi: 103,
  /** Single-bit field: bit 103. */
  lo: 103,
  /** Encodings of S2. */
  values: {
    /** The fault arose in stage 1 translation. */
    0: 'stage 1',
    /** The fault arose in stage 2 translation; IPA holds the address stage 2 was translating. */
    1: 'stage 2',
  },
  /** Printed by `viommu decode`. */
  doc: 'Stage at which the fault occurred.',
} as const;
/** CLASS [105:104]. */
export const EV_CLASS = {
  /** Key `CLASS`: what was being accessed when a stage 2 fault occurred [SPEC 7.3.12–7.3.13]. */
  name: 'CLASS',
  /** Bit 105. */
  hi: 105,
  /** Bit 104. */
  lo: 104,
  /** Encodings of CLASS. */
  values: {
    /** A CD or L1CD fetch (nested: the CD address is an IPA). */
    0: 'CD',
    /** A stage 1 translation table descriptor access. */
    1: 'TT',
    /** The input address of the transaction (or the IPA it became). */
    2: 'IN',
    /** Reserved encoding. */
    3: 'reserved',
  },
  /** Printed by `viommu decode`. */
  doc: 'What was being accessed: CD fetch, stage 1 table walk, or the input address.',
} as const;
/** TTRnW [108]. */
export const EV_TTRNW = {
  /** Key `TTRnW` (translation table read, not write). */
  name: 'TTRnW',
  /** Single-bit field: bit 108. */
  hi: 108,
  /** Single-bit field: bit 108. */
  lo: 108,
  /** Encodings of TTRnW. */
  values: {
    /** A hardware update (HTTU) wrote the stage 1 descriptor. */
    0: 'descriptor write',
    /** The stage 1 descriptor was being read. */
    1: 'descriptor read',
  },
  /** Printed by `viommu decode`. */
  doc: 'With CLASS == TT: whether a stage 1 descriptor read or (HTTU) write faulted at stage 2.',
} as const;
/** InputAddr [191:128]. */
export const EV_INPUT_ADDR = {
  /** Key `InputAddr`: the transaction's address as the device presented it, even for stage 2 faults. */
  name: 'InputAddr',
  /** Bit 191: the address fills the third doubleword. */
  hi: 191,
  /** Bit 128. */
  lo: 128,
  /** 64 bits exceed a JS number's 53, so the value is a `bigint`. */
  big: true,
  /** Printed by `viommu decode`. */
  doc: 'The 64-bit input address of the transaction, as presented.',
} as const;
/** FetchAddr[55:3] at [247:195]. */
export const EV_FETCH_ADDR = {
  /** Key `FetchAddr` (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT, F_VMS_FETCH): a PA, decoded in bytes. */
  name: 'FetchAddr',
  /** Bit 247 holds PA[55]. */
  hi: 247,
  /** Bit 195 holds PA[3]; PA[2:0] are not recorded (8-byte aligned). */
  lo: 195,
  /** The field holds PA[55:3]: decoded value = field × 8. */
  shift: 3,
  /** 53 field bits + 3 shift exceed 53 bits, so the value is a `bigint`. */
  big: true,
  /** Printed by `viommu decode`. */
  doc: 'PA of the structure or descriptor whose fetch failed, bits [55:3].',
} as const;
/** IPA[51:12] at [243:204]. */
export const EV_IPA = {
  /** Key `IPA` (translation, address size, access, permission and TLB conflict faults), decoded in bytes. */
  name: 'IPA',
  /** Bit 243 holds IPA[51]. */
  hi: 243,
  /** Bit 204 holds IPA[12]; the page offset is not recorded. */
  lo: 204,
  /** The field holds IPA[51:12]: decoded value = field × 2^12. */
  shift: 12,
  /** Printed by `viommu decode`. */
  doc: 'Stage 2 faults: the IPA being translated (CD address for CLASS == CD, descriptor address for TT), bits [51:12].',
} as const;
