/**
 * VMSAv8-64 descriptor bit positions shared by stage 1 and stage 2 ([ARMARM] D8.3; reference §4).
 * Descriptors are handled as two 32-bit halves: `lo` = bits [31:0], `hi` = bits [63:32].
 * @packageDocumentation
 */

/** Bit 0 of every descriptor: valid. */
export const DESC_VALID = 0x1;
/** Bit 1: table (at levels 0–2) or page (at level 3) when set; block (levels 1–2) when clear. */
export const DESC_TABLE_OR_PAGE = 0x2;
/** Leaf bit 10 (in `lo`): the access flag, AF. */
export const DESC_AF = 1 << 10;
/** Stage-1 leaf bit 11 (in `lo`): not global, nG. */
export const DESC_NG = 1 << 11;
/** Leaf bit 51 (bit 19 of `hi`): dirty bit modifier, DBM. */
export const DESC_HI_DBM = 1 << 19;
/** Leaf bit 52 (bit 20 of `hi`): contiguous hint. */
export const DESC_HI_CONTIGUOUS = 1 << 20;
/** Stage-1 leaf bit 53 (bit 21 of `hi`): PXN; stage 2: XN[0] (FEAT_XNX). */
export const DESC_HI_PXN = 1 << 21;
/** Stage-1 leaf bit 54 (bit 22 of `hi`): UXN / XN; stage 2: XN[1]. */
export const DESC_HI_UXN = 1 << 22;
/** Stage-1 table bit 59 (bit 27 of `hi`): PXNTable. */
export const DESC_HI_PXN_TABLE = 1 << 27;
/** Stage-1 table bit 60 (bit 28 of `hi`): UXNTable / XNTable. */
export const DESC_HI_UXN_TABLE = 1 << 28;
/** Stage-1 table bit 61 (bit 29 of `hi`): APTable[0], no EL0 access below. */
export const DESC_HI_APTABLE0 = 1 << 29;
/** Stage-1 table bit 62 (bit 30 of `hi`): APTable[1], no write access below. */
export const DESC_HI_APTABLE1 = 1 << 30;
/** Stage-1 table bit 63 (bit 31 of `hi`): NSTable (Secure state only; the model is Non-secure). */
export const DESC_HI_NSTABLE = 1 << 31;

/** Leaf attribute bits [11:2] (AttrIndx/MemAttr, NS, AP/S2AP, SH, AF, nG) in `lo`. */
export const DESC_LO_LEAF_ATTRS = 0xffc;
/**
 * Upper leaf attribute bits kept when a block is split: [63:50] (GP, DBM, PXN/XN, UXN, software and
 * PBHA bits) without Contiguous [52], which would not describe the new smaller leaves' neighbourhood.
 */
export const DESC_HI_SPLIT_ATTRS = 0xfffc_0000 & ~DESC_HI_CONTIGUOUS;

/** Bits [47:32] of an address, the part held in `hi` bits [15:0]. */
export const DESC_HI_ADDRESS = 0xffff;
/** The 64 KB granule with a 52-bit PA (FEAT_LPA) keeps OA[51:48] in descriptor bits [15:12]. */
export const DESC_LO_LPA_SHIFT = 12;
