/**
 * Event records (32 bytes) [SPEC 7.3] with one field set per event type: the records overlap (FetchAddr at
 * [247:195] in fetch events, IPA at [243:204] in translation events), so each type has its own layout.
 * IMPLEMENTATION DEFINED Reason fields, GPCF/NSIPA (RME, Secure) and the ATS/PRI-specific fields of
 * F_BAD_ATS_TREQ and E_PAGE_REQUEST are not decoded; those bits are left alone (not reported as reserved).
 * @packageDocumentation
 */
import { defineStructure, IommuError, type StructureLayout } from '@viommu/core';
import { EVENT_CODES, eventName, type EventName } from './event-codes';
import {
  EV_CLASS,
  EV_FETCH_ADDR,
  EV_IND,
  EV_INPUT_ADDR,
  EV_IPA,
  EV_PNU,
  EV_RNW,
  EV_S2,
  EV_SSV,
  EV_STAG,
  EV_STALL,
  EV_STREAM_ID,
  EV_SUBSTREAM_ID,
  EV_SUBSTREAM_ID_ALWAYS,
  EV_TTRNW,
  EV_TYPE,
} from './event-fields';
import type { ValuesOf } from './field-types';

const HEADER = [EV_TYPE, EV_SSV, EV_SUBSTREAM_ID, EV_STREAM_ID] as const;
const TRANSLATION = [...HEADER, EV_STAG, EV_STALL, EV_PNU, EV_IND, EV_RNW, EV_S2, EV_CLASS, EV_INPUT_ADDR, EV_IPA] as const;

/** The fields each event type carries [SPEC 7.3.2–7.3.20]. */
export const EVENT_FIELD_SETS = {
  /** F_UUT (0x01) [SPEC 7.3.2]: unsupported upstream transaction; header, access type and InputAddr. */
  F_UUT: [...HEADER, EV_PNU, EV_IND, EV_RNW, EV_INPUT_ADDR],
  /** C_BAD_STREAMID (0x02) [SPEC 7.3.3]: header only (Type, SSV, SubstreamID, StreamID). */
  C_BAD_STREAMID: HEADER,
  /** F_STE_FETCH (0x03) [SPEC 7.3.4]: header and the FetchAddr of the STE or L1STD. */
  F_STE_FETCH: [...HEADER, EV_FETCH_ADDR],
  /** C_BAD_STE (0x04) [SPEC 7.3.5]: header only. */
  C_BAD_STE: HEADER,
  /** F_BAD_ATS_TREQ (0x05) [SPEC 7.3.6]: header only (the ATS request fields are not decoded). */
  F_BAD_ATS_TREQ: HEADER,
  /** F_STREAM_DISABLED (0x06) [SPEC 7.3.7]: Type and StreamID. */
  F_STREAM_DISABLED: [EV_TYPE, EV_STREAM_ID],
  /** F_TRANSL_FORBIDDEN (0x07) [SPEC 7.3.8]: Type, StreamID, RnW and InputAddr. */
  F_TRANSL_FORBIDDEN: [EV_TYPE, EV_STREAM_ID, EV_RNW, EV_INPUT_ADDR],
  /** C_BAD_SUBSTREAMID (0x08) [SPEC 7.3.9]: Type, StreamID and the (always valid) SubstreamID. */
  C_BAD_SUBSTREAMID: [EV_TYPE, EV_SUBSTREAM_ID_ALWAYS, EV_STREAM_ID],
  /** F_CD_FETCH (0x09) [SPEC 7.3.10]: header and the FetchAddr of the CD or L1CD. */
  F_CD_FETCH: [...HEADER, EV_FETCH_ADDR],
  /** C_BAD_CD (0x0A) [SPEC 7.3.11]: header only. */
  C_BAD_CD: HEADER,
  /** F_WALK_EABT (0x0B) [SPEC 7.3.12]: header, access type, stage, CLASS, InputAddr and the descriptor FetchAddr. */
  F_WALK_EABT: [...HEADER, EV_PNU, EV_IND, EV_RNW, EV_S2, EV_CLASS, EV_INPUT_ADDR, EV_FETCH_ADDR],
  /** F_TRANSLATION (0x10) [SPEC 7.3.13]: the translation-fault fields (stall, access, stage, CLASS, InputAddr, IPA). */
  F_TRANSLATION: TRANSLATION,
  /** F_ADDR_SIZE (0x11) [SPEC 7.3.14]: as F_TRANSLATION. */
  F_ADDR_SIZE: TRANSLATION,
  /** F_ACCESS (0x12) [SPEC 7.3.15]: as F_TRANSLATION. */
  F_ACCESS: TRANSLATION,
  /** F_PERMISSION (0x13) [SPEC 7.3.16]: as F_TRANSLATION plus TTRnW. */
  F_PERMISSION: [...TRANSLATION, EV_TTRNW],
  /** F_TLB_CONFLICT (0x20) [SPEC 7.3.17]: header, access type, stage, InputAddr and IPA. */
  F_TLB_CONFLICT: [...HEADER, EV_PNU, EV_IND, EV_RNW, EV_S2, EV_INPUT_ADDR, EV_IPA],
  /** F_CFG_CONFLICT (0x21) [SPEC 7.3.18]: header only. */
  F_CFG_CONFLICT: HEADER,
  /** E_PAGE_REQUEST (0x24) [SPEC 7.3.19]: header only (the PRI request fields are not decoded). */
  E_PAGE_REQUEST: HEADER,
  /** F_VMS_FETCH (0x25) [SPEC 7.3.20]: header and the FetchAddr of the VMS. */
  F_VMS_FETCH: [...HEADER, EV_FETCH_ADDR],
} as const satisfies Record<EventName, readonly unknown[]>;

