/**
 * The VT-d second-level page-table format (VT-d spec §3.7 and §9.8) as a core {@link PageTableFormat}:
 * legacy-mode translation, scalable-mode PGTT = 2 (second-level only) and the stage 2 of PGTT = 3 (nested).
 * @packageDocumentation
 */
import {
  Access,
  EntryKind,
  IommuError,
  Perm,
  permissionNeeded,
  type EntryKindValue,
  type MapProt,
  type PageTableFormat,
  type PermissionDetail,
  type U64,
  type WalkState,
} from '@viommu/core';
import { addressHi, addressLo, ADDRESS_HI_MASK, checkWidth, entryAddress, reservedAddressHiMask } from './entry-address';
import { SL, SL_HI } from './second-level-entry';

/** CAP.SLLPS bit for 2 MiB (21-bit offset) second-level pages. */
export const SLLPS_2M = 1;
/** CAP.SLLPS bit for 1 GiB (30-bit offset) second-level pages. */
export const SLLPS_1G = 2;

/**
 * Options of {@link createSecondLevelFormat}: the context/PASID-entry and capability fields that change how
 * second-level entries decode. Every switch defaults to `false`.
 */
export interface SecondLevelFormatOptions {
  /** Paging levels, 2 + AW of the context or PASID entry: 3 (39-bit AGAW), 4 (48-bit) or 5 (57-bit). */
  levels: 3 | 4 | 5;
  /** Adjusted guest address width, 30 + 9 × AW; optional, and must agree with `levels` when given. */
  agawBits?: 39 | 48 | 57;
  /**
   * CAP.MGAW + 1 when smaller than the AGAW: inputs at or above 2^min(AGAW, MGAW) are an `inputRange`
   * fault (legacy 0x4, scalable 0x83, nested output 0x84). Defaults to the AGAW.
   */
  mgawBits?: number;
  /** Host address width (32..52): address bits 51:hawBits of any entry are reserved (0xC / 0x7A). */
  hawBits: number;
  /**
   * CAP.SLLPS (bits 37:34 shifted down): bit 0 ({@link SLLPS_2M}) allows PS in a PDE, bit 1
   * ({@link SLLPS_1G}) in a PDPE; without it PS there is reserved. Bits 2 and 3 (512 GiB, 1 TiB) are
   * defined by no implementation and ignored: PS in a PML4E/PML5E is always reserved.
   */
  sllps?: number;
  /** PASID entry SLADE: hardware sets A [8] in every entry used and D [9] in the leaf on a write; else both are ignored. */
  slade?: boolean;
  /**
   * PASID entry SLEE (execute requests, needs ECAP.ERS): X [2] must be 1 at every level for an execute
   * request, and an entry with only X set is present. Without it X is ignored and an execute request needs
   * what a read needs (R at every level).
   */
  slee?: boolean;
  /**
   * SNP [11] allowed in leaf entries: true in scalable mode and, in legacy mode, with snoop control
   * (ECAP.SC). It stays reserved in non-leaf entries (QEMU masks `VTD_SPTE_PAGE_L2/L3/L4_RSVD_MASK`).
   */
  leafSnp?: boolean;
  /** TM [62] allowed in leaf entries (spec revisions before 3.2 with device-TLB support); reserved otherwise. */
  tm?: boolean;
}

/** A second-level format instance, with the options it was built from. */
export interface SecondLevelFormat extends PageTableFormat {
  /** The options, defaults filled in (`agawBits` derived from `levels`, `mgawBits` defaulting to it). */
  readonly options: Readonly<Required<SecondLevelFormatOptions>>;
}

/** acc0 bits: a right some level of the walk so far has removed. */
const NO_R = 1;
const NO_W = 2;
const NO_X = 4;

const WRITE_PERMS = Perm.UW | Perm.PW;

/** Rights for the accumulated restrictions, the same for both privilege levels (second level knows none). */
function rightsFor(acc: number): number {
  let perm = 0;
  if ((acc & NO_R) === 0) perm |= Perm.UR | Perm.PR;
  if ((acc & NO_W) === 0) perm |= Perm.UW | Perm.PW;
  if ((acc & (NO_R | NO_X)) === 0) perm |= Perm.UX | Perm.PX;
  return perm;
}

/** Which right a denied request lacked: write first (as for AtomicOps), then read, then execute. */
function deniedDetail(acc: number, access: number): PermissionDetail {
  if (access & Access.WRITE && acc & NO_W) return 'write';
  if (access & (Access.READ | Access.EXEC) && acc & NO_R) return 'read';
  return 'exec';
}

