/**
 * What the device model keeps of a fetched STE, CD, L1STD or L1CD: the raw words and the checked,
 * decoded configuration (with page-table formats already built), so a configuration-cache hit costs no
 * decoding. Invalid and ILLEGAL structures are cached too, as fetched: the architecture lets an SMMU
 * cache an inactive structure, so software must invalidate after making one valid (§5.3.1 "Changing an
 * inactive L1CD with V == 0 to an active V == 1 form … requires an invalidation", §4.3.1).
 * @packageDocumentation
 */
import type { StageContext, U64 } from '@viommu/core';
import type { CdCheck, SteCheck } from '../structures/index';
import type { PtwSwitch } from './s2ptw';

/** A fetched STE (§5.2). */
export interface CachedSte {
  /** The 16 words as fetched. */
  readonly words: Uint32Array;
  /** The STE check: a legal configuration, or why it is ILLEGAL (C_BAD_STE). */
  readonly check: SteCheck;
  /** The stage-2 tables, built once, for a legal STE with stage 2 enabled. */
  readonly stage2?: StageContext | undefined;
  /** For a nested STE with S2PTW == 1: the switch its stage-1 and stage-2 formats share (see PtwSwitch). */
  readonly ptw?: PtwSwitch | undefined;
}

/** One TTBx half of a CD, ready to walk. */
export interface Stage1Half {
  /** The stage-1 format and TTBx (an IPA under nesting). */
  readonly stage: StageContext;
  /** 64 − TxSZ. */
  readonly inputBits: number;
}

/** A fetched CD (§5.4). */
export interface CachedCd {
  /** The 16 words as fetched. */
  readonly words: Uint32Array;
  /** The CD check: a legal configuration, or why it is ILLEGAL (C_BAD_CD). */
  readonly check: CdCheck;
  /** The TTB0 half for a legal CD with EPD0 == 0. */
  readonly ttb0?: Stage1Half | undefined;
  /** The TTB1 half for a legal CD with EPD1 == 0. */
  readonly ttb1?: Stage1Half | undefined;
}

/** A fetched L1STD (§5.1), as its 64-bit value. */
export type CachedL1Std = U64;

/** A fetched L1CD (§5.3), as its 64-bit value. */
export type CachedL1Cd = U64;
