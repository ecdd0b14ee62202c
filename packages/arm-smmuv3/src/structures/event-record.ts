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
  F_UUT: [...HEADER, EV_PNU, EV_IND, EV_RNW, EV_INPUT_ADDR],
  C_BAD_STREAMID: HEADER,
  F_STE_FETCH: [...HEADER, EV_FETCH_ADDR],
  C_BAD_STE: HEADER,
  F_BAD_ATS_TREQ: HEADER,
  F_STREAM_DISABLED: [EV_TYPE, EV_STREAM_ID],
  F_TRANSL_FORBIDDEN: [EV_TYPE, EV_STREAM_ID, EV_RNW, EV_INPUT_ADDR],
  C_BAD_SUBSTREAMID: [EV_TYPE, EV_SUBSTREAM_ID_ALWAYS, EV_STREAM_ID],
  F_CD_FETCH: [...HEADER, EV_FETCH_ADDR],
  C_BAD_CD: HEADER,
  F_WALK_EABT: [...HEADER, EV_PNU, EV_IND, EV_RNW, EV_S2, EV_CLASS, EV_INPUT_ADDR, EV_FETCH_ADDR],
  F_TRANSLATION: TRANSLATION,
  F_ADDR_SIZE: TRANSLATION,
  F_ACCESS: TRANSLATION,
  F_PERMISSION: [...TRANSLATION, EV_TTRNW],
  F_TLB_CONFLICT: [...HEADER, EV_PNU, EV_IND, EV_RNW, EV_S2, EV_INPUT_ADDR, EV_IPA],
  F_CFG_CONFLICT: HEADER,
  E_PAGE_REQUEST: HEADER,
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

type LayoutNames<E extends EventName> = (typeof EVENT_FIELD_SETS)[E][number]['name'];

/** The layout of each event type (256 bits). */
export const EVENT_LAYOUTS: { readonly [E in EventName]: StructureLayout<LayoutNames<E>> } = Object.fromEntries(
  Object.entries(EVENT_FIELD_SETS).map(([name, fields]) => [name, defineStructure({ name, bits: 256, fields })]),
) as unknown as { readonly [E in EventName]: StructureLayout<LayoutNames<E>> };

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
