/**
 * SMMUv3 event record types (the Type field, bits [7:0]) [SPEC 7.3].
 * @packageDocumentation
 */

/** Event type codes by architectural name [SPEC 7.3.2–7.3.20]. */
export const EVENT_CODES = {
  /** Unsupported upstream transaction. */
  F_UUT: 0x01,
  /** StreamID out of range of the Stream table (or an invalid L1STD). */
  C_BAD_STREAMID: 0x02,
  /** External abort (or out-of-range address) fetching an STE or L1STD. */
  F_STE_FETCH: 0x03,
  /** The STE is invalid or ILLEGAL. */
  C_BAD_STE: 0x04,
  /** ATS translation request disallowed. */
  F_BAD_ATS_TREQ: 0x05,
  /** Non-substream traffic terminated by S1DSS (or SubstreamID 0 with S1DSS = substream0). */
  F_STREAM_DISABLED: 0x06,
  /** ATS-translated traffic not allowed to bypass. */
  F_TRANSL_FORBIDDEN: 0x07,
  /** SubstreamID not usable with this STE or CD table. */
  C_BAD_SUBSTREAMID: 0x08,
  /** External abort fetching a CD or L1CD. */
  F_CD_FETCH: 0x09,
  /** The CD is invalid or ILLEGAL. */
  C_BAD_CD: 0x0a,
  /** External abort on a translation table walk access. */
  F_WALK_EABT: 0x0b,
  /** Translation fault. */
  F_TRANSLATION: 0x10,
  /** Address size fault. */
  F_ADDR_SIZE: 0x11,
  /** Access flag fault. */
  F_ACCESS: 0x12,
  /** Permission fault. */
  F_PERMISSION: 0x13,
  /** TLB conflict. */
  F_TLB_CONFLICT: 0x20,
  /** Configuration cache conflict. */
  F_CFG_CONFLICT: 0x21,
  /** PRI page request (written to the Event queue on SMMUs without a PRI queue path). */
  E_PAGE_REQUEST: 0x24,
  /** External abort fetching a VMS. */
  F_VMS_FETCH: 0x25,
} as const;

/** An architectural event name. */
export type EventName = keyof typeof EVENT_CODES;

const NAMES = new Map<number, EventName>(Object.entries(EVENT_CODES).map(([n, c]) => [c, n as EventName]));

/** The architectural name of an event type code, or `undefined` when it is not architected. */
export function eventName(code: number): EventName | undefined {
  return NAMES.get(code);
}
