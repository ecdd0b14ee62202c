/**
 * The VMSAv8-64 stage-2 translation-table format as a core `PageTableFormat` ([ARMARM] D8.3–D8.4;
 * [SPEC] 5.2 STE.S2* fields; reference §4–§5).
 *
 * Same fault order as stage 1 (Translation → Address size → Access flag → Permission). Stage-2 table
 * descriptors carry no attributes. An IPA ≥ 2^(64 − T0SZ) is the walker's `inputRange` fault, which the
 * SMMU reports as a stage-2 F_TRANSLATION ([ARMARM] AArch64.IPAIsOutOfRange; the device model maps it).
 * @packageDocumentation
 */
import { Access, EntryKind, IommuError, Perm, permissionNeeded, type EntryKindValue, type MapProt, type U64, type WalkState } from '@viommu/core';
import { stage2AttrsOf } from './attrs';
import { DESC_AF, DESC_HI_DBM, DESC_HI_PXN, DESC_HI_UXN, DESC_TABLE_OR_PAGE, DESC_VALID } from './descriptor';
import { VmsaFormatBase, resolveVmsaOutput } from './format-base';
import { stage2WalkGeometry, stage2GeometryValid } from './geometry';
import { vmsaGranuleName, type VmsaGranuleBits } from './granule';
import { S2Key, missingRight, sharedStage2PermissionTable } from './permissions';

/** S2AP[1] (descriptor bit 7): write permission, and the dirty state under hardware management. */
const S2AP_WRITE = 1 << 7;
/** Default MemAttr: Normal, Outer and Inner Write-Back Cacheable (0b1111). */
const MEMATTR_NORMAL_WB = 0xf;

/** What a stage-2 format instance needs from the STE ([SPEC] 5.2). */
export interface Stage2Options {
  /** log2 of the translation granule (12, 14, 16): STE.S2TG decoded (`granuleFromTg0`, same encoding). */
  granuleBits: VmsaGranuleBits;
  /** STE.S2T0SZ: the IPA size is 64 − t0sz bits. */
  t0sz: number;
  /** STE.S2SL0: the start level (with the granule); see `stage2StartLevelForSl0`. */
  sl0: number;
  /** Effective output size in bits, MIN(STE.S2PS, SMMU_IDR5.OAS) (32..52); 52 behaves as 48 for 4/16 KB. */
  outputBits: number;
  /**
   * Implemented PA size in bits, SMMU_IDR5.OAS (defaults to `outputBits`): checks SL0 = 2 (which needs
   * 42 or 44 bits) and, at 52, turns on the 64 KB FEAT_LPA layout (OA[51:48] in bits [15:12], L1 blocks).
   */
  oasBits?: number;
  /** STE.S2AFFD: AF = 0 does not fault (treated as 1). Ignored when `ha` is set. */
  affd?: boolean;
  /** STE.S2HA: hardware sets AF = 1 (through {@link WalkState.setLo}) instead of faulting. */
  ha?: boolean;
  /**
   * STE.S2HD: hardware dirty-state management (effective only with `ha`): a leaf with DBM = 1 is
   * writable, and a write sets S2AP[1] (writable-clean → writable-dirty) through {@link WalkState.setLo}.
   * Until that write, `cachePermitted` omits write so a TLB never skips the update.
   */
  hd?: boolean;
  /** FEAT_XNX (SMMU_IDR3.XNX): XN[0] (bit 53) distinguishes privileged from unprivileged execution. */
  xnx?: boolean;
}

/**
 * Creates a stage-2 format instance. Leaves report `permitted` / `cachePermitted` (the same rights for
 * both privileges, except execution under `xnx`), `attrs` (`S2Attr`: MemAttr, SH, Contiguous,
 * DEVICE) and `setLo` for AF / dirty updates. Faults: `translation`, `addressSize`, `access`,
 * `permission` (`faultDetail` 'read' | 'write' | 'exec'), and the walker's `inputRange`.
 * @throws IommuError `ARGUMENT` when the granule / T0SZ / SL0 / sizes are not usable
 * ({@link stage2GeometryValid} false: the STE is ILLEGAL).
 */
export function createStage2Format(opts: Stage2Options): Stage2Format {
  return new Stage2Format(opts);
}

/** A VMSAv8-64 stage-2 format instance; create with {@link createStage2Format}. */
export class Stage2Format extends VmsaFormatBase {
  readonly name: string;
  /** The options the instance was built from. */
  readonly options: Readonly<Stage2Options>;
  private readonly perms: Uint8Array;
  private readonly ha: boolean;
  private readonly affd: boolean;
  private readonly hd: boolean;

