/**
 * The scalable-mode context entry (VT-d spec §9.4): 256 bits, one per devfn, enabling device-TLBs, PASIDs and
 * page requests, and pointing to the PASID directory. Requests without PASID use the RID_PASID PASID.
 * @packageDocumentation
 */
import { defineStructure, getField } from '@viommu/core';
import { assertHostAddressWidth, hostAddressWidth, pointerBelowWidth, qwordExceedsWidth } from './address-width';
import type { VtdCapabilities } from './capabilities';
import { type VtdCheck, vtdFault, vtdOk } from './check-result';
import { VtdFaultReason } from './fault-reasons';
import { pasidBeyondContextLimit, pasidDirectoryEntries, pasidLimit } from './pasid-directory';

/** Scalable-mode context entry field table, §9.4. */
export const SCALABLE_CONTEXT_ENTRY_LAYOUT = defineStructure({
  name: 'ScalableModeContextEntry',
  bits: 256,
  fields: [
    { name: 'P', hi: 0, lo: 0, doc: 'Present' },
    { name: 'FPD', hi: 1, lo: 1, doc: 'Fault processing disable (evaluated even when P=0)' },
    { name: 'DTE', hi: 2, lo: 2, doc: 'Device-TLB enable: translation requests (ATS) are allowed' },
    { name: 'PASIDE', hi: 3, lo: 3, doc: 'PASID enable: requests with PASID are allowed' },
    { name: 'PRE', hi: 4, lo: 4, doc: 'Page request enable' },
    {
      name: 'PDTS',
      hi: 11,
      lo: 9,
      values: { 0: '128 entries', 1: '256 entries', 2: '512 entries', 3: '1K entries', 4: '2K entries', 5: '4K entries', 6: '8K entries', 7: '16K entries' },
      doc: 'PASID directory size: 2^(PDTS+7) entries',
    },
    { name: 'PASIDDIRPTR', hi: 63, lo: 12, shift: 12, big: true, doc: 'PASID directory pointer (4 KB aligned); bits at and above HAW are reserved' },
    { name: 'RID_PASID', hi: 83, lo: 64, doc: 'PASID used for requests without PASID (ECAP.RPS; otherwise PASID 0 is used)' },
    { name: 'RID_PRIV', hi: 84, lo: 84, doc: 'Privilege of requests without PASID: 1 supervisor (ECAP.RPRIVS)' },
  ],
  reserved: [
    [8, 5],
    [127, 85],
    [255, 128],
  ],
});

/** A present, valid scalable-mode context entry. */
export interface ScalableContextConfig {
  /** FPD. */
  readonly fpd: boolean;
  /** DTE: translation requests allowed. */
  readonly dte: boolean;
  /** PASIDE: requests with PASID allowed. */
  readonly paside: boolean;
  /** PRE: page requests allowed. */
  readonly pre: boolean;
  /** PDTS field. */
  readonly pdts: number;
  /** PASID-directory entries, 2^(PDTS+7). */
  readonly pasidDirectoryEntries: number;
  /** The PASID directory's host-physical address. */
  readonly pasidDirectoryAddress: number;
  /** The PASID used for requests without PASID: RID_PASID when ECAP.RPS, else 0. */
  readonly ridPasid: number;
  /** Requests without PASID are supervisor requests: RID_PRIV when ECAP.RPRIVS, else false. */
  readonly ridPriv: boolean;
}

/**
 * Checks a scalable-mode context entry and decodes it:
 * - P=0 → 0x41 (with the entry's FPD);
 * - a reserved bit (8:5, 127:85, 255:128, PASIDDIRPTR bits ≥ HAW) → 0x42;
 * - with ECAP.RPS, a RID_PASID beyond the PASIDs PDTS covers → 0x43 (SCT.4 "invalid context entry"; the
 *   condition is derived: the PASID used for requests without PASID must be reachable through the directory).
 * Without ECAP.RPS the RID_PASID field is not used (requests without PASID use PASID 0), and without
 * ECAP.RPRIVS RID_PRIV is not used; neither is treated as reserved here.
 * @param haw host address width (defaults to {@link hostAddressWidth} of `caps`).
 * @throws IommuError `ARGUMENT` for a host address width outside 13..52.
 */