/**
 * Builds a second-level format instance. Depth 0 is the SL-PML5/PML4/PDPT table; `archLevels` are
 * levels…1 (PT = 1). Leaves: PTE (4 KiB), PDE with PS (2 MiB, SLLPS bit 0), PDPE with PS (1 GiB, bit 1).
 *
 * Decoding, per entry: R = W = 0 (and X = 0 with SLEE) → not present (`translation`); reserved bits
 * (51:hawBits, TM, SNP in non-leaf entries or without `leafSnp`, PS where no large page is allowed,
 * bits 20:12 / 29:12 of a 2 MiB / 1 GiB leaf) → `reserved`; R, W and X accumulate in `state.acc0`; with
 * SLADE, A is requested in every entry used. At the leaf the access is checked against the accumulated
 * rights (read needs R at every level, write W at every level, execute R — and X with SLEE — at every
 * level; a `permission` fault with detail `read`, `write` or `exec`) and D is requested on a permitted
 * write with SLADE. Permissions are checked once the leaf is reached, as for EPT, not at each level as
 * QEMU does. `cachePermitted` drops the write rights while D is clear with SLADE. `attrs` is EMT/IPAT
 * (bits 6:3); `global` stays true (second-level translations are not PASID-tagged).
 *
 * Where QEMU's model (`vtd_iova_to_slpte`) differs: QEMU stops at the first entry lacking the requested
 * right (here, as for EPT, a present entry lets the walk go on and the combined rights are checked at the
 * leaf, so a later not-present or reserved entry is what gets reported); QEMU has no SLADE, SLEE or
 * 5-level support. The reserved masks are QEMU's (which match the spec).
 * @throws IommuError `ARGUMENT` for a bad level count, width or AGAW.
 */
