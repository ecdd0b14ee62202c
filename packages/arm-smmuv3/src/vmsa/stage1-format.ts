/**
 * The VMSAv8-64 stage-1 translation-table format as a core `PageTableFormat` ([ARMARM] D8.3–D8.4;
 * [SPEC] 5.4 CD fields; reference §4).
 *
 * Fault order within one descriptor follows the architecture's pseudocode (AArch64.S1Walk, then
 * S1Translate): Translation (invalid, or a block where none is allowed, or [1:0] = 01 at level 3) →
 * Address size (next-table or output address ≥ 2^outputBits) → Access flag → Permission. The reference
 * notes list Address size last; the ARM ARM (and QEMU) check it before the access flag, and so does
 * this model.
 * @packageDocumentation
 */
import { EntryKind, IommuError, permissionNeeded, type EntryKindValue, type MapProt, type U64, type WalkState } from '@viommu/core';
import { stage1AttrsOf } from './attrs';
import { DESC_AF, DESC_HI_PXN, DESC_HI_UXN, DESC_NG, DESC_TABLE_OR_PAGE, DESC_VALID } from './descriptor';
import { VmsaFormatBase, resolveVmsaOutput } from './format-base';
import { stage1WalkGeometry } from './geometry';
import { vmsaGranuleName, type VmsaGranuleBits } from './granule';
import { missingRight, sharedStage1PermissionTable } from './permissions';

/** What a stage-1 format instance needs from the CD (one of its two halves, TTB0 or TTB1). */
export interface Stage1Options {
  /** log2 of the translation granule (12, 14, 16): CD.TG0 or CD.TG1 decoded (`granuleFromTg0` / `granuleFromTg1`). */
  granuleBits: VmsaGranuleBits;
  /**
   * CD.T0SZ or CD.T1SZ: the input size is 64 − tsz bits. 16..39, or 12..39 with the 64 KB granule
   * (52-bit VA). For the TTB1 half, walk the VA modulo 2^(64 − tsz).
   */
  tsz: number;
  /** Effective output size in bits, MIN(CD.IPS, SMMU_IDR5.OAS) (32..52); 52 behaves as 48 for 4/16 KB. */
  outputBits: number;
  /**
   * Implemented PA size in bits, SMMU_IDR5.OAS (defaults to `outputBits`). 52 turns on the 64 KB FEAT_LPA
   * layout: OA[51:48] in descriptor bits [15:12] and level-1 blocks.
   */
  oasBits?: number;
  /** CD.AFFD: AF = 0 does not fault (treated as 1). Ignored when `ha` is set. */
  affd?: boolean;
  /** CD.HA: hardware sets AF = 1 in the descriptor (through {@link WalkState.setLo}) instead of faulting. */
  ha?: boolean;
  /**
   * CD.HD: hardware dirty-state management. NOT SUPPORTED at stage 1: it clears AP[2], and core's walker
   * can only set descriptor bits. Passing true throws; report SMMU_IDR0.HTTU = 01 (AF only) so a CD with
   * HD = 1 is ILLEGAL instead.
   */
  hd?: boolean;
  /** CD.HAD0 / HAD1: hierarchical attributes disabled (APTable, PXNTable, UXNTable ignored). */
  had?: boolean;
  /** CD.WXN: writable ⇒ not executable, per privilege. */
  wxn?: boolean;
  /** CD.PAN: privileged data accesses to EL0-readable locations fault. */
  pan?: boolean;
}

/**
 * Creates a stage-1 format instance. Leaves report, in {@link WalkState}: `permitted` and
 * `cachePermitted` (core `Perm` masks for both privileges), `global` (nG = 0), `attrs`
 * (`S1Attr`: AttrIndx, NS, SH, Contiguous), and `setLo` = AF when `ha` sets the access flag.
 * Faults: `translation`, `addressSize`, `access`, `permission` (with `faultDetail` 'read' | 'write' |
 * 'exec'); the walker adds `inputRange` for inputs ≥ 2^(64 − tsz).
 * @throws IommuError `ARGUMENT` for an unusable granule / tsz / size, `CONFIG_UNSUPPORTED` for `hd`.
 */
export function createStage1Format(opts: Stage1Options): Stage1Format {
  return new Stage1Format(opts);
}

/** A VMSAv8-64 stage-1 format instance; create with {@link createStage1Format}. */
export class Stage1Format extends VmsaFormatBase {
  readonly name: string;
  /** The options the instance was built from. */
  readonly options: Readonly<Stage1Options>;
  private readonly perms: Uint8Array;
  private readonly hierarchical: boolean;
  private readonly ha: boolean;
  private readonly affd: boolean;