/** The field values of an event type, without Type (implied by the name). */
export type EventFieldValues<E extends EventName> = Omit<ValuesOf<(typeof EVENT_FIELD_SETS)[E]>, 'Type'>;

/** A decoded event record: its name, code and the fields of its type. */
export type EventRecord = {
  [E in EventName]: {
    /** Architectural name. */
    readonly name: E;
    /** Type code. */
    readonly code: (typeof EVENT_CODES)[E];
    /** Field values (`bigint` for InputAddr and FetchAddr). */
    readonly fields: EventFieldValues<E>;
  };
}[EventName];

/** A record whose Type is not architected. */
export interface UnknownEventRecord {
  /** Marker. */
  readonly name: 'UNKNOWN';
  /** The Type field. */
  readonly code: number;
}


/** The layout of each event type (256 bits). */
export const EVENT_LAYOUTS: { readonly [E in EventName]: StructureLayout<(typeof EVENT_FIELD_SETS)[E][number]['name']> } = Object.fromEntries(
  Object.entries(EVENT_FIELD_SETS).map(([name, fields]) => [name, defineStructure({ name, bits: 256, fields })]),
) as unknown as { readonly [E in EventName]: StructureLayout<(typeof EVENT_FIELD_SETS)[E][number]['name']> };

/** Number of 32-bit words in an event record. */
export const EVENT_WORDS = 8;

/**
 * Decodes an event record by its Type.
 * @throws IommuError `ARGUMENT` when fewer than 8 words are given.
 */
export function decodeEvent(words: ArrayLike<number>): EventRecord | UnknownEventRecord {
  if (words.length < EVENT_WORDS) throw new IommuError('ARGUMENT', `an event record has ${EVENT_WORDS} words, got ${words.length}`);
  const code = (words[0] ?? 0) & 0xff;
  const name = eventName(code);
  if (name === undefined) return { name: 'UNKNOWN', code };
  const fields = EVENT_LAYOUTS[name].decode(words) as Record<string, number | bigint>;
  delete fields['Type'];
  return { name, code, fields } as EventRecord;
}

/**
 * Encodes an event record of type `name`; missing fields are zero.
 * @throws IommuError `FIELD_RANGE` when a value does not fit its field, `UNKNOWN_FIELD` for a field the type
 * does not have.
 */
export function encodeEvent<E extends EventName>(name: E, fields: Partial<EventFieldValues<E>>): Uint32Array {
  const layout = EVENT_LAYOUTS[name] as StructureLayout<string>;
  const words = layout.encode(fields as Partial<Record<string, number | bigint>>);
  layout.set(words, 'Type', EVENT_CODES[name]);
  return words;
}
