/**
 * The scalable-mode PASID directory (VT-d spec §9.5): a table of 8-byte entries indexed by PASID[19:6], each
 * pointing to a 4 KB PASID table of 64 × 64-byte entries indexed by PASID[5:0]. The context entry's PDTS field
 * sizes the directory at 2^(PDTS+7) entries; a PASID whose directory index reaches beyond that faults 0x46.
 * @packageDocumentation
 */
import { defineStructure, getField } from '@viommu/core';
import { assertHostAddressWidth, pointerBelowWidth, qwordExceedsWidth } from './address-width';
import { assertIntegerInRange } from './argument-checks';
import { type VtdCheck, vtdFault, vtdOk } from './check-result';
import { VtdFaultReason } from './fault-reasons';

/** Widest PASID the architecture defines, in bits. */
export const MAX_PASID_BITS = 20;
/** The largest PASID, 2^20 − 1 (a literal: `2 ** n` is a slow library call in V8's hot paths). */
const MAX_PASID = 0xf_ffff;
/** Bytes per PASID-directory entry. */
export const PASID_DIRECTORY_ENTRY_BYTES = 8;
/** Bytes per scalable-mode PASID-table entry. */
export const PASID_ENTRY_BYTES = 64;
/** PASID-table entries per PASID table (one 4 KB page). */
export const PASID_TABLE_ENTRIES = 64;

/** PASID-directory entry field table, §9.5. */
export const PASID_DIRECTORY_ENTRY_LAYOUT = defineStructure({
  name: 'PasidDirectoryEntry',
  bits: 64,
  fields: [
    { name: 'P', hi: 0, lo: 0, doc: 'Present' },
    { name: 'FPD', hi: 1, lo: 1, doc: 'Fault processing disable for the PASIDs this entry covers (evaluated even when P=0)' },
    { name: 'SMPTBLPTR', hi: 63, lo: 12, shift: 12, big: true, doc: 'Scalable-mode PASID table pointer (4 KB aligned); bits at and above HAW are reserved' },
  ],
  reserved: [[11, 2]],
});

/** A present, valid PASID-directory entry. */
export interface PasidDirectoryConfig {
  /** FPD. */
  readonly fpd: boolean;
  /** The PASID table's host-physical address. */
  readonly pasidTableAddress: number;
}

function assertPasid(pasid: number): void {
  assertIntegerInRange('pasid', pasid, 0, MAX_PASID);
}

/**
 * PASID-directory index of a PASID: bits 19:6.
 * @throws IommuError `ARGUMENT` unless `pasid` is 0..2^20−1.
 */
export function pasidDirectoryIndex(pasid: number): number {
  assertPasid(pasid);
  return pasid >>> 6;
}

/**
 * PASID-table index of a PASID: bits 5:0.
 * @throws IommuError `ARGUMENT` unless `pasid` is 0..2^20−1.
 */
export function pasidTableIndex(pasid: number): number {
  assertPasid(pasid);
  return pasid & 0x3f;
}

/**
 * Number of PASID-directory entries a context entry's PDTS allows: 2^(PDTS+7).
 * @throws IommuError `ARGUMENT` unless `pdts` is 0..7.
 */
export function pasidDirectoryEntries(pdts: number): number {
  assertIntegerInRange('pdts', pdts, 0, 7);
  return 1 << (pdts + 7);
}

/** One more than the largest PASID a PDTS value covers: 2^(PDTS+7) directory entries × 64 PASIDs. */
export function pasidLimit(pdts: number): number {
  return pasidDirectoryEntries(pdts) * PASID_TABLE_ENTRIES;
}

/**
 * True when a PASID lies beyond what the context entry's PDTS covers (its directory index ≥ 2^(PDTS+7)); such
 * a request faults 0x46 (SCT.7).
 */
export function pasidBeyondContextLimit(pasid: number, pdts: number): boolean {
  return pasidDirectoryIndex(pasid) >= pasidDirectoryEntries(pdts);
}

/** Address of a PASID's directory entry: directory + PASID[19:6] × 8. */
export function pasidDirectoryEntryAddress(pasidDirectoryAddress: number, pasid: number): number {
  return pasidDirectoryAddress + pasidDirectoryIndex(pasid) * PASID_DIRECTORY_ENTRY_BYTES;
}

/** Address of a PASID's entry within its PASID table: table + PASID[5:0] × 64. */
export function pasidEntryAddress(pasidTableAddress: number, pasid: number): number {
  return pasidTableAddress + pasidTableIndex(pasid) * PASID_ENTRY_BYTES;
}

/**
 * Checks a PASID-directory entry: P=0 → 0x51 (with its FPD); a reserved bit (11:2, SMPTBLPTR bits ≥ HAW) → 0x52.
 * @throws IommuError `ARGUMENT` for a host address width outside 13..52.
 */
export function checkPasidDirectoryEntry(words: ArrayLike<number>, haw: number): VtdCheck<PasidDirectoryConfig> {
  assertHostAddressWidth(haw);
  const fpd = getField(words, 1, 1) === 1;
  if (getField(words, 0, 1) === 0) return vtdFault(VtdFaultReason.SM_PASID_DIR_NOT_PRESENT, fpd, 'PASID-directory entry P=0');
  if (PASID_DIRECTORY_ENTRY_LAYOUT.hasReservedBits(words)) {
    return vtdFault(VtdFaultReason.SM_PASID_DIR_RESERVED, fpd, 'PASID-directory entry reserved bits 11:2 set');
  }
  if (qwordExceedsWidth(words, 0, haw)) {
    return vtdFault(VtdFaultReason.SM_PASID_DIR_RESERVED, fpd, `PASID-directory entry SMPTBLPTR has bits at or above HAW ${haw}`);
  }
  return vtdOk({ fpd, pasidTableAddress: pointerBelowWidth(words, 0, haw) });
}
