/**
 * Locating the STE for a StreamID in a linear or 2-level Stream table [SPEC 3.3.2, 5.1, 6.3.25, 7.3.3].
 *
 * Pure functions: the caller supplies the L1STD read as a value, so a device model can call
 * {@link locateSte} with its memory (or split the walk with {@link l1StdAddress} and
 * {@link steAddressFromL1Std} to trace or cache each fetch). Guest-controlled values give architected
 * faults, never exceptions.
 * @packageDocumentation
 */
import { alignDown, bitsOfHalves, IommuError, type U64 } from '@viommu/core';
import { L1STD_MAX_SPAN } from './l1std';
import type { StreamTableConfig } from './stream-table-registers';

/** Size of an STE in bytes. */
export const STE_BYTES = 64;
/** Size of an L1STD in bytes. */
export const L1STD_BYTES = 8;

/**
 * Why a StreamID is C_BAD_STREAMID [SPEC 7.3.3]:
 * - `SID_OUT_OF_RANGE`: StreamID ≥ 2^(effective LOG2SIZE);
 * - `SPAN_INVALID`: the L1STD has Span == 0;
 * - `SPAN_RESERVED`: Span is 12..31 (reserved, behaves as 0);
 * - `SPAN_EXCEEDS_SPLIT`: Span > SPLIT + 1;
 * - `SID_BEYOND_SPAN`: StreamID[SPLIT−1:0] ≥ 2^(Span−1).
 */
export type BadStreamIdReason = 'SID_OUT_OF_RANGE' | 'SPAN_INVALID' | 'SPAN_RESERVED' | 'SPAN_EXCEEDS_SPLIT' | 'SID_BEYOND_SPAN';

/** The L1STD that located an STE in a 2-level table. */
export interface L1StdUse {
  /** PA of the L1STD. */
  readonly address: number;
  /** Its Span. */
  readonly span: number;
  /** Effective base of the level-2 array (L2Ptr with bits [Span+4:0] cleared). */
  readonly l2Base: number;
}

/** Where an STE is, or the architected fault that stops the lookup. */
export type SteLocation =
  | {
      /** Discriminant: the STE was located. */
      readonly ok: true;
      /** PA of the STE. */
      readonly address: number;
      /** The L1STD used, for 2-level tables. */
      readonly l1: L1StdUse | undefined;
    }
  | {
      /** Discriminant: the lookup stopped with a fault. */
      readonly ok: false;
      /** The event to record: C_BAD_STREAMID (0x02) [SPEC 7.3.3]. */
      readonly fault: 'C_BAD_STREAMID';
      /** Which C_BAD_STREAMID condition. */
      readonly reason: BadStreamIdReason;
    }
  | {
      /** Discriminant: the lookup stopped with a fault. */
      readonly ok: false;
      /** The event to record: F_STE_FETCH (0x03) [SPEC 7.3.4]. */
      readonly fault: 'F_STE_FETCH';
      /**
       * The address whose fetch failed (external abort), or which lies beyond the OAS — for the latter the
       * architecture allows truncation or F_STE_FETCH [SPEC 3.4.3 (5)]; this model reports F_STE_FETCH.
       */
      readonly fetchAddress: number;
    };

function checkSid(sid: number): void {
  if (!Number.isInteger(sid) || sid < 0 || sid > 0xffff_ffff) {
    throw new IommuError('ARGUMENT', `StreamID must be a 32-bit unsigned integer, got ${sid}`);
  }
}

/** The failing cases of {@link SteLocation}. */
export type SteLookupFault = Extract<
  SteLocation,
  {
    /** Selects the members of {@link SteLocation} that carry a fault. */
    ok: false;
  }
>;

function badStreamId(reason: BadStreamIdReason): SteLookupFault {
  return { ok: false, fault: 'C_BAD_STREAMID', reason };
}

