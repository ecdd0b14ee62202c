/**
 * The legacy-mode context entry (VT-d spec §9.3): 128 bits, one per devfn, selecting the translation type,
 * the second-level page table, its address width and the domain.
 * @packageDocumentation
 */
import { defineStructure, getField } from '@viommu/core';
import { assertHostAddressWidth, hostAddressWidth, pointerBelowWidth, qwordExceedsWidth } from './address-width';
import { type VtdCapabilities, agawOfAw, sagawSupportsAw } from './capabilities';
import { type VtdCheck, vtdFault, vtdOk } from './check-result';
import { VtdFaultReason } from './fault-reasons';

/** Legacy context entry field table, §9.3. */
export const LEGACY_CONTEXT_ENTRY_LAYOUT = defineStructure({
  name: 'ContextEntry',
  bits: 128,
  fields: [
    { name: 'P', hi: 0, lo: 0, doc: 'Present' },
    { name: 'FPD', hi: 1, lo: 1, doc: 'Fault processing disable: qualified faults for this device are not recorded (evaluated even when P=0)' },
    {
      name: 'TT',
      hi: 3,
      lo: 2,
      values: { 0: 'multi-level', 1: 'device-tlb', 2: 'pass-through', 3: 'reserved' },
      doc: 'Translation type: 00b untranslated requests through second level, 01b also translation requests/translated requests (ECAP.DT), 10b pass-through (ECAP.PT), 11b reserved',
    },
    { name: 'SLPTPTR', hi: 63, lo: 12, shift: 12, big: true, doc: 'Second-level page-table pointer (4 KB aligned); bits at and above HAW are reserved' },
    {
      name: 'AW',
      hi: 66,
      lo: 64,
      values: { 0: '30-bit 2-level', 1: '39-bit 3-level', 2: '48-bit 4-level', 3: '57-bit 5-level', 4: '66-bit 6-level' },
      doc: 'Address width: AGAW = 30 + 9·AW with 2 + AW levels; must be a width CAP.SAGAW reports',
    },
    { name: 'AVAIL', hi: 70, lo: 67, doc: 'Available to software, ignored by hardware' },
    { name: 'DID', hi: 87, lo: 72, doc: 'Domain identifier (tags IOTLB and context-cache entries)' },
  ],
  reserved: [
    [11, 4],
    [71, 71],
    [127, 88],
  ],
});

/** Context-entry TT values (legacy mode). */
export const LegacyTranslationType = {
  /** Untranslated requests walk the second-level table; translation requests are blocked (0xD). */
  MULTI_LEVEL: 0,
  /** As MULTI_LEVEL, and translation requests and translated requests are allowed (needs ECAP.DT). */
  DEVICE_TLB: 1,
  /** Untranslated requests pass through untranslated (needs ECAP.PT). */
  PASS_THROUGH: 2,
} as const;

/** A present, valid legacy context entry. */
export interface LegacyContextConfig {
  /** FPD: qualified faults are not recorded. */
  readonly fpd: boolean;
  /** TT, one of {@link LegacyTranslationType}'s values. */
  readonly translationType: 0 | 1 | 2;
  /** Second-level page-table root (host physical); not used for pass-through. */
  readonly secondLevelTableAddress: number;
  /** AW field. */
  readonly aw: number;
  /** Second-level paging levels, 2 + AW. */
  readonly levels: number;
  /** Adjusted guest address width in bits, 30 + 9·AW. */
  readonly agaw: number;
  /** Domain identifier. */
  readonly domainId: number;
  /** AVAIL bits (software's). */
  readonly avail: number;
}

/**
 * Checks a legacy context entry and decodes it:
 * - P=0 → 0x2 (with the entry's FPD, which the spec evaluates irrespective of P);
 * - a reserved bit (11:4, 71, 127:88, SLPTPTR bits ≥ HAW) → 0xB;
 * - TT=11b, TT=01b without ECAP.DT, TT=10b without ECAP.PT → 0x3;
 * - for TT 00b/01b, an AW value CAP.SAGAW does not report → 0x3.
 * The order (present, reserved, then validity) and the SLPTPTR width check for every TT follow QEMU's
 * `vtd_dev_to_context_entry`.
 * @param haw host address width (defaults to {@link hostAddressWidth} of `caps`).
 * @throws IommuError `ARGUMENT` for a host address width outside 13..52.
 */
export function checkLegacyContextEntry(
  words: ArrayLike<number>,
  caps: VtdCapabilities,
  haw: number = hostAddressWidth(caps),
): VtdCheck<LegacyContextConfig> {
  assertHostAddressWidth(haw);
  const fpd = getField(words, 1, 1) === 1;
  if (getField(words, 0, 1) === 0) return vtdFault(VtdFaultReason.CONTEXT_ENTRY_NOT_PRESENT, fpd, 'context entry P=0');
  if (LEGACY_CONTEXT_ENTRY_LAYOUT.hasReservedBits(words)) {
    return vtdFault(VtdFaultReason.CONTEXT_ENTRY_RESERVED, fpd, 'context entry reserved bits 11:4, 71 or 127:88 set');
  }
  if (qwordExceedsWidth(words, 0, haw)) {
    return vtdFault(VtdFaultReason.CONTEXT_ENTRY_RESERVED, fpd, `context entry SLPTPTR has bits at or above HAW ${haw}`);
  }
  const tt = getField(words, 2, 2);
  if (tt === 3) return vtdFault(VtdFaultReason.CONTEXT_ENTRY_INVALID, fpd, 'context entry TT=11b is reserved');
  if (tt === LegacyTranslationType.DEVICE_TLB && !caps.dt) {
    return vtdFault(VtdFaultReason.CONTEXT_ENTRY_INVALID, fpd, 'context entry TT=01b without ECAP.DT');
  }
  if (tt === LegacyTranslationType.PASS_THROUGH && !caps.pt) {
    return vtdFault(VtdFaultReason.CONTEXT_ENTRY_INVALID, fpd, 'context entry TT=10b without ECAP.PT');
  }
  const aw = getField(words, 64, 3);
  if (tt !== LegacyTranslationType.PASS_THROUGH && !sagawSupportsAw(caps, aw)) {
    return vtdFault(VtdFaultReason.CONTEXT_ENTRY_INVALID, fpd, `context entry AW=${aw} (${agawOfAw(aw)}-bit) not in CAP.SAGAW`);
  }
  return vtdOk({
    fpd,
    translationType: tt as 0 | 1 | 2,
    secondLevelTableAddress: pointerBelowWidth(words, 0, haw),
    aw,
    levels: 2 + aw,
    agaw: agawOfAw(aw),
    domainId: getField(words, 72, 16),
    avail: getField(words, 67, 4),
  });
}
