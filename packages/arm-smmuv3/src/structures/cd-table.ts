/**
 * Locating the CD for a SubstreamID in a single, linear or 2-level CD table [SPEC 5.2 S1Fmt, 5.3, 3.4.3].
 *
 * Two pure steps, so a device model can fetch through stage 2 (S1ContextPtr and L1CD.L2Ptr are IPAs when
 * stage 2 translates) and turn a stage 2 fault on the fetch into its own event (CLASS = CD):
 * {@link planCdFetch} gives the CD address or the L1CD address to read; {@link cdAddressFromL1Cd} finishes a
 * 2-level lookup. {@link locateCd} combines them for a plain memory read.
 *
 * Where the architecture leaves a choice this model takes: RES0 low bits of S1ContextPtr and L2Ptr are
 * treated as zero [SPEC 5.2 S1Fmt]; an out-of-range L2Ptr (PA beyond the OAS, or IPA beyond the IAS) is
 * C_BAD_SUBSTREAMID [SPEC 3.4.3 (3), (4)]; a CD address indexed beyond the OAS/IAS from S1ContextPtr is
 * C_BAD_STE [SPEC 3.4.3 (1), (2)].
 * @packageDocumentation
 */
import { alignDown, bitsOfHalves, IommuError, type U64 } from '@viommu/core';
import type { SmmuCapabilities } from './capabilities';
import type { SteStage1 } from './ste-config';

/** Size of a CD in bytes. */
export const CD_BYTES = 64;
/** Size of an L1CD in bytes. */
export const L1CD_BYTES = 8;

/** The first fetch of a CD lookup. */
export type CdFetchPlan =
  | {
      /** Discriminant: the lookup can proceed. */
      readonly ok: true;
      /** Read the CD at `address`: the table is a single CD, linear, or this is its level-2 entry. */
      readonly kind: 'cd';
      /** Address of the 64-byte CD (an IPA when the STE's `contextPtrIsIpa`, else a PA). */
      readonly address: number;
    }
  | {
      /** Discriminant: the lookup can proceed. */
      readonly ok: true;
      /** Read the L1CD at `address`, then call {@link cdAddressFromL1Cd}. */
      readonly kind: 'l1cd';
      /** Address of the 8-byte L1CD (an IPA when the STE's `contextPtrIsIpa`, else a PA). */
      readonly address: number;
    }
  | CdLookupFault;

/**
 * Why a CD lookup fails:
 * - `C_BAD_SUBSTREAMID`: SubstreamID beyond the table (`SSID_OUT_OF_RANGE`), L1CD.V == 0
 *   (`L1CD_INVALID`), or L1CD.L2Ptr out of range (`L2PTR_OUT_OF_RANGE`) [SPEC 7.3.9];
 * - `C_BAD_STE`: the CD or L1CD address indexed from S1ContextPtr is beyond the OAS/IAS;
 * - `F_CD_FETCH`: the L1CD read was an external abort (only from {@link locateCd}).
 */
export type CdLookupFault =
  | {
      /** Discriminant: the lookup stopped with a fault. */
      readonly ok: false;
      /** C_BAD_SUBSTREAMID (0x08) [SPEC 7.3.9]. */
      readonly fault: 'C_BAD_SUBSTREAMID';
      /** Which C_BAD_SUBSTREAMID condition, as listed on {@link CdLookupFault}. */
      readonly reason: 'SSID_OUT_OF_RANGE' | 'L1CD_INVALID' | 'L2PTR_OUT_OF_RANGE';
    }
  | {
      /** Discriminant: the lookup stopped with a fault. */
      readonly ok: false;
      /** C_BAD_STE (0x04) [SPEC 7.3.5]: S1ContextPtr indexes beyond the OAS (or the IAS when it is an IPA). */
      readonly fault: 'C_BAD_STE';
    }
  | {
      /** Discriminant: the lookup stopped with a fault. */
      readonly ok: false;
      /** F_CD_FETCH (0x09) [SPEC 7.3.10]: the L1CD read returned an external abort. */
      readonly fault: 'F_CD_FETCH';
      /** Address of the L1CD whose read returned an external abort. */
      readonly fetchAddress: number;
    };

/** Where a CD is. */
export type CdLocation =
  | {
      /** Discriminant: the CD was located. */
      readonly ok: true;
      /** Address of the CD (an IPA when `contextPtrIsIpa`). */
      readonly address: number;
      /** Address of the L1CD used, for 2-level tables. */
      readonly l1Address: number | undefined;
    }
  | CdLookupFault;

/** The part of an STE's stage 1 configuration a CD lookup needs. */
export type CdTableRef = Pick<SteStage1, 'contextPtr' | 'contextPtrIsIpa' | 'cdMax' | 'cdTableFormat'>;

