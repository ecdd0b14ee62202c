/**
 * VMSAv8-64 permission models as lookup tables of core {@link Perm} masks, built once per format
 * instance so a walk decodes permissions with one indexed read ([ARMARM] D8.4, pseudocode
 * AArch64.S1HasPermissionsFault / S2HasPermissionsFault; reference §4).
 * @packageDocumentation
 */
import { Perm, type PermissionDetail } from '@viommu/core';

/**
 * Index bits of the stage-1 table ({@link stage1PermissionKey}): AP[1], AP[2], PXN, UXN of the leaf, then
 * PXNTable, UXNTable, APTable[0], APTable[1] accumulated over the table descriptors above it.
 */
export const S1Key = {
  /** Leaf AP[1] (descriptor bit 6): EL0 access. */
  AP1: 1,
  /** Leaf AP[2] (descriptor bit 7): read-only. */
  AP2: 2,
  /** Leaf PXN (bit 53). */
  PXN: 4,
  /** Leaf UXN (bit 54). */
  UXN: 8,
  /** PXNTable (bit 59) of some table descriptor above. */
  PXN_TABLE: 16,
  /** UXNTable (bit 60) of some table descriptor above. */
  UXN_TABLE: 32,
  /** APTable[0] (bit 61): no EL0 access below. */
  APTABLE0: 64,
  /** APTable[1] (bit 62): no write access below. */
  APTABLE1: 128,
} as const;

/**
 * The stage-1 table key for a leaf's halves and the accumulated table bits (`tableBits` = descriptor
 * bits [62:59] ORed over the walk, as `hi >>> 27 & 0xf`: bit 0 PXNTable, 1 UXNTable, 2 APTable[0],
 * 3 APTable[1]).
 */
export function stage1PermissionKey(hi: number, lo: number, tableBits: number): number {
  return ((lo >>> 6) & 3) | (((hi >>> 21) & 3) << 2) | ((tableBits & 0xf) << 4);
}

/** Stage-1 switches from the CD ([SPEC] 5.4). */
export interface Stage1PermissionModel {
  /** CD.WXN: a location writable at a privilege is not executable at it. */
  wxn: boolean;
  /** CD.PAN: privileged data accesses to locations readable at EL0 fault. */
  pan: boolean;
}

/**
 * Builds the 256-entry stage-1 table, one {@link Perm} mask per key, for the EL1&0 regime:
 * - AP[2:1]: 00 privileged RW; 01 RW at both; 10 privileged RO; 11 RO at both. Privileged read is always
 *   granted (before PAN).
 * - APTable[0] removes EL0 read/write; APTable[1] removes write at both levels.
 * - PX = ¬(PXN ∨ PXNTable ∨ EL0-writable) — a location writable at EL0 is never privileged-executable;
 *   UX = ¬(UXN ∨ UXNTable). (VMSAv8-64 always applies the EL0-writable rule; CD.UWXN is for AArch32.)
 * - PAN: when EL0 may read, privileged read and write are removed (FEAT_PAN3's EPAN is not modelled).
 * - WXN: per privilege, writable ⇒ not executable (after PAN, as the pseudocode orders it).
 */
export function buildStage1PermissionTable(model: Stage1PermissionModel): Uint8Array {
  const table = new Uint8Array(256);
  for (let key = 0; key < 256; key++) {
    const ap1 = (key & S1Key.AP1) !== 0;
    const ap2 = (key & S1Key.AP2) !== 0;
    let pr = true;
    let pw = !ap2;
    let ur = ap1;
    let uw = ap1 && !ap2;
    if (key & S1Key.APTABLE0) ur = uw = false;
    if (key & S1Key.APTABLE1) pw = uw = false;
    let px = !((key & (S1Key.PXN | S1Key.PXN_TABLE)) !== 0 || uw);
    let ux = (key & (S1Key.UXN | S1Key.UXN_TABLE)) === 0;
    if (model.pan && ur) pr = pw = false;
    if (model.wxn) {
      if (pw) px = false;
      if (uw) ux = false;
    }
    table[key] = (ur ? Perm.UR : 0) | (uw ? Perm.UW : 0) | (ux ? Perm.UX : 0) | (pr ? Perm.PR : 0) | (pw ? Perm.PW : 0) | (px ? Perm.PX : 0);
  }
  return table;
}

/** Index bits of the stage-2 table: S2AP[0] (read), S2AP[1] (write), XN[0], XN[1], dirty-writable. */
export const S2Key = {
  /** S2AP[0] (descriptor bit 6): read. */
  S2AP_READ: 1,
  /** S2AP[1] (descriptor bit 7): write. */
  S2AP_WRITE: 2,
  /** XN[0] (bit 53): only meaningful with FEAT_XNX. */
  XN0: 4,
  /** XN[1] (bit 54): execute-never. */
  XN1: 8,
  /** DBM = 1 with hardware dirty-state management (S2HA and S2HD): writable-clean counts as writable. */
  DIRTY_WRITABLE: 16,
} as const;

/**
 * Builds the 32-entry stage-2 table. Stage 2 knows no privilege except through XNX:
 * - read = S2AP[0]; write = S2AP[1], or DBM under hardware dirty-state management;
 * - without FEAT_XNX (`xnx` false), XN[1] (bit 54) forbids execution at both levels and XN[0] is ignored;
 * - with FEAT_XNX, XN[1:0]: 00 executable at both; 01 not at EL1 (privileged); 10 at neither;
 *   11 not at EL0 (unprivileged).
 */
export function buildStage2PermissionTable(xnx: boolean): Uint8Array {
  const table = new Uint8Array(32);
  for (let key = 0; key < 32; key++) {
    const r = (key & S2Key.S2AP_READ) !== 0;
    const w = (key & (S2Key.S2AP_WRITE | S2Key.DIRTY_WRITABLE)) !== 0;
    const xn1 = (key & S2Key.XN1) !== 0;
    const xn0 = (key & S2Key.XN0) !== 0;
    let px: boolean;
    let ux: boolean;
    if (xnx) {
      px = xn1 ? xn0 : !xn0;
      ux = !xn1;
    } else {
      px = ux = !xn1;
    }
    table[key] = (r ? Perm.UR | Perm.PR : 0) | (w ? Perm.UW | Perm.PW : 0) | (ux ? Perm.UX : 0) | (px ? Perm.PX : 0);
  }
  return table;
}

/** Which right a permission fault lacked, from the missing {@link Perm} bits: exec, then write, then read. */
export function missingRight(missing: number): PermissionDetail {
  if (missing & (Perm.UX | Perm.PX)) return 'exec';
  if (missing & (Perm.UW | Perm.PW)) return 'write';
  return 'read';
}

const sharedStage1Tables = new Map<number, Uint8Array>();
const sharedStage2Tables = new Map<boolean, Uint8Array>();

/**
 * The stage-1 permission table for a model, built once and shared by every format instance (treat it as
 * read-only): a configuration lookup that builds a format for each uncached translation must not rebuild it.
 */
export function sharedStage1PermissionTable(model: Stage1PermissionModel): Uint8Array {
  const key = (model.wxn ? 1 : 0) | (model.pan ? 2 : 0);
  let table = sharedStage1Tables.get(key);
  if (!table) sharedStage1Tables.set(key, (table = buildStage1PermissionTable(model)));
  return table;
}

/** The stage-2 permission table for an XNX setting, built once and shared (read-only). */
export function sharedStage2PermissionTable(xnx: boolean): Uint8Array {
  let table = sharedStage2Tables.get(xnx);
  if (!table) sharedStage2Tables.set(xnx, (table = buildStage2PermissionTable(xnx)));
  return table;
}
