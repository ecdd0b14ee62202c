/**
 * The VT-d first-level page-table format (IA-32e 4- and 5-level paging, VT-d spec §3.6 and §9.7) as a core
 * {@link PageTableFormat}: scalable-mode PGTT = 1 (first-level only) and the stage 1 of PGTT = 3 (nested).
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
import { FL, FL_HI } from './first-level-entry';

/**
 * Options of {@link createFirstLevelFormat}: the PASID-table-entry and capability fields that change how
 * first-level entries decode. Every switch defaults to `false` (the field clear).
 */
export interface FirstLevelFormatOptions {
  /** Paging levels: 4 (PASID entry FLPM = 0, 48-bit input) or 5 (FLPM = 1, 57-bit input, needs CAP.FL5LP). */
  levels: 4 | 5;
  /**
   * Address width of the table and page addresses the entries hold (32..52): the host address width for
   * PGTT = 1, the guest-physical width for a nested stage 1. Entry address bits 51:hawBits are reserved
   * (fault 0x72).
   */
  hawBits: number;
  /** PASID entry NXE: XD [63] is honoured (execute disable); when clear XD is a reserved bit. */
  nxe?: boolean;
  /** PASID entry WPE: supervisor writes need R/W = 1 at every level (else supervisor writes are always allowed). */
  wpe?: boolean;
  /** PASID entry SMEP: supervisor execute is denied on user pages (U/S = 1 at every level). */
  smep?: boolean;
  /**
   * PASID entry SRE: supervisor (privileged, `Access.PRIV`) requests are allowed. The device model must
   * check SRE before walking (fault 0x5D, SPT.6); this format backs that up: with `sre` clear, a privileged
   * walk faults at its first entry with a `permission` fault of detail `supervisor` (which
   * `vtdFaultReasonForWalk` maps to 0x5D) and no supervisor right is ever granted in `permitted`.
   */
  sre?: boolean;
  /** PASID entry EAFE: hardware sets EA [10] together with A in every entry it uses (EA is ignored otherwise). */
  eafe?: boolean;
  /** CAP.FL1GP: a PDPE with PS = 1 maps a 1 GiB page; without it PS in a PDPE is reserved. */
  fl1gp?: boolean;
  /** Page shift: only 12 (4 KiB) exists. */
  pageShift?: 12;
}

/** A first-level format instance, with the options it was built from. */
export interface FirstLevelFormat extends PageTableFormat {
  /** The options, defaults filled in. */
  readonly options: Readonly<Required<FirstLevelFormatOptions>>;
}

/** acc0 bits: a right some level of the walk so far has removed. */
const NO_RW = 1;
const NO_US = 2;
const XD_SEEN = 4;

const WRITE_PERMS = Perm.UW | Perm.PW;

/**
 * The rights a leaf grants for the accumulated restrictions `acc`, per VT-d spec §3.6 (IA-32e access
 * rights): users need U/S = 1 at every level (and R/W = 1 to write, XD = 0 to execute with NXE);
 * supervisors may always read, write unless WPE and some R/W = 0, and execute unless SMEP on a user page
 * or XD with NXE.
 */
function rightsFor(acc: number, o: Required<FirstLevelFormatOptions>): number {
  const userPage = (acc & NO_US) === 0;
  const writable = (acc & NO_RW) === 0;
  const executable = !(o.nxe && (acc & XD_SEEN) !== 0);
  let perm = 0;
  if (userPage) {
    perm |= Perm.UR;
    if (writable) perm |= Perm.UW;
    if (executable) perm |= Perm.UX;
  }
  if (o.sre) {
    perm |= Perm.PR;
    if (!o.wpe || writable) perm |= Perm.PW;
    if (executable && !(o.smep && userPage)) perm |= Perm.PX;
  }
  return perm;
}

/** Which right a denied request lacked, in the order the fault reasons are checked: U/S, execute, write. */
function deniedDetail(acc: number, access: number, o: Required<FirstLevelFormatOptions>): PermissionDetail {
  const userPage = (acc & NO_US) === 0;
  const executable = !(o.nxe && (acc & XD_SEEN) !== 0);
  if (access & Access.PRIV) {
    if (!o.sre) return 'supervisor';
    if (access & Access.EXEC && (!executable || (o.smep && userPage))) return 'exec';
    if (access & Access.WRITE) return 'write';
    return 'read';
  }
  if (!userPage) return 'user';
  if (access & Access.EXEC && !executable) return 'exec';
  if (access & Access.WRITE) return 'write';
  return 'read';
}