/** The address size CD-table pointers must fit: IAS when they are IPAs, else OAS. */
function limitBits(table: CdTableRef, caps: Pick<SmmuCapabilities, 'oasBits' | 'ias'>): number {
  return table.contextPtrIsIpa ? caps.ias : caps.oasBits;
}

/** SubstreamID bits that index a level-2 table: 6 (64 CDs in 4KB) or 10 (1024 CDs in 64KB). */
function l2IndexBits(table: CdTableRef): number {
  return table.cdTableFormat === '2-level-4k' ? 6 : 10;
}

/**
 * First step: the CD address (single or linear table) or the L1CD address (2-level) for `ssid`.
 * @param ssid The CD index (0 for a single CD) — as chosen by `resolveSubstream`.
 * @throws IommuError `ARGUMENT` when `ssid` is not a non-negative integer.
 */
export function planCdFetch(table: CdTableRef, ssid: number, caps: Pick<SmmuCapabilities, 'oasBits' | 'ias'>): CdFetchPlan {
  if (!Number.isInteger(ssid) || ssid < 0) throw new IommuError('ARGUMENT', `SubstreamID must be a non-negative integer, got ${ssid}`);
  const entries = table.cdTableFormat === 'single' ? 1 : 2 ** table.cdMax;
  if (ssid >= entries) return { ok: false, fault: 'C_BAD_SUBSTREAMID', reason: 'SSID_OUT_OF_RANGE' };
  const limit = 2 ** limitBits(table, caps);
  let kind: 'cd' | 'l1cd' = 'cd';
  let address: number;
  switch (table.cdTableFormat) {
    case 'single':
      address = table.contextPtr;
      break;
    case 'linear':
      // The table is aligned to its size: S1ContextPtr[S1CDMax+5:6] are RES0 (treated as zero).
      address = alignDown(table.contextPtr, table.cdMax + 6) + ssid * CD_BYTES;
      break;
    default: {
      // L1 tables hold MAX(1, 2^(S1CDMax − l2bits)) L1CDs, aligned to their size or 64 bytes.
      const l2bits = l2IndexBits(table);
      const l1Index = Math.floor(ssid / 2 ** l2bits);
      const alignBits = Math.max(6, table.cdMax - l2bits + 3);
      address = alignDown(table.contextPtr, alignBits) + l1Index * L1CD_BYTES;
      kind = 'l1cd';
    }
  }
  if (address >= limit) return { ok: false, fault: 'C_BAD_STE' };
  return { ok: true, kind, address };
}

/**
 * Second step of a 2-level lookup: the CD address from the L1CD read for `ssid` [SPEC 5.3].
 * L1CD.V == 0 and an L2Ptr beyond the OAS (IAS when an IPA) give C_BAD_SUBSTREAMID.
 */
export function cdAddressFromL1Cd(
  table: CdTableRef,
  ssid: number,
  l1cd: U64,
  l1Address: number,
  caps: Pick<SmmuCapabilities, 'oasBits' | 'ias'>,
): CdLocation {
  if ((l1cd.lo & 1) === 0) return { ok: false, fault: 'C_BAD_SUBSTREAMID', reason: 'L1CD_INVALID' };
  const l2bits = l2IndexBits(table);
  // L2Ptr holds address bits [55:12]; the L2 table is aligned to its size (4KB or 64KB).
  const l2Ptr = bitsOfHalves(l1cd.hi, l1cd.lo, 12, 44) * 4096;
  if (l2Ptr >= 2 ** limitBits(table, caps)) return { ok: false, fault: 'C_BAD_SUBSTREAMID', reason: 'L2PTR_OUT_OF_RANGE' };
  const l2Base = alignDown(l2Ptr, l2bits + 6);
  return { ok: true, address: l2Base + (ssid % 2 ** l2bits) * CD_BYTES, l1Address };
}

/**
 * Locates the CD for `ssid`, reading the L1CD of a 2-level table through `readL1` (the 64-bit descriptor,
 * or `undefined` on an external abort, giving F_CD_FETCH).
 * @throws IommuError `ARGUMENT` when `ssid` is not a non-negative integer.
 */
export function locateCd(
  table: CdTableRef,
  ssid: number,
  caps: Pick<SmmuCapabilities, 'oasBits' | 'ias'>,
  readL1: (address: number) => U64 | undefined,
): CdLocation {
  const plan = planCdFetch(table, ssid, caps);
  if (!plan.ok) return plan;
  if (plan.kind === 'cd') return { ok: true, address: plan.address, l1Address: undefined };
  const l1cd = readL1(plan.address);
  if (l1cd === undefined) return { ok: false, fault: 'F_CD_FETCH', fetchAddress: plan.address };
  return cdAddressFromL1Cd(table, ssid, l1cd, plan.address, caps);
}
