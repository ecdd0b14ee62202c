/**
 * The result of checking a guest-controlled VT-d structure: either its decoded, typed configuration or the
 * architected fault reason the hardware would record. Guest memory never makes these checks throw.
 * @packageDocumentation
 */

/** A structure passed every check; `value` is its typed configuration. */
export interface VtdCheckOk<T> {
  /** Discriminant. */
  readonly ok: true;
  /** The decoded configuration. */
  readonly value: T;
}

/** A structure failed a check: the fault the hardware reports. */
export interface VtdCheckFault {
  /** Discriminant. */
  readonly ok: false;
  /** The fault reason (FR) code, one of {@link VtdFaultReason}'s values. */
  readonly reason: number;
  /**
   * The Fault Processing Disable bit of the structure that faulted, when it has one (context, PASID-directory
   * and PASID-table entries evaluate FPD even when P is clear); `false` for root entries and registers.
   */
  readonly fpd: boolean;
  /** Which rule failed, for traces and error messages. */
  readonly detail: string;
}

/** Either a typed configuration or a fault. */
export type VtdCheck<T> = VtdCheckOk<T> | VtdCheckFault;

/** Wraps a configuration as a passing check. */
export function vtdOk<T>(value: T): VtdCheckOk<T> {
  return { ok: true, value };
}

/** Builds a failing check. */
export function vtdFault(reason: number, fpd: boolean, detail: string): VtdCheckFault {
  return { ok: false, reason, fpd, detail };
}