/**
 * Builds a first-level format instance. Depth 0 is the PML5 (5-level) or PML4 table; `archLevels` are
 * 5/4…1 (PT = 1). Leaves: PTE (4 KiB), PDE with PS (2 MiB), PDPE with PS when `fl1gp` (1 GiB).
 *
 * Decoding, per entry: P = 0 → `translation` (0x71); reserved bits (51:hawBits, XD without NXE, PS in a
 * PML4E/PML5E or in a PDPE without FL1GP, bits 29:13 of a 1 GiB leaf, 20:13 of a 2 MiB leaf) → `reserved`
 * (0x72); R/W, U/S and XD accumulate in `state.acc0`; A (and EA with EAFE) is requested in every entry
 * used, through `state.setLo` (the walker writes it back only when it changes, so flags are sticky). At the
 * leaf the access is checked against the accumulated rights (a `permission` fault with detail `user`,
 * `exec`, `write` or `supervisor`; the leaf's A/D are then not set) and, when permitted, D is requested
 * on a write. `cachePermitted` drops the write rights while the leaf's D is still clear, so a cached read
 * translation cannot let a later write skip the D update. `attrs` is the PAT index (PAT:PCD:PWT);
 * `global` is false (first-level translations are PASID-tagged).
 *
 * Where QEMU's model (`vtd_iova_to_flpte`) differs, this follows the spec: QEMU ignores bits 63:52, XD
 * included (here XD is reserved without NXE and honoured with it); QEMU treats every request as a user
 * request and checks U/S and R/W entry by entry, before the reserved bits and before reaching the leaf
 * (here reserved bits come first and rights are the IA-32e combination over the whole walk, for both
 * privilege levels); QEMU walks 4-level tables only.
 * @throws IommuError `ARGUMENT` for a bad level count, width or page shift.
 */
