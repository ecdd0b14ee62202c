/**
 * What the VMSAv8-64 stage-1 and stage-2 formats share: geometry, descriptor classification, address
 * fields, table encoding and block splitting ([ARMARM] D8.3, AArch64.NextTableBase / LeafBase /
 * BlockDescSupported).
 *
 * Output-address fields: bits [47:g] (g = log2 granule; a block's field starts at its level's shift).
 * With the 64 KB granule on an implementation with a 52-bit PA (`lpa`), bits [15:12] hold OA[51:48]
 * (FEAT_LPA); an address at or above 2^outputBits is an Address size fault. Without it, and for the 4 KB
 * and 16 KB granules (TCR.DS = 0, FEAT_LPA2 not modelled), the OA is 48 bits: descriptor bits [51:48] of
 * a table and [49:48] of a leaf are RES0 and, as in the architecture's pseudocode, not part of the
 * address (QEMU agrees).
 * @packageDocumentation
 */
import { EntryKind, IommuError, type EntryKindValue, type MapProt, type PageTableFormat, type U64, type WalkState } from '@viommu/core';
import {
  DESC_HI_ADDRESS,
  DESC_HI_SPLIT_ATTRS,
  DESC_LO_LEAF_ATTRS,
  DESC_LO_LPA_SHIFT,
  DESC_TABLE_OR_PAGE,
  DESC_VALID,
} from './descriptor';
import type { VmsaGeometry } from './geometry';
import type { VmsaGranuleBits } from './granule';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_48 = 2 ** 48;

/**
 * Output-size parameters both stages take, resolved: `outputBits` is the effective size used for the
 * Address size checks, `lpa` whether the 64 KB OA[51:48] field exists.
 */
export interface VmsaOutput {
  /** Effective output size in bits (already clamped to 48 for the 4 KB and 16 KB granules). */
  readonly outputBits: number;
  /** 64 KB granule on a 52-bit-PA implementation: OA[51:48] in descriptor bits [15:12], L1 blocks allowed. */
  readonly lpa: boolean;
}

/**
 * Resolves the output size: `lpa` for the 64 KB granule when the implemented PA size `oasBits` is 52
 * ([ARMARM] AArch64.NextTableBase: PAMax() ≥ 52); otherwise MIN(outputBits, 48) — an IPS/S2PS of 52 bits
 * behaves as 48 for the 4 KB and 16 KB granules without TCR.DS ([ARMARM] D8.2; [SPEC] 5.4 CD.IPS).
 * @throws IommuError `ARGUMENT` for sizes outside 32..52 bits or an effective size above `oasBits`.
 */
export function resolveVmsaOutput(geometry: VmsaGeometry, outputBits: number, oasBits: number | undefined): VmsaOutput {
  const oas = oasBits ?? outputBits;
  if (!Number.isInteger(outputBits) || outputBits < 32 || outputBits > 52 || !Number.isInteger(oas) || oas < 32 || oas > 52) {
    throw new IommuError('ARGUMENT', `output size ${outputBits} / implemented size ${oas} bits must be integers in 32..52`, { outputBits, oasBits: oas });
  }
  if (outputBits > oas) {
    throw new IommuError('ARGUMENT', `effective output size ${outputBits} exceeds the implemented ${oas} bits (take MIN(field, IDR5.OAS))`, { outputBits, oasBits: oas });
  }
  const large = geometry.granuleBits === 16;
  const lpa = large && oas >= 52;
  // Without DS (4K/16K) or FEAT_LPA (64K) descriptors hold at most a 48-bit address.
  return { outputBits: lpa ? outputBits : Math.min(outputBits, 48), lpa };
}

