/**
 * Substream selection after a legal STE: the S1DSS behaviours [SPEC 5.2 S1DSS, 3.3.2, 7.3.7] and the
 * C_BAD_SUBSTREAMID conditions [SPEC 7.3.9], as pure functions.
 *
 * | S1DSS | transaction without SubstreamID | transaction with SubstreamID 0 |
 * |---|---|---|
 * | 0b00 terminate | abort, F_STREAM_DISABLED | CD[0] |
 * | 0b01 bypass | stage 1 bypassed (as Config 0b1x0), no CD fetch | CD[0] |
 * | 0b10 substream0 | CD[0] | abort, F_STREAM_DISABLED |
 * | 0b11 reserved | as 0b00 | as 0b00 |
 *
 * S1DSS applies only when stage 1 translates and substreams are enabled (S1CDMax ≠ 0, SSIDSIZE ≠ 0).
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';
import type { SmmuCapabilities } from './capabilities';
import type { S1Dss, SteConfig } from './ste-config';

/** What the table above prescribes for one S1DSS value. */
export interface S1DssBehaviour {
  /** A transaction without SubstreamID: translate with CD[0], bypass stage 1, or terminate (F_STREAM_DISABLED). */
  readonly withoutSubstream: 'cd0' | 'bypass-stage1' | 'terminate';
  /** A transaction with SubstreamID 0: translate with CD[0] or terminate (F_STREAM_DISABLED). */
  readonly withSubstream0: 'cd0' | 'terminate';
}

/** The behaviour of an S1DSS value (reserved behaves as terminate). */
export function s1dssBehaviour(s1dss: S1Dss): S1DssBehaviour {
  switch (s1dss) {
    case 'bypass':
      return { withoutSubstream: 'bypass-stage1', withSubstream0: 'cd0' };
    case 'substream0':
      return { withoutSubstream: 'cd0', withSubstream0: 'terminate' };
    default:
      return { withoutSubstream: 'terminate', withSubstream0: 'cd0' };
  }
}

/**
 * Why a SubstreamID is C_BAD_SUBSTREAMID [SPEC 7.3.9] at the STE stage:
 * - `STAGE1_DISABLED`: SSV = 1 with Config 0b1x0;
 * - `SUBSTREAMS_UNSUPPORTED`: SSV = 1 with SMMU_IDR1.SSIDSIZE == 0;
 * - `SUBSTREAMS_DISABLED`: SSV = 1 with STE.S1CDMax == 0;
 * - `SSID_OUT_OF_RANGE`: SubstreamID ≥ 2^S1CDMax.
 * (L1CD V == 0 and an out-of-range L1CD.L2Ptr are found while fetching the CD, see `locateCd`.)
 */
export type BadSubstreamReason = 'STAGE1_DISABLED' | 'SUBSTREAMS_UNSUPPORTED' | 'SUBSTREAMS_DISABLED' | 'SSID_OUT_OF_RANGE';

/** What to do with a transaction once its (legal) STE is known. */
export type SubstreamDecision =
  | {
      /** Config 0b0xx: terminate silently, no event. */
      readonly action: 'abort';
    }
  | {
      /** Stage 1 does not translate (Config 0b1x0, or S1DSS bypass): the input goes to stage 2 (or out) as is. */
      readonly action: 'no-stage1';
    }
  | {
      /** Stage 1 translates with a CD from the CD table. */
      readonly action: 'translate';
      /** Index of the CD to fetch: the SubstreamID, or 0 for non-substream traffic and single-CD tables. */
      readonly cdIndex: number;
    }
  | {
      /** Terminate the transaction and record `fault`. */
      readonly action: 'terminate';
      /**
       * F_STREAM_DISABLED (0x06) [SPEC 7.3.7]: non-substream traffic with S1DSS = Terminate, or SubstreamID 0
       * with S1DSS = Substream0.
       */
      readonly fault: 'F_STREAM_DISABLED';
    }
  | {
      /** Terminate the transaction and record `fault`. */
      readonly action: 'terminate';
      /** C_BAD_SUBSTREAMID (0x08) [SPEC 7.3.9]: the SubstreamID cannot be used with this STE. */
      readonly fault: 'C_BAD_SUBSTREAMID';
      /** Which C_BAD_SUBSTREAMID rule failed. */
      readonly reason: BadSubstreamReason;
    };

/** Largest SubstreamID the architecture can express (20 bits). */
export const MAX_SUBSTREAM_ID = 0xfffff;

/**
 * Decides how a transaction proceeds given its legal STE and optional SubstreamID [SPEC 3.3.2, 5.2 S1DSS,
 * 7.3.7, 7.3.9].
 * @param ssid The SubstreamID when the transaction carries one (SSV = 1), else `undefined`.
 * @throws IommuError `ARGUMENT` when `ssid` is not an integer in 0..2^20−1.
 */
export function resolveSubstream(
  ste: Pick<SteConfig, 'kind' | 's1'>,
  caps: Pick<SmmuCapabilities, 'ssidSize'>,
  ssid: number | undefined,
): SubstreamDecision {
  if (ssid !== undefined && (!Number.isInteger(ssid) || ssid < 0 || ssid > MAX_SUBSTREAM_ID)) {
    throw new IommuError('ARGUMENT', `SubstreamID must be an integer in 0..0xfffff, got ${ssid}`);
  }
  if (ste.kind === 'abort') return { action: 'abort' };
  const s1 = ste.s1;
  if (!s1) {
    return ssid === undefined ? { action: 'no-stage1' } : { action: 'terminate', fault: 'C_BAD_SUBSTREAMID', reason: 'STAGE1_DISABLED' };
  }
  if (ssid !== undefined) {
    if (caps.ssidSize === 0) return { action: 'terminate', fault: 'C_BAD_SUBSTREAMID', reason: 'SUBSTREAMS_UNSUPPORTED' };
    if (s1.cdMax === 0) return { action: 'terminate', fault: 'C_BAD_SUBSTREAMID', reason: 'SUBSTREAMS_DISABLED' };
    if (ssid >= 2 ** s1.cdMax) return { action: 'terminate', fault: 'C_BAD_SUBSTREAMID', reason: 'SSID_OUT_OF_RANGE' };
    if (ssid === 0 && s1dssBehaviour(s1.s1dss).withSubstream0 === 'terminate') return { action: 'terminate', fault: 'F_STREAM_DISABLED' };
    return { action: 'translate', cdIndex: ssid };
  }
  // No SubstreamID: a single CD when substreams are disabled, else S1DSS decides.
  if (caps.ssidSize === 0 || s1.cdMax === 0) return { action: 'translate', cdIndex: 0 };
  switch (s1dssBehaviour(s1.s1dss).withoutSubstream) {
    case 'cd0':
      return { action: 'translate', cdIndex: 0 };
    case 'bypass-stage1':
      return { action: 'no-stage1' };
    default:
      return { action: 'terminate', fault: 'F_STREAM_DISABLED' };
  }
}