export function createFirstLevelFormat(options: FirstLevelFormatOptions): FirstLevelFormat {
  const o: Required<FirstLevelFormatOptions> = {
    levels: options.levels,
    hawBits: options.hawBits,
    nxe: options.nxe ?? false,
    wpe: options.wpe ?? false,
    smep: options.smep ?? false,
    sre: options.sre ?? false,
    eafe: options.eafe ?? false,
    fl1gp: options.fl1gp ?? false,
    pageShift: options.pageShift ?? 12,
  };
  if (o.levels !== 4 && o.levels !== 5) {
    throw new IommuError('ARGUMENT', `first-level paging has 4 or 5 levels, got ${String(o.levels)}`, { levels: o.levels });
  }
  if (o.pageShift !== 12) throw new IommuError('ARGUMENT', 'first-level paging has 4 KiB pages only', { pageShift: o.pageShift });
  checkWidth('hawBits', o.hawBits, 32, 52);

  const levels = o.levels;
  const shifts = Array.from({ length: levels }, (_, d) => 12 + 9 * (levels - 1 - d));
  const archLevels = Array.from({ length: levels }, (_, d) => levels - d);
  const leafDepths = archLevels.map((l) => l === 1 || l === 2 || (l === 3 && o.fl1gp));
  const reservedHi = (reservedAddressHiMask(o.hawBits) | (o.nxe ? 0 : FL_HI.XD)) >>> 0;
  const accessed = FL.A | (o.eafe ? FL.EA : 0);
  const rights = Array.from({ length: 8 }, (_, acc) => rightsFor(acc, o));

  /** log2 of the page a leaf maps at `level` with PS = `ps`, or 0 when the entry is a table (or PS is misplaced). */
  const leafShiftOf = (level: number, ps: boolean): number => {
    if (level === 1) return 12;
    if (!ps) return 0;
    if (level === 2) return 21;
    if (level === 3 && o.fl1gp) return 30;
    return 0;
  };

  const format: FirstLevelFormat = {
    name: `VT-d first-level, ${levels}-level (${levels === 5 ? 57 : 48}-bit input), HAW ${o.hawBits}`,
    levels,
    inputBits: levels === 5 ? 57 : 48,
    outputBits: o.hawBits,
    shifts,
    indexBits: shifts.map(() => 9),
    archLevels,
    leafDepths,
    granuleShift: 12,
    options: o,

    classify(_hi, lo, depth): EntryKindValue {
      if ((lo & FL.P) === 0) return EntryKind.INVALID;
      return leafShiftOf(levels - depth, (lo & FL.PS) !== 0) ? EntryKind.LEAF : EntryKind.TABLE;
    },

    address(hi, lo, depth): number {
      return entryAddress(hi, lo, leafShiftOf(levels - depth, (lo & FL.PS) !== 0) || 12);
    },

    decode(hi, lo, depth, access, state: WalkState): EntryKindValue {
      if (depth === 0 && (access & Access.PRIV) !== 0 && !o.sre) {
        state.fault = 'permission';
        state.faultDetail = 'supervisor';
        return EntryKind.FAULT;
      }
      if ((lo & FL.P) === 0) return EntryKind.INVALID;
      const level = levels - depth;
      const ps = (lo & FL.PS) !== 0;
      let leafShift = 0;
      if (level === 1) leafShift = 12;
      else if (ps) {
        if (level === 2 && (lo & FL.RESERVED_2M) === 0) leafShift = 21;
        else if (level === 3 && o.fl1gp && (lo & FL.RESERVED_1G) === 0) leafShift = 30;
        else return reserved(state); // PS in PML4E/PML5E, in a PDPE without FL1GP, or a large leaf's reserved bits
      }
      if ((hi & reservedHi) !== 0) return reserved(state);

      let acc = state.acc0;
      if ((lo & FL.RW) === 0) acc |= NO_RW;
      if ((lo & FL.US) === 0) acc |= NO_US;
      if ((hi & FL_HI.XD) !== 0) acc |= XD_SEEN;
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
        state.faultDetail = deniedDetail(acc, access, o);
        return EntryKind.FAULT;
      }
      const set = access & Access.WRITE ? accessed | FL.D : accessed;
      state.setLo = set;
      state.permitted = permitted;
      state.cachePermitted = (lo | set) & FL.D ? permitted : permitted & ~WRITE_PERMS;
      state.next = entryAddress(hi, lo, leafShift);
      state.leafShift = leafShift;
      const pat = leafShift === 12 ? (lo & FL.PAT_PTE) !== 0 : (lo & FL.PAT_LARGE) !== 0;
      state.attrs = ((lo >>> 3) & 3) | (pat ? 4 : 0);
      state.global = false;
      return EntryKind.LEAF;
    },

    encodeTable(next, _depth, out: U64): void {
      // Most permissive, so that the leaf alone decides the rights; A preset as Linux does.
      out.hi = addressHi(next);
      out.lo = (addressLo(next) | FL.P | FL.RW | FL.US | FL.A) >>> 0;
    },

    encodeLeaf(output, depth, prot: MapProt, out: U64): void {
      const leafShift = shifts[depth]!;
      let lo = FL.P | addressLo(output);
      if (prot.write) lo |= FL.RW;
      if (prot.user) lo |= FL.US;
      if (prot.accessed ?? true) lo |= FL.A;
      if (prot.dirty) lo |= FL.D;
      const attr = prot.attrIndex ?? 0;
      lo |= (attr & 3) << 3;
      if (leafShift !== 12) lo |= FL.PS | (attr & 4 ? FL.PAT_LARGE : 0);
      else if (attr & 4) lo |= FL.PAT_PTE;
      let hi = addressHi(output);
      if (o.nxe && !prot.exec) hi |= FL_HI.XD;
      out.hi = hi >>> 0;
      out.lo = lo >>> 0;
    },

    splitLeaf(hi, lo, depth, output, out: U64): void {
      const childLevel = levels - depth - 1;
      const pat = (lo & FL.PAT_LARGE) !== 0;
      let childLo = lo & 0xf7f; // flags 11:0 without PS
      if (childLevel === 1) {
        if (pat) childLo |= FL.PAT_PTE;
      } else {
        childLo |= FL.PS | (pat ? FL.PAT_LARGE : 0);
      }
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