  constructor(opts: Stage1Options) {
    if (opts.hd) {
      throw new IommuError('CONFIG_UNSUPPORTED', 'stage-1 hardware dirty-state management (CD.HD) is not modelled: it clears AP[2], which the walker cannot do');
    }
    const geometry = stage1WalkGeometry(opts.granuleBits, opts.tsz);
    super(geometry, resolveVmsaOutput(geometry, opts.outputBits, opts.oasBits));
    this.options = { ...opts };
    this.perms = sharedStage1PermissionTable({ wxn: !!opts.wxn, pan: !!opts.pan });
    this.hierarchical = !opts.had;
    this.ha = !!opts.ha;
    this.affd = !!opts.affd;
    this.name = `VMSAv8-64 stage 1, ${vmsaGranuleName(opts.granuleBits)} granule, start level ${geometry.startLevel}, ${geometry.inputBits}-bit input, ${this.outputBits}-bit output`;
  }

  decode(hi: number, lo: number, depth: number, access: number, state: WalkState): EntryKindValue {
    if ((lo & DESC_VALID) === 0) return EntryKind.INVALID;
    if ((lo & DESC_TABLE_OR_PAGE) !== 0 && depth !== this.lastDepth) {
      const next = this.tableAddress(hi, lo);
      if (next >= this.outputLimit) {
        state.fault = 'addressSize';
        return EntryKind.FAULT;
      }
      // APTable[1:0], UXNTable, PXNTable: descriptor bits [62:59].
      if (this.hierarchical) state.acc0 |= (hi >>> 27) & 0xf;
      state.next = next;
      return EntryKind.TABLE;
    }
    if ((lo & DESC_TABLE_OR_PAGE) === 0 && !this.blockAllowed[depth]) return EntryKind.INVALID;
    const output = this.leafAddress(hi, lo, depth);
    if (output >= this.outputLimit) {
      state.fault = 'addressSize';
      return EntryKind.FAULT;
    }
    const setAf = (lo & DESC_AF) === 0 && this.ha;
    if ((lo & DESC_AF) === 0 && !this.ha && !this.affd) {
      state.fault = 'access';
      return EntryKind.FAULT;
    }
    const permitted = this.perms[((lo >>> 6) & 3) | (((hi >>> 21) & 3) << 2) | (state.acc0 << 4)]!;
    const need = permissionNeeded(access);
    if ((permitted & need) !== need) {
      state.fault = 'permission';
      state.faultDetail = missingRight(need & ~permitted);
      return EntryKind.FAULT;
    }
    // The AF update happens only for an access that does not fault (AArch64.SettingAccessFlagPermitted).
    if (setAf) state.setLo = DESC_AF;
    state.next = output;
    state.leafShift = this.shifts[depth]!;
    state.permitted = permitted;
    state.cachePermitted = permitted;
    state.attrs = stage1AttrsOf(hi, lo);
    state.global = (lo & DESC_NG) === 0;
    return EntryKind.LEAF;
  }

  /**
   * Encodes a block or page: AttrIndx = `prot.attrIndex` (0..7, default 0), SH = 11 (inner shareable),
   * AF = `prot.accessed` (default set), nG = ¬`prot.global`, AP[2] = ¬`prot.write`,
   * AP[1] = `prot.user`, UXN = ¬(`exec` ∧ `user`), PXN = ¬`exec` ∨ `privExecNever`. Stage 1 cannot deny
   * privileged reads, so `prot.read` is implied. Unprivileged DMA (SMMU PnU = 0) needs `user: true`,
   * as Linux io-pgtable sets AP[1] for every non-IOMMU_PRIV mapping.
   * @throws IommuError `MAP_ARGUMENT` / `MAP_RANGE` for a bad address, level or attrIndex.
   */
  encodeLeaf(output: number, depth: number, prot: MapProt, out: U64): void {
    const attrIndex = prot.attrIndex ?? 0;
    if (!Number.isInteger(attrIndex) || attrIndex < 0 || attrIndex > 7) {
      throw new IommuError('MAP_ARGUMENT', `stage-1 AttrIndx ${attrIndex} is not in 0..7`);
    }
    this.encodeLeafBase(output, depth, prot, out);
    const ap1 = prot.user ? 1 << 6 : 0;
    const ap2 = prot.write ? 0 : 1 << 7;
    const ng = prot.global === false ? DESC_NG : 0;
    out.lo = (out.lo | (attrIndex << 2) | ap1 | ap2 | ng) >>> 0;
    const uxn = prot.exec && prot.user ? 0 : DESC_HI_UXN;
    const pxn = !prot.exec || prot.privExecNever ? DESC_HI_PXN : 0;
    out.hi = (out.hi | uxn | pxn) >>> 0;
  }
}
