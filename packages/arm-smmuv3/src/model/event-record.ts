/**
 * Encoding the pipeline's {@link EventSpec} into a 32-byte record with the structures' per-type layouts
 * (§7.3), and decoding records back for results and {@link SmmuV3Model.readEvents}.
 * @packageDocumentation
 */
import { halvesToBigInt, IommuError } from '@viommu/core';
import { EVENT_LAYOUTS, decodeEvent, encodeEvent, eventName, type EventName, type EventRecord, type UnknownEventRecord } from '../structures/index';
import type { EventSpec } from './event-spec';

/** A decoded event record: its architected name, type code and the fields its type defines. */
export type SmmuEvent = EventRecord | UnknownEventRecord;

/** Encodes an event spec; each type takes only the fields its record defines (§7.3), the rest are RES0. */
export function encodeEventSpec(ev: EventSpec): Uint32Array {
  const name: EventName | undefined = eventName(ev.code);
  if (name === undefined) throw new IommuError('ARGUMENT', `event type 0x${ev.code.toString(16)} is not architected`);
  const all: Record<string, number | bigint> = {
    SSV: ev.ssv ? 1 : 0,
    SubstreamID: ev.ssv || name === 'C_BAD_SUBSTREAMID' ? ev.substreamId : 0,
    StreamID: ev.streamId,
    PnU: ev.pnu ? 1 : 0,
    InD: ev.ind && ev.rnw ? 1 : 0,
    RnW: ev.rnw ? 1 : 0,
    S2: ev.s2 ? 1 : 0,
    CLASS: ev.cls,
    TTRnW: ev.ttrnw ? 1 : 0,
    InputAddr: halvesToBigInt(ev.inputHi, ev.inputLo),
  };
  // IPA[51:12] and FetchAddr[55:3]: the fields hold the address with its low bits dropped.
  if (ev.ipa !== undefined) all['IPA'] = Math.floor(ev.ipa / 4096) * 4096;
  if (ev.fetchAddr !== undefined) all['FetchAddr'] = BigInt(Math.floor(ev.fetchAddr / 8) * 8);
  const layout = EVENT_LAYOUTS[name];
  const fields: Record<string, number | bigint> = {};
  for (const f of layout.spec.fields) {
    const v = all[f.name];
    if (v !== undefined && f.name !== 'Type') fields[f.name] = v;
  }
  return encodeEvent(name, fields as never);
}

/** Decodes a 32-byte record (8 words). */
export function decodeEventRecord(words: Uint32Array): SmmuEvent {
  return decodeEvent(words);
}
