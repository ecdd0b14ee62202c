/**
 * The `attrs` number a VMSAv8-64 format leaves in `WalkState.attrs` (and the nested pipeline in
 * `attrs1` / `attrs2`) for a leaf: the memory-type and shareability fields of the descriptor, packed.
 * @packageDocumentation
 */

/**
 * Stage-1 leaf attributes ([ARMARM] D8.3.2; reference §4):
 * bits [2:0] AttrIndx (descriptor [4:2], an index into CD.MAIR), bit 3 NS ([5]), bits [5:4] SH ([9:8]:
 * 0 non-shareable, 2 outer, 3 inner), bit 6 Contiguous ([52]).
 */
export const S1Attr = {
  /** AttrIndx mask (bits [2:0]). */
  ATTR_INDEX_MASK: 0x7,
  /** NS bit. */
  NS: 0x8,
  /** Shift of the 2-bit SH field. */
  SH_SHIFT: 4,
  /** Contiguous hint. */
  CONTIGUOUS: 0x40,
} as const;

/**
 * Stage-2 leaf attributes ([ARMARM] D8.3.2, D8.6.5; reference §4):
 * bits [3:0] MemAttr (descriptor [5:2]), bits [5:4] SH ([9:8]), bit 6 Contiguous ([52]), bit 7 DEVICE:
 * MemAttr[3:2] = 00, i.e. Device memory when STE.S2FWB = 0 (the device model uses it for STE.S2PTW:
 * a stage-1 table or CD fetch landing on stage-2 Device memory is a stage-2 Permission fault,
 * [SPEC] 5.2 STE.S2PTW). With S2FWB = 1 MemAttr has another encoding; decode bits [3:0] yourself.
 */
export const S2Attr = {
  /** MemAttr mask (bits [3:0]). */
  MEMATTR_MASK: 0xf,
  /** Shift of the 2-bit SH field. */
  SH_SHIFT: 4,
  /** Contiguous hint. */
  CONTIGUOUS: 0x40,
  /** MemAttr[3:2] = 00: Device memory (S2FWB = 0). */
  DEVICE: 0x80,
} as const;

/** A stage-1 `attrs` value unpacked. */
export interface Stage1Attributes {
  /** AttrIndx: which byte of MAIR ({CD.MAIR1, CD.MAIR0}) gives the memory type. */
  attrIndex: number;
  /** NS bit (descriptor bit 5). */
  ns: boolean;
  /** Shareability: 0 non-shareable, 2 outer, 3 inner (1 reserved). */
  sh: number;
  /** Contiguous hint. */
  contiguous: boolean;
}

/** A stage-2 `attrs` value unpacked. */
export interface Stage2Attributes {
  /** MemAttr[3:0]. */
  memAttr: number;
  /** Shareability: 0 non-shareable, 2 outer, 3 inner (1 reserved). */
  sh: number;
  /** Contiguous hint. */
  contiguous: boolean;
  /** Device memory (MemAttr[3:2] = 00, S2FWB = 0). */
  device: boolean;
}

/** Packs stage-1 leaf attributes from a descriptor's halves. */
export function stage1AttrsOf(hi: number, lo: number): number {
  return ((lo >>> 2) & 0xf) | (((lo >>> 8) & 3) << S1Attr.SH_SHIFT) | (hi & (1 << 20) ? S1Attr.CONTIGUOUS : 0);
}

/** Packs stage-2 leaf attributes from a descriptor's halves. */
export function stage2AttrsOf(hi: number, lo: number): number {
  const memAttr = (lo >>> 2) & 0xf;
  return memAttr | (((lo >>> 8) & 3) << S2Attr.SH_SHIFT) | (hi & (1 << 20) ? S2Attr.CONTIGUOUS : 0) | ((memAttr & 0xc) === 0 ? S2Attr.DEVICE : 0);
}

/** Unpacks a stage-1 `attrs` value. */
export function decodeStage1Attrs(attrs: number): Stage1Attributes {
  return {
    attrIndex: attrs & S1Attr.ATTR_INDEX_MASK,
    ns: (attrs & S1Attr.NS) !== 0,
    sh: (attrs >>> S1Attr.SH_SHIFT) & 3,
    contiguous: (attrs & S1Attr.CONTIGUOUS) !== 0,
  };
}

/** Unpacks a stage-2 `attrs` value. */
export function decodeStage2Attrs(attrs: number): Stage2Attributes {
  return {
    memAttr: attrs & S2Attr.MEMATTR_MASK,
    sh: (attrs >>> S2Attr.SH_SHIFT) & 3,
    contiguous: (attrs & S2Attr.CONTIGUOUS) !== 0,
    device: (attrs & S2Attr.DEVICE) !== 0,
  };
}
