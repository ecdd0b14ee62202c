/**
 * Root entries (VT-d spec §9.1 legacy, §9.2 scalable mode): 128 bits each, 256 per 4 KB root table, indexed by
 * bus. A legacy entry points to one context table of 256 × 16-byte entries; a scalable-mode entry holds two
 * pointers — the lower context table for devfn 0–127 and the upper one for devfn 128–255 — each of 128 ×
 * 32-byte entries, indexed by devfn & 0x7F.
 * @packageDocumentation
 */
import { defineStructure, getField } from '@viommu/core';
import { assertHostAddressWidth, pointerBelowWidth, qwordExceedsWidth } from './address-width';
import { assertIntegerInRange } from './argument-checks';
import { type VtdCheck, vtdFault, vtdOk } from './check-result';
import { VtdFaultReason } from './fault-reasons';

/** Legacy root entry field table, §9.1. */
export const LEGACY_ROOT_ENTRY_LAYOUT = defineStructure({
  name: 'RootEntry',
  bits: 128,
  fields: [
    { name: 'P', hi: 0, lo: 0, doc: 'Present: the context table pointer is valid' },
    { name: 'CTP', hi: 63, lo: 12, shift: 12, big: true, doc: 'Context-table pointer (4 KB aligned); bits at and above HAW are reserved' },
  ],
  reserved: [
    [11, 1],
    [127, 64],
  ],
});

/** Scalable-mode root entry field table, §9.2. */
export const SCALABLE_ROOT_ENTRY_LAYOUT = defineStructure({
  name: 'ScalableModeRootEntry',
  bits: 128,
  fields: [
    { name: 'LP', hi: 0, lo: 0, doc: 'Lower present: LCTP is valid (devfn 0–127)' },
    { name: 'LCTP', hi: 63, lo: 12, shift: 12, big: true, doc: 'Lower context-table pointer, devfn 0–127; bits at and above HAW are reserved' },
    { name: 'UP', hi: 64, lo: 64, doc: 'Upper present: UCTP is valid (devfn 128–255)' },
    { name: 'UCTP', hi: 127, lo: 76, shift: 12, big: true, doc: 'Upper context-table pointer, devfn 128–255; bits at and above HAW are reserved' },
  ],
  reserved: [
    [11, 1],
    [75, 65],
  ],
});

/** Bytes per legacy context entry (256 per 4 KB table). */
export const LEGACY_CONTEXT_ENTRY_BYTES = 16;
/** Bytes per scalable-mode context entry (128 per 4 KB table). */
export const SCALABLE_CONTEXT_ENTRY_BYTES = 32;

/** What a present, well-formed root entry yields for one device. */
export interface RootEntryTarget {
  /** The context table used for this devfn (for scalable mode, the lower or upper one). */
  readonly contextTableAddress: number;
  /** The context entry's address for this devfn. */
  readonly contextEntryAddress: number;
}

/**
 * Address of a device's context entry within a context table: legacy `table + devfn × 16`; scalable
 * `table + (devfn & 0x7F) × 32` (the table being the lower one for devfn < 128, the upper one otherwise).
 * @throws IommuError `ARGUMENT` when `devfn` is not 0..255.
 */
export function contextEntryAddress(contextTableAddress: number, devfn: number, scalable: boolean): number {
  assertIntegerInRange('devfn', devfn, 0, 255);
  return scalable
    ? contextTableAddress + (devfn & 0x7f) * SCALABLE_CONTEXT_ENTRY_BYTES
    : contextTableAddress + devfn * LEGACY_CONTEXT_ENTRY_BYTES;
}

/**
 * Checks a legacy root entry: P=0 → 0x1; a reserved bit (11:1, 127:64, CTP bits ≥ HAW) → 0xA. On success
 * returns the context table and the device's context-entry address.
 * @throws IommuError `ARGUMENT` for a bad `devfn` or host address width (API input, not guest memory).
 */
export function checkLegacyRootEntry(words: ArrayLike<number>, devfn: number, haw: number): VtdCheck<RootEntryTarget> {
  assertHostAddressWidth(haw);
  assertIntegerInRange('devfn', devfn, 0, 255);
  if (getField(words, 0, 1) === 0) return vtdFault(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT, false, 'root entry P=0');
  if (LEGACY_ROOT_ENTRY_LAYOUT.hasReservedBits(words)) {
    return vtdFault(VtdFaultReason.ROOT_ENTRY_RESERVED, false, 'root entry reserved bits 11:1 or 127:64 set');
  }
  if (qwordExceedsWidth(words, 0, haw)) {
    return vtdFault(VtdFaultReason.ROOT_ENTRY_RESERVED, false, `root entry CTP has bits at or above HAW ${haw}`);
  }
  const table = pointerBelowWidth(words, 0, haw);
  return vtdOk({ contextTableAddress: table, contextEntryAddress: contextEntryAddress(table, devfn, false) });
}

/**
 * Checks the half of a scalable-mode root entry that serves `devfn` (lower for 0–127, upper for 128–255):
 * LP/UP=0 → 0x39; a reserved bit of that half (11:1 or 75:65, the pointer's bits ≥ HAW) → 0x3A.
 *
 * Only the half in use is checked: the spec presents the lower and upper halves as separate entries, each with
 * its own present bit. QEMU checks the reserved bits of both halves whenever the entry is read.
 * @throws IommuError `ARGUMENT` for a bad `devfn` or host address width.
 */
export function checkScalableRootEntry(words: ArrayLike<number>, devfn: number, haw: number): VtdCheck<RootEntryTarget> {
  assertHostAddressWidth(haw);
  assertIntegerInRange('devfn', devfn, 0, 255);
  const upper = devfn > 0x7f;
  const qword = upper ? 1 : 0;
  const half = upper ? 'upper' : 'lower';
  if (getField(words, qword * 64, 1) === 0) {
    return vtdFault(VtdFaultReason.SM_ROOT_ENTRY_NOT_PRESENT, false, `scalable root entry ${upper ? 'UP' : 'LP'}=0`);
  }
  if (getField(words, qword * 64 + 1, 11) !== 0) {
    return vtdFault(VtdFaultReason.SM_ROOT_ENTRY_RESERVED, false, `scalable root entry ${half} reserved bits set`);
  }
  if (qwordExceedsWidth(words, qword, haw)) {
    return vtdFault(VtdFaultReason.SM_ROOT_ENTRY_RESERVED, false, `scalable root entry ${half} pointer has bits at or above HAW ${haw}`);
  }
  const table = pointerBelowWidth(words, qword, haw);
  return vtdOk({ contextTableAddress: table, contextEntryAddress: contextEntryAddress(table, devfn, true) });
}

/** Checks a root entry in either mode (see {@link checkLegacyRootEntry} and {@link checkScalableRootEntry}). */
export function checkRootEntry(words: ArrayLike<number>, devfn: number, scalable: boolean, haw: number): VtdCheck<RootEntryTarget> {
  return scalable ? checkScalableRootEntry(words, devfn, haw) : checkLegacyRootEntry(words, devfn, haw);
}
