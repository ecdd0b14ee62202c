/**
 * The fields of an event the pipeline raises, before encoding into a 32-byte record (§7.3). Each event
 * type places only the fields its record defines; the rest stay RES0.
 * @packageDocumentation
 */

/** CLASS of a translation-related event (§7.3): what the faulting access was for. */
export const EventClass = {
  /** A CD or L1CD fetch (through stage 2). */
  CD: 0,
  /** A stage-1 translation table descriptor fetch. */
  TT: 1,
  /** The input address of the stage. */
  IN: 2,
} as const;

/** Everything an event record can carry; {@link EventSpec.code} decides which of them are used. */
export interface EventSpec {
  /** Event type number (§7.3), e.g. 0x10 F_TRANSLATION. */
  code: number;
  /** StreamID of the transaction. */
  streamId: number;
  /** A SubstreamID was supplied (SSV). */
  ssv: boolean;
  /** The SubstreamID (0 when `ssv` is false, except C_BAD_SUBSTREAMID which always has one). */
  substreamId: number;
  /** RnW: the transaction is a read. */
  rnw: boolean;
  /** InD: instruction (post-STE override); always false for writes. */
  ind: boolean;
  /** PnU: privileged (post-STE override). */
  pnu: boolean;
  /** S2: the fault is at stage 2. */
  s2: boolean;
  /** CLASS ({@link EventClass}). */
  cls: number;
  /** TTRnW: for CLASS == TT, the descriptor access was a read (false: an HTTU write). */
  ttrnw: boolean;
  /** InputAddr[63:32]. */
  inputHi: number;
  /** InputAddr[31:0]. */
  inputLo: number;
  /** IPA, for stage-2 translation faults (the CD or descriptor IPA for CLASS CD / TT). */
  ipa?: number | undefined;
  /** FetchAddr, for F_STE_FETCH / F_CD_FETCH / F_WALK_EABT. */
  fetchAddr?: number | undefined;
}