/** The shared half of a VMSAv8-64 format: everything but decoding and leaf encoding. */
export abstract class VmsaFormatBase implements PageTableFormat {
  abstract readonly name: string;
  readonly levels: number;
  readonly inputBits: number;
  readonly outputBits: number;
  readonly shifts: readonly number[];
  readonly indexBits: readonly number[];
  readonly archLevels: readonly number[];
  readonly leafDepths: readonly boolean[];
  readonly granuleShift: number;
  /** 64 KB granule with OA[51:48] in descriptor bits [15:12] (FEAT_LPA). */
  readonly lpa: boolean;

  /** 2^outputBits: addresses at or above it are Address size faults. */
  protected readonly outputLimit: number;
  /** Depth of level 3, where bit 1 means page rather than table. */
  protected readonly lastDepth: number;
  /** Per depth: a block ([1:0] = 01) is allowed (AArch64.BlockDescSupported). */
  protected readonly blockAllowed: readonly boolean[];
  /** Per depth: mask of the leaf output-address bits held in `lo` (bits [31:shift]). */
  protected readonly leafLoMask: readonly number[];
  /** Per depth: mask of the leaf output-address bits held in `hi` (bits [47:max(shift, 32)]). */
  protected readonly leafHiMask: readonly number[];
  /** Mask of a next-level table address held in `lo` (bits [31:g]). */
  protected readonly tableLoMask: number;

  protected constructor(
    /**
     * The walk geometry this format was built from (granule, TxSZ-derived input size, start level, per-level
     * shifts), as computed from the CD or STE fields ([ARMARM] D8.2).
     */
    readonly geometry: VmsaGeometry,
    output: VmsaOutput,
  ) {
    this.levels = geometry.levels;
    this.inputBits = geometry.inputBits;
    this.outputBits = output.outputBits;
    this.lpa = output.lpa;
    this.shifts = geometry.shifts;
    this.indexBits = geometry.indexBits;
    this.archLevels = geometry.archLevels;
    this.granuleShift = geometry.granuleBits;
    this.outputLimit = 2 ** output.outputBits;
    this.lastDepth = geometry.levels - 1;
    const blockAllowed = geometry.archLevels.map((level) => vmsaBlockSupported(geometry.granuleBits, level, output.lpa));
    this.blockAllowed = blockAllowed;
    this.leafDepths = geometry.archLevels.map((level, depth) => level === 3 || blockAllowed[depth]!);
    this.leafLoMask = geometry.shifts.map((s) => loMask(s));
    this.leafHiMask = geometry.shifts.map((s) => hiMask(s));
    this.tableLoMask = loMask(geometry.granuleBits);
  }

  classify(hi: number, lo: number, depth: number): EntryKindValue {
    if ((lo & DESC_VALID) === 0) return EntryKind.INVALID;
    if ((lo & DESC_TABLE_OR_PAGE) !== 0) return depth === this.lastDepth ? EntryKind.LEAF : EntryKind.TABLE;
    return this.blockAllowed[depth] ? EntryKind.LEAF : EntryKind.INVALID;
  }

  address(hi: number, lo: number, depth: number): number {
    return this.classify(hi, lo, depth) === EntryKind.TABLE ? this.tableAddress(hi, lo) : this.leafAddress(hi, lo, depth);
  }

  /** The next-level table address of a table descriptor (NLTA; AArch64.NextTableBase). */
  protected tableAddress(hi: number, lo: number): number {
    const upper = this.lpa ? ((lo >>> DESC_LO_LPA_SHIFT) & 0xf) * TWO_POW_48 : 0;
    return (hi & DESC_HI_ADDRESS) * TWO_POW_32 + ((lo & this.tableLoMask) >>> 0) + upper;
  }

  /** The output address of a block or page descriptor at `depth` (AArch64.LeafBase). */
  protected leafAddress(hi: number, lo: number, depth: number): number {
    const upper = this.lpa ? ((lo >>> DESC_LO_LPA_SHIFT) & 0xf) * TWO_POW_48 : 0;
    return (hi & this.leafHiMask[depth]!) * TWO_POW_32 + ((lo & this.leafLoMask[depth]!) >>> 0) + upper;
  }