export function createSecondLevelFormat(options: SecondLevelFormatOptions): SecondLevelFormat {
  const levels = options.levels;
  if (levels !== 3 && levels !== 4 && levels !== 5) {
    throw new IommuError('ARGUMENT', `second-level paging has 3, 4 or 5 levels, got ${String(levels)}`, { levels });
  }
  const agawBits = (30 + 9 * (levels - 2)) as 39 | 48 | 57;
  if (options.agawBits !== undefined && options.agawBits !== agawBits) {
    throw new IommuError('ARGUMENT', `a ${levels}-level table has a ${agawBits}-bit AGAW, not ${options.agawBits}`, { agawBits: options.agawBits });
  }
  const o: Required<SecondLevelFormatOptions> = {
    levels,
    agawBits,
    mgawBits: options.mgawBits ?? agawBits,
    hawBits: options.hawBits,
    sllps: options.sllps ?? 0,
    slade: options.slade ?? false,
    slee: options.slee ?? false,
    leafSnp: options.leafSnp ?? false,
    tm: options.tm ?? false,
  };
  checkWidth('hawBits', o.hawBits, 32, 52);
  checkWidth('mgawBits', o.mgawBits, 21, 64);
  checkWidth('sllps', o.sllps, 0, 15);

  const large2M = (o.sllps & SLLPS_2M) !== 0;
  const large1G = (o.sllps & SLLPS_1G) !== 0;
  const shifts = Array.from({ length: levels }, (_, d) => 12 + 9 * (levels - 1 - d));
  const archLevels = Array.from({ length: levels }, (_, d) => levels - d);
  const leafDepths = archLevels.map((l) => l === 1 || (l === 2 && large2M) || (l === 3 && large1G));
  const present = SL.R | SL.W | (o.slee ? SL.X : 0);
  const addressReserved = reservedAddressHiMask(o.hawBits);
  const tableReservedHi = (addressReserved | SL_HI.TM) >>> 0;
  const leafReservedHi = (addressReserved | (o.tm ? 0 : SL_HI.TM)) >>> 0;
  const snp = o.leafSnp ? 0 : SL.SNP;
  const accessed = o.slade ? SL.A : 0;
  const rights = Array.from({ length: 8 }, (_, acc) => rightsFor(acc));

  /** log2 of the page a leaf maps at `level` with PS = `ps`, or 0 when the entry is a table (or PS is misplaced). */
  const leafShiftOf = (level: number, ps: boolean): number => {
    if (level === 1) return 12;
    if (!ps) return 0;
    if (level === 2 && large2M) return 21;
    if (level === 3 && large1G) return 30;
    return 0;
  };

  const format: SecondLevelFormat = {
    name: `VT-d second-level, ${levels}-level (${agawBits}-bit AGAW), HAW ${o.hawBits}`,
    levels,
    inputBits: Math.min(agawBits, o.mgawBits),
    outputBits: o.hawBits,
    shifts,
    indexBits: shifts.map(() => 9),
    archLevels,
    leafDepths,
    granuleShift: 12,
    options: o,

    classify(_hi, lo, depth): EntryKindValue {
      if ((lo & present) === 0) return EntryKind.INVALID;
      return leafShiftOf(levels - depth, (lo & SL.PS) !== 0) ? EntryKind.LEAF : EntryKind.TABLE;
    },

    address(hi, lo, depth): number {
      return entryAddress(hi, lo, leafShiftOf(levels - depth, (lo & SL.PS) !== 0) || 12);
    },

    decode(hi, lo, depth, access, state: WalkState): EntryKindValue {
      if ((lo & present) === 0) return EntryKind.INVALID;
      const level = levels - depth;
      let leafShift = 0;
      if (level === 1) leafShift = 12;
      else if (lo & SL.PS) {
        if (level === 2 && large2M && (lo & SL.RESERVED_2M) === 0) leafShift = 21;
        else if (level === 3 && large1G && (lo & SL.RESERVED_1G) === 0) leafShift = 30;
        else return reserved(state); // PS in PML4E/PML5E or without SLLPS, or a large leaf's reserved bits
      }
      if (leafShift === 0) {
        if ((hi & tableReservedHi) !== 0 || (lo & SL.SNP) !== 0) return reserved(state);
      } else if ((hi & leafReservedHi) !== 0 || (lo & snp) !== 0) {
        return reserved(state);
      }

      let acc = state.acc0;
      if ((lo & SL.R) === 0) acc |= NO_R;
      if ((lo & SL.W) === 0) acc |= NO_W;
      if (o.slee && (lo & SL.X) === 0) acc |= NO_X;
      state.acc0 = acc;

      if (leafShift === 0) {
        state.setLo = accessed;
        state.next = entryAddress(hi, lo, 12);
        return EntryKind.TABLE;
      }

      const permitted = rights[acc]!;
      const need = permissionNeeded(access);
      if ((permitted & need) !== need) {
        state.fault = 'permission';
        state.faultDetail = deniedDetail(acc, access);
        return EntryKind.FAULT;
      }
      const set = o.slade && access & Access.WRITE ? accessed | SL.D : accessed;
      state.setLo = set;
      state.permitted = permitted;
      state.cachePermitted = !o.slade || (lo | set) & SL.D ? permitted : permitted & ~WRITE_PERMS;
      state.next = entryAddress(hi, lo, leafShift);
      state.leafShift = leafShift;
      state.attrs = (lo & SL.MEMORY_TYPE_MASK) >>> 3;
      state.global = true;
      return EntryKind.LEAF;
    },

    encodeTable(next, _depth, out: U64): void {
      out.hi = addressHi(next);
      out.lo = (addressLo(next) | SL.R | SL.W | (o.slee ? SL.X : 0)) >>> 0;
    },

    encodeLeaf(output, depth, prot: MapProt, out: U64): void {
      let lo = addressLo(output);
      if (prot.read) lo |= SL.R;
      if (prot.write) lo |= SL.W;
      if (prot.exec && o.slee) lo |= SL.X;
      if (o.slade && (prot.accessed ?? true)) lo |= SL.A;
      if (o.slade && prot.dirty) lo |= SL.D;
      lo |= ((prot.attrIndex ?? 0) << 3) & SL.MEMORY_TYPE_MASK;
      if (shifts[depth] !== 12) lo |= SL.PS;
      out.hi = addressHi(output);
      out.lo = lo >>> 0;
    },

    splitLeaf(hi, lo, depth, output, out: U64): void {
      const childLevel = levels - depth - 1;
      const childLo = (lo & 0xf7f) | (childLevel === 1 ? 0 : SL.PS); // flags 11:0, PS only above the PT
      out.hi = ((hi & ~ADDRESS_HI_MASK) | addressHi(output)) >>> 0;
      out.lo = (childLo | addressLo(output)) >>> 0;
    },
  };
  return format;
}

function reserved(state: WalkState): EntryKindValue {
  state.fault = 'reserved';
  return EntryKind.FAULT;
}
