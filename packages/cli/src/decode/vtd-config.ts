/**
 * `viommu decode` for the VT-d translation-structure entries (VT-d spec §9.1–§9.6): root entries (legacy and
 * scalable mode), context entries (legacy 128-bit and scalable-mode 256-bit), PASID-directory entries and
 * scalable-mode PASID-table entries. Fields and reserved ranges come from `@viommu/intel-vtd`'s layouts, the
 * verdict from its `check*` functions, run against the model's default (fully featured) CAP/ECAP with the
 * host address width they imply (MGAW + 1 = 48 bits): pointer bits at or above it count as reserved.
 * @packageDocumentation
 */
import { getField } from '@viommu/core';
import {
  DEFAULT_VTD_CAPABILITIES,
  LEGACY_CONTEXT_ENTRY_LAYOUT,
  LEGACY_ROOT_ENTRY_LAYOUT,
  PASID_DIRECTORY_ENTRY_LAYOUT,
  PASID_ENTRY_LAYOUT,
  SCALABLE_CONTEXT_ENTRY_LAYOUT,
  SCALABLE_ROOT_ENTRY_LAYOUT,
  VtdFaultReason,
  checkLegacyContextEntry,
  checkLegacyRootEntry,
  checkPasidDirectoryEntry,
  checkPasidEntry,
  checkScalableContextEntry,
  checkScalableRootEntry,
  hostAddressWidth,
} from '@viommu/intel-vtd';
import { type Decodable, decodeWithLayout } from '../decodable';
import { describeVtdFaultReason, vtdProblems } from './vtd-verdict';

/** The capabilities every VT-d verdict assumes: the model's defaults (CAP 0x11d2078c222f0e06, ECAP 0x0023ed9ce4000fc7). */
const CAPS = DEFAULT_VTD_CAPABILITIES;
/** Host address width the verdicts assume: CAP.MGAW + 1 of the default capabilities. */
export const VTD_DECODE_HAW = hostAddressWidth(CAPS);

/** Legacy root entry, §9.1: P and the context-table pointer. The devfn does not matter to a legacy entry. */
export const ROOT_ENTRY: Decodable = {
  name: 'root-entry',
  vendor: 'vtd',
  summary: 'legacy-mode root entry (128 bits, §9.1)',
  words64: 2,
  decode: (words) => decodeWithLayout(LEGACY_ROOT_ENTRY_LAYOUT, words, () => vtdProblems(checkLegacyRootEntry(words, 0, VTD_DECODE_HAW))),
};

/**
 * Scalable-mode root entry, §9.2. Its halves are independent entries for devfn 0–127 (LP/LCTP) and 128–255
 * (UP/UCTP): it is valid when at least one half is present and every present half passes the check.
 */
export const SM_ROOT_ENTRY: Decodable = {
  name: 'sm-root-entry',
  vendor: 'vtd',
  summary: 'scalable-mode root entry (128 bits, §9.2): lower and upper context tables',
  words64: 2,
  decode: (words) =>
    decodeWithLayout(SCALABLE_ROOT_ENTRY_LAYOUT, words, () => {
      const lower = getField(words, 0, 1) === 1;
      const upper = getField(words, 64, 1) === 1;
      if (!lower && !upper) {
        return [`${describeVtdFaultReason(VtdFaultReason.SM_ROOT_ENTRY_NOT_PRESENT)}: LP=0 and UP=0, neither half is present`];
      }
      return [
        ...(lower ? vtdProblems(checkScalableRootEntry(words, 0, VTD_DECODE_HAW), 'lower half: ') : []),
        ...(upper ? vtdProblems(checkScalableRootEntry(words, 128, VTD_DECODE_HAW), 'upper half: ') : []),
      ];
    }),
};

/** Legacy context entry, §9.3. */
export const CONTEXT_ENTRY: Decodable = {
  name: 'context-entry',
  vendor: 'vtd',
  summary: 'legacy-mode context entry (128 bits, §9.3); sm-context-entry for scalable mode',
  words64: 2,
  decode: (words) => decodeWithLayout(LEGACY_CONTEXT_ENTRY_LAYOUT, words, () => vtdProblems(checkLegacyContextEntry(words, CAPS, VTD_DECODE_HAW))),
};

/** Scalable-mode context entry, §9.4. */
export const SM_CONTEXT_ENTRY: Decodable = {
  name: 'sm-context-entry',
  vendor: 'vtd',
  summary: 'scalable-mode context entry (256 bits, §9.4)',
  words64: 4,
  decode: (words) =>
    decodeWithLayout(SCALABLE_CONTEXT_ENTRY_LAYOUT, words, () => vtdProblems(checkScalableContextEntry(words, CAPS, VTD_DECODE_HAW))),
};

/** PASID-directory entry, §9.5. */
export const PASID_DIR_ENTRY: Decodable = {
  name: 'pasid-dir-entry',
  vendor: 'vtd',
  summary: 'scalable-mode PASID-directory entry (64 bits, §9.5)',
  words64: 1,
  decode: (words) => decodeWithLayout(PASID_DIRECTORY_ENTRY_LAYOUT, words, () => vtdProblems(checkPasidDirectoryEntry(words, VTD_DECODE_HAW))),
};

/** Scalable-mode PASID-table entry, §9.6. */
export const PASID_ENTRY: Decodable = {
  name: 'pasid-entry',
  vendor: 'vtd',
  summary: 'scalable-mode PASID-table entry (512 bits, §9.6)',
  words64: 8,
  decode: (words) => decodeWithLayout(PASID_ENTRY_LAYOUT, words, () => vtdProblems(checkPasidEntry(words, CAPS, VTD_DECODE_HAW))),
};