function fetchFault(fetchAddress: number): SteLookupFault {
  return { ok: false, fault: 'F_STE_FETCH', fetchAddress };
}

/**
 * First step of a 2-level lookup: the PA of the L1STD for `sid`, base + SID[LOG2SIZE−1:SPLIT] × 8, or
 * C_BAD_STREAMID when the StreamID is out of range (F_STE_FETCH when the address is beyond the OAS).
 * @throws IommuError `ARGUMENT` when `sid` is not a 32-bit unsigned integer.
 */
export function l1StdAddress(
  cfg: StreamTableConfig,
  sid: number,
): {
  /** Discriminant: the StreamID is in range and the L1STD address is within the OAS. */
  readonly ok: true;
  /** PA of the 8-byte L1STD to read next. */
  readonly address: number;
} | SteLookupFault {
  checkSid(sid);
  if (sid >= 2 ** cfg.log2Size) return badStreamId('SID_OUT_OF_RANGE');
  const address = cfg.base + Math.floor(sid / 2 ** cfg.split) * L1STD_BYTES;
  if (address >= 2 ** cfg.oasBits) return fetchFault(address);
  return { ok: true, address };
}

/**
 * Second step of a 2-level lookup: the STE location given the L1STD value fetched for `sid`.
 * Applies the C_BAD_STREAMID rules of [SPEC 5.1.1, 7.3.3].
 *
 * QEMU deviates here: it sizes the level-2 array as (1 << Span) − 1 entries and reports an out-of-range
 * level-2 index as C_BAD_STE; the architecture says 2^(Span−1) STEs and C_BAD_STREAMID, which this model follows.
 */
export function steAddressFromL1Std(cfg: StreamTableConfig, sid: number, l1std: U64, l1Address: number): SteLocation {
  checkSid(sid);
  const span = l1std.lo & 0x1f;
  if (span === 0) return badStreamId('SPAN_INVALID');
  if (span > L1STD_MAX_SPAN) return badStreamId('SPAN_RESERVED');
  if (span > cfg.split + 1) return badStreamId('SPAN_EXCEEDS_SPLIT');
  const l2Index = sid % 2 ** cfg.split;
  if (l2Index >= 2 ** (span - 1)) return badStreamId('SID_BEYOND_SPAN');
  // L2Ptr is bits [55:6]; bits L2Ptr[5+(Span-1):0] are treated as zero, aligning the array to its size.
  const l2Ptr = bitsOfHalves(l1std.hi, l1std.lo, 6, 50) * 64;
  const l2Base = alignDown(l2Ptr, span + 5);
  const address = l2Base + l2Index * 64;
  if (address >= 2 ** cfg.oasBits) return fetchFault(address);
  return { ok: true, address, l1: { address: l1Address, span, l2Base } };
}

/**
 * Locates the STE for `sid` [SPEC 3.3.2]. Linear tables index base + SID × 64; 2-level tables read the
 * L1STD through `readL1` (which returns the 64-bit descriptor, or `undefined` on an external abort, giving
 * F_STE_FETCH) and then index its level-2 array.
 * @throws IommuError `ARGUMENT` when `sid` is not a 32-bit unsigned integer.
 */
export function locateSte(cfg: StreamTableConfig, sid: number, readL1: (address: number) => U64 | undefined): SteLocation {
  checkSid(sid);
  if (cfg.format === 'linear') {
    if (sid >= 2 ** cfg.log2Size) return badStreamId('SID_OUT_OF_RANGE');
    const address = cfg.base + sid * STE_BYTES;
    if (address >= 2 ** cfg.oasBits) return fetchFault(address);
    return { ok: true, address, l1: undefined };
  }
  const l1 = l1StdAddress(cfg, sid);
  if (!l1.ok) return l1;
  const desc = readL1(l1.address);
  if (desc === undefined) return fetchFault(l1.address);
  return steAddressFromL1Std(cfg, sid, desc, l1.address);
}