export function checkScalableContextEntry(
  words: ArrayLike<number>,
  caps: VtdCapabilities,
  haw: number = hostAddressWidth(caps),
): VtdCheck<ScalableContextConfig> {
  assertHostAddressWidth(haw);
  const fpd = getField(words, 1, 1) === 1;
  if (getField(words, 0, 1) === 0) return vtdFault(VtdFaultReason.SM_CONTEXT_ENTRY_NOT_PRESENT, fpd, 'scalable context entry P=0');
  if (SCALABLE_CONTEXT_ENTRY_LAYOUT.hasReservedBits(words)) {
    return vtdFault(VtdFaultReason.SM_CONTEXT_ENTRY_RESERVED, fpd, 'scalable context entry reserved bits 8:5, 127:85 or 255:128 set');
  }
  if (qwordExceedsWidth(words, 0, haw)) {
    return vtdFault(VtdFaultReason.SM_CONTEXT_ENTRY_RESERVED, fpd, `scalable context entry PASIDDIRPTR has bits at or above HAW ${haw}`);
  }
  const pdts = getField(words, 9, 3);
  const ridPasid = caps.rps ? getField(words, 64, 20) : 0;
  if (ridPasid >= pasidLimit(pdts)) {
    return vtdFault(VtdFaultReason.SM_CONTEXT_ENTRY_INVALID, fpd, `RID_PASID ${ridPasid} beyond the ${pasidLimit(pdts)} PASIDs PDTS=${pdts} covers`);
  }
  return vtdOk({
    fpd,
    dte: getField(words, 2, 1) === 1,
    paside: getField(words, 3, 1) === 1,
    pre: getField(words, 4, 1) === 1,
    pdts,
    pasidDirectoryEntries: pasidDirectoryEntries(pdts),
    pasidDirectoryAddress: pointerBelowWidth(words, 0, haw),
    ridPasid,
    ridPriv: caps.rprivs && getField(words, 84, 1) === 1,
  });
}

/** The properties of a request that the scalable-mode context entry gates. */
export interface ScalableContextRequest {
  /** The request's PASID, or `undefined` for a request without PASID. */
  readonly pasid?: number | undefined;
  /** A translation request (ATS), which needs DTE. */
  readonly translationRequest?: boolean;
  /** A page request (PRI), which needs PRE. */
  readonly pageRequest?: boolean;
}

/** What the context entry resolves for a request. */
export interface ScalableContextRoute {
  /** The PASID whose directory/table entry translates the request (RID_PASID for requests without PASID). */
  readonly pasid: number;
  /** True when the request carried its own PASID. */
  readonly withPasid: boolean;
}

/**
 * Applies a valid scalable-mode context entry's per-request gates (§9.4):
 * translation request with DTE=0 → 0x44; request with PASID while PASIDE=0 → 0x45; a PASID whose directory
 * index is ≥ 2^(PDTS+7) → 0x46; page request with PRE=0 → 0x47. Faults carry the context entry's FPD.
 * @throws IommuError `ARGUMENT` when `request.pasid` is not 0..2^20−1.
 */
export function routeScalableContextRequest(ctx: ScalableContextConfig, request: ScalableContextRequest): VtdCheck<ScalableContextRoute> {
  if (request.translationRequest && !ctx.dte) return vtdFault(VtdFaultReason.SM_DTE_CLEAR, ctx.fpd, 'translation request with DTE=0');
  const withPasid = request.pasid !== undefined;
  if (withPasid && !ctx.paside) return vtdFault(VtdFaultReason.SM_PASIDE_CLEAR, ctx.fpd, 'request with PASID while PASIDE=0');
  const pasid = request.pasid ?? ctx.ridPasid;
  if (pasidBeyondContextLimit(pasid, ctx.pdts)) {
    return vtdFault(VtdFaultReason.SM_PASID_BEYOND_CONTEXT_LIMIT, ctx.fpd, `PASID ${pasid} beyond the ${pasidLimit(ctx.pdts)} PASIDs PDTS=${ctx.pdts} covers`);
  }
  if (request.pageRequest && !ctx.pre) return vtdFault(VtdFaultReason.SM_PRE_CLEAR, ctx.fpd, 'page request with PRE=0');
  return vtdOk({ pasid, withPasid });
}