  constructor(opts: Stage2Options) {
    const oas = opts.oasBits ?? opts.outputBits;
    if (!stage2GeometryValid(opts.granuleBits, opts.t0sz, opts.sl0, oas)) {
      throw new IommuError('ARGUMENT', `stage-2 T0SZ ${opts.t0sz} / SL0 ${opts.sl0} is not usable with the ${vmsaGranuleName(opts.granuleBits)} granule and a ${oas}-bit PA`, { ...opts });
    }
    const geometry = stage2WalkGeometry(opts.granuleBits, opts.t0sz, opts.sl0);
    super(geometry, resolveVmsaOutput(geometry, opts.outputBits, opts.oasBits));
    this.options = { ...opts };
    this.perms = sharedStage2PermissionTable(!!opts.xnx);
    this.ha = !!opts.ha;
    this.affd = !!opts.affd;
    this.hd = !!opts.hd && !!opts.ha;
    const concat = geometry.concatenated > 1 ? ` (${geometry.concatenated} concatenated)` : '';
    this.name = `VMSAv8-64 stage 2, ${vmsaGranuleName(opts.granuleBits)} granule, start level ${geometry.startLevel}${concat}, ${geometry.inputBits}-bit input, ${this.outputBits}-bit output`;
  }

  decode(hi: number, lo: number, depth: number, access: number, state: WalkState): EntryKindValue {
    if ((lo & DESC_VALID) === 0) return EntryKind.INVALID;
    if ((lo & DESC_TABLE_OR_PAGE) !== 0 && depth !== this.lastDepth) {
      const next = this.tableAddress(hi, lo);
      if (next >= this.outputLimit) {
        state.fault = 'addressSize';
        return EntryKind.FAULT;
      }
      state.next = next;
      return EntryKind.TABLE;
    }
    if ((lo & DESC_TABLE_OR_PAGE) === 0 && !this.blockAllowed[depth]) return EntryKind.INVALID;
    const output = this.leafAddress(hi, lo, depth);
    if (output >= this.outputLimit) {
      state.fault = 'addressSize';
      return EntryKind.FAULT;
    }
    if ((lo & DESC_AF) === 0 && !this.ha && !this.affd) {
      state.fault = 'access';
      return EntryKind.FAULT;
    }
    const dirtyWritable = this.hd && (hi & DESC_HI_DBM) !== 0;
    const permitted = this.perms[((lo >>> 6) & 3) | (((hi >>> 21) & 3) << 2) | (dirtyWritable ? S2Key.DIRTY_WRITABLE : 0)]!;
    const need = permissionNeeded(access);
    if ((permitted & need) !== need) {
      state.fault = 'permission';
      state.faultDetail = missingRight(need & ~permitted);
      return EntryKind.FAULT;
    }
    let set = (lo & DESC_AF) === 0 && this.ha ? DESC_AF : 0;
    let cachePermitted = permitted;
    if (dirtyWritable && (lo & S2AP_WRITE) === 0) {
      if (access & Access.WRITE) set |= S2AP_WRITE;
      else cachePermitted &= ~(Perm.UW | Perm.PW);
    }
    state.setLo = set;
    state.next = output;
    state.leafShift = this.shifts[depth]!;
    state.permitted = permitted;
    state.cachePermitted = cachePermitted;
    state.attrs = stage2AttrsOf(hi, lo);
    state.global = true;
    return EntryKind.LEAF;
  }

  /**
   * Encodes a block or page: MemAttr = `prot.attrIndex` (0..15, default 0b1111 Normal Write-Back),
   * SH = 11, AF = `prot.accessed` (default set), S2AP = `read` | `write` << 1 (stage 2 can express
   * write-only and no-access), XN = 10 (no execution) unless `exec`; with `xnx`, `exec` and
   * `privExecNever` give XN = 01 (not executable at EL1).
   * @throws IommuError `MAP_ARGUMENT` / `MAP_RANGE` for a bad address, level or MemAttr.
   */
  encodeLeaf(output: number, depth: number, prot: MapProt, out: U64): void {
    const memAttr = prot.attrIndex ?? MEMATTR_NORMAL_WB;
    if (!Number.isInteger(memAttr) || memAttr < 0 || memAttr > 15) {
      throw new IommuError('MAP_ARGUMENT', `stage-2 MemAttr ${memAttr} is not in 0..15`);
    }
    this.encodeLeafBase(output, depth, prot, out);
    const s2ap = (prot.read ? 1 << 6 : 0) | (prot.write ? S2AP_WRITE : 0);
    out.lo = (out.lo | (memAttr << 2) | s2ap) >>> 0;
    const xn = !prot.exec ? DESC_HI_UXN : this.options.xnx && prot.privExecNever ? DESC_HI_PXN : 0;
    out.hi = (out.hi | xn) >>> 0;
  }
}
