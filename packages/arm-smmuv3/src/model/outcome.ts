/**
 * Internal results of the pipeline steps: a value, or the reason the transaction ends — an event to
 * report, or a silent termination.
 * @packageDocumentation
 */
import type { EventSpec } from './event-spec';

/**
 * Why a transaction was terminated without an event:
 * - `STE_ABORT`: STE.Config == 0b0xx (§5.2, §7.3.7 note);
 * - `GBPA_ABORT`: SMMUEN == 0 and SMMU_GBPA.ABORT == 1 (§6.3.9.6);
 * - `DISABLED_ADDRESS_SIZE`: SMMUEN == 0 and the input address exceeds the OAS (§3.4).
 */
export type SilentAbortReason = 'STE_ABORT' | 'GBPA_ABORT' | 'DISABLED_ADDRESS_SIZE';

/** The transaction ends with an event. */
export interface EventFailure {
  /** Discriminant. */
  readonly failed: 'event';
  /** The event. */
  readonly event: EventSpec;
  /**
   * The fault is not recorded: a stage-1 translation-related fault with CD.R == 0, or a stage-2 one with
   * STE.S2R == 0 (§5.4 CD.R, §5.2 STE.S2R: terminated faults of a stage that does not record).
   */
  readonly unrecorded?: boolean;
}

/** The transaction ends silently. */
export interface AbortFailure {
  /** Discriminant. */
  readonly failed: 'abort';
  /** Why. */
  readonly reason: SilentAbortReason;
}

/** How a pipeline step can end a transaction. */
export type Failure = EventFailure | AbortFailure;

/** Wraps an event as a failure. */
export function fail(event: EventSpec, unrecorded = false): EventFailure {
  return unrecorded ? { failed: 'event', event, unrecorded } : { failed: 'event', event };
}

/** True when a step result is a failure. */
export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && 'failed' in value;
}