  /**
   * Writes `address` (aligned to 2^shift, below 2^outputBits) into the address field of `out`,
   * clearing everything else.
   * @throws IommuError `MAP_ARGUMENT` (misaligned) or `MAP_RANGE` (beyond the output size).
   */
  protected encodeAddress(address: number, shift: number, out: U64): void {
    if (!Number.isSafeInteger(address) || address < 0 || address % 2 ** shift !== 0) {
      throw new IommuError('MAP_ARGUMENT', `address 0x${address.toString(16)} is not aligned to 2^${shift}`);
    }
    if (address >= this.outputLimit) {
      throw new IommuError('MAP_RANGE', `address 0x${address.toString(16)} is beyond the ${this.outputBits}-bit output size`);
    }
    const high = Math.floor(address / TWO_POW_32);
    out.lo = (address - high * TWO_POW_32) >>> 0;
    out.hi = (high & DESC_HI_ADDRESS) >>> 0;
    if (this.lpa) out.lo = (out.lo | ((Math.floor(address / TWO_POW_48) & 0xf) << DESC_LO_LPA_SHIFT)) >>> 0;
  }

  encodeTable(next: number, depth: number, out: U64): void {
    if (depth >= this.lastDepth) throw new IommuError('MAP_ARGUMENT', `no table descriptors at level ${this.archLevels[depth]}`);
    this.encodeAddress(next, this.granuleShift, out);
    out.lo = (out.lo | DESC_VALID | DESC_TABLE_OR_PAGE) >>> 0;
  }

  splitLeaf(hi: number, lo: number, depth: number, output: number, out: U64): void {
    const child = depth + 1;
    if (child > this.lastDepth) throw new IommuError('MAP_ARGUMENT', 'a page cannot be split');
    this.encodeAddress(output, this.shifts[child]!, out);
    const type = child === this.lastDepth ? DESC_VALID | DESC_TABLE_OR_PAGE : DESC_VALID;
    out.lo = (out.lo | (lo & DESC_LO_LEAF_ATTRS) | type) >>> 0;
    out.hi = (out.hi | (hi & DESC_HI_SPLIT_ATTRS)) >>> 0;
  }

  abstract decode(hi: number, lo: number, depth: number, access: number, state: WalkState): EntryKindValue;
  abstract encodeLeaf(output: number, depth: number, prot: MapProt, out: U64): void;

  /** Common start of a leaf encoding: address, descriptor type, AF, and inner-shareable SH = 11. */
  protected encodeLeafBase(output: number, depth: number, prot: MapProt, out: U64): void {
    if (!this.leafDepths[depth]) {
      throw new IommuError('MAP_ARGUMENT', `no leaf descriptors at level ${this.archLevels[depth]} with this granule`);
    }
    this.encodeAddress(output, this.shifts[depth]!, out);
    const type = depth === this.lastDepth ? DESC_VALID | DESC_TABLE_OR_PAGE : DESC_VALID;
    const af = prot.accessed === false ? 0 : 1 << 10;
    out.lo = (out.lo | type | (3 << 8) | af) >>> 0;
  }
}

/**
 * Whether a block descriptor is allowed at `level` ([ARMARM] AArch64.BlockDescSupported, DS = 0):
 * 4 KB at L1 and L2; 16 KB at L2; 64 KB at L2, and at L1 when the PA size is 52 bits.
 */
export function vmsaBlockSupported(granule: VmsaGranuleBits, level: number, lpa: boolean): boolean {
  if (level === 2) return true;
  if (level === 1) return granule === 12 || (granule === 16 && lpa);
  return false;
}

function loMask(shift: number): number {
  return shift >= 32 ? 0 : (0xffff_ffff << shift) >>> 0;
}

function hiMask(shift: number): number {
  return shift <= 32 ? DESC_HI_ADDRESS : (DESC_HI_ADDRESS & ~((1 << (shift - 32)) - 1)) >>> 0;
}
