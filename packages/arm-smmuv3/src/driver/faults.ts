/**
 * SMMUv3 event records ↔ the generic fault of the merged fault uapi (Arm IHI0070 §7.3; reference
 * api-lineage §2). The generic fields come from the record:
 * - `pasid`: SubstreamID when the record has SSV = 1 (C_BAD_SUBSTREAMID: always), else undefined;
 * - `addr`: InputAddr, for records that carry it;
 * - `perm`: RnW = 1 → READ, RnW = 0 → WRITE, InD → EXEC, PnU → PRIV, for records that carry them
 *   (an instruction fetch is READ | EXEC), else 0;
 * - `fetchAddr`: FetchAddr (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT), or, for a stage-2 fault while
 *   fetching a CD (CLASS = CD) or a stage-1 descriptor (CLASS = TT), the IPA field (that fetch's IPA,
 *   4 KB aligned as the record holds it).
 *
 * Reasons: C_BAD_STE, C_BAD_CD → `bad-pasid-entry`; C_BAD_SUBSTREAMID → `pasid-invalid`; F_CD_FETCH →
 * `pasid-fetch`; F_WALK_EABT → `walk-eabt`; F_TRANSLATION → `pte-fetch`; F_PERMISSION → `permission`;
 * F_ACCESS → `access`; F_ADDR_SIZE → `oor-address`; every other event (C_BAD_STREAMID, F_STE_FETCH,
 * F_STREAM_DISABLED, F_UUT, …) → `unknown`.
 *
 * The vendor record is the whole 32-byte event, so nothing is lost; {@link genericFaultToEvent}
 * re-encodes the generic fields into it (the generic values win) and keeps the rest (StreamID, S2,
 * CLASS, STAG, IPA, and the SubstreamID field of a record with SSV = 0), so `eventToGenericFault(genericFaultToEvent(f))` equals `f`.
 *
 * A transaction terminated without an event (STE.Config = abort, GBPA.ABORT) still needs a generic fault
 * value: it is described by a pseudo-record that never reaches the Event queue, Type 0x00 (no event has
 * that number) named `SILENT_ABORT`, laid out like F_UUT (SSV, SubstreamID, StreamID, PnU, InD, RnW,
 * InputAddr).
 * @packageDocumentation
 */
import { FaultPerm, IommuError, type FaultReason, type GenericFault, type StructureLayout } from '@viommu/core';
import { EVENT_CODES, EVENT_LAYOUTS, EVENT_WORDS, eventName } from '../structures/index';

/** The model name in every SMMUv3 fault record (core `VendorFaultRecord.model`). */
export const SMMUV3_MODEL_NAME = 'arm-smmuv3';

/** Type of the pseudo-record describing a silent abort (not an architected event number). */
export const SILENT_ABORT_CODE = 0x00;
/** Name of the silent-abort pseudo-record. */
export const SILENT_ABORT_NAME = 'SILENT_ABORT';

/** CLASS values of translation events [SPEC 7.3]. */
const CLASS_CD = 0;
const CLASS_TT = 1;

const REASONS: Partial<Record<number, FaultReason>> = {
  [EVENT_CODES.C_BAD_STE]: 'bad-pasid-entry',
  [EVENT_CODES.C_BAD_CD]: 'bad-pasid-entry',
  [EVENT_CODES.C_BAD_SUBSTREAMID]: 'pasid-invalid',
  [EVENT_CODES.F_CD_FETCH]: 'pasid-fetch',
  [EVENT_CODES.F_WALK_EABT]: 'walk-eabt',
  [EVENT_CODES.F_TRANSLATION]: 'pte-fetch',
  [EVENT_CODES.F_PERMISSION]: 'permission',
  [EVENT_CODES.F_ACCESS]: 'access',
  [EVENT_CODES.F_ADDR_SIZE]: 'oor-address',
};

/** The generic reason for an event type (see the module doc). */
export function faultReasonOfEvent(code: number): FaultReason {
  return REASONS[code] ?? 'unknown';
}

type AnyLayout = StructureLayout<string>;

/** The layout of a record's type, its name, and whether it is the silent-abort pseudo-record. */
function layoutOf(code: number): { layout: AnyLayout | undefined; name: string } {
  if (code === SILENT_ABORT_CODE) return { layout: EVENT_LAYOUTS.F_UUT as AnyLayout, name: SILENT_ABORT_NAME };
  const name = eventName(code);
  if (name === undefined) return { layout: undefined, name: 'UNKNOWN' };
  return { layout: EVENT_LAYOUTS[name] as AnyLayout, name };
}

function has(layout: AnyLayout, field: string): boolean {
  return layout.spec.fields.some((f) => f.name === field);
}

/** True when the record's IPA field is the address of a fetched structure (stage 2, CLASS = CD or TT). */
function ipaIsFetch(layout: AnyLayout, record: ArrayLike<number>): boolean {
  if (!has(layout, 'IPA') || !has(layout, 'S2') || !has(layout, 'CLASS') || layout.get(record, 'S2') !== 1) return false;
  const cls = layout.get(record, 'CLASS');
  return cls === CLASS_CD || cls === CLASS_TT;
}

function checkRecord(record: ArrayLike<number>): void {
  if (record.length !== EVENT_WORDS) throw new IommuError('ARGUMENT', `an SMMUv3 event record is ${EVENT_WORDS} words, got ${record.length}`);
}

/**
 * Converts a 32-byte event record (8 little-endian words) into a generic fault; the record is copied
 * into `vendor.record`.
 * @throws IommuError `ARGUMENT` when the record is not 8 words.
 */
export function eventToGenericFault(record: ArrayLike<number>): GenericFault {
  checkRecord(record);
  const words = Uint32Array.from(record);
  const code = words[0]! & 0xff;
  const { layout, name } = layoutOf(code);
  let pasid: number | undefined;
  let addr: bigint | undefined;
  let perm = 0;
  let fetchAddr: bigint | undefined;
  if (layout) {
    if (has(layout, 'SSV')) pasid = layout.get(words, 'SSV') === 1 ? layout.get(words, 'SubstreamID') : undefined;
    else if (has(layout, 'SubstreamID')) pasid = layout.get(words, 'SubstreamID');
    if (has(layout, 'InputAddr')) addr = layout.getBig(words, 'InputAddr');
    if (has(layout, 'RnW')) perm |= layout.get(words, 'RnW') === 1 ? FaultPerm.READ : FaultPerm.WRITE;
    if (has(layout, 'InD') && layout.get(words, 'InD') === 1) perm |= FaultPerm.EXEC;
    if (has(layout, 'PnU') && layout.get(words, 'PnU') === 1) perm |= FaultPerm.PRIV;
    if (has(layout, 'FetchAddr')) fetchAddr = layout.getBig(words, 'FetchAddr');
    else if (ipaIsFetch(layout, words)) fetchAddr = BigInt(layout.get(words, 'IPA'));
  }
  return {
    reason: faultReasonOfEvent(code),
    pasid,
    addr,
    perm,
    fetchAddr,
    vendor: { model: SMMUV3_MODEL_NAME, name, code, record: words },
  };
}

/**
 * Re-encodes a generic fault into its 32-byte event record: starts from `vendor.record` (the fields the
 * generic fault does not carry), then writes Type from `vendor.code` and every field the generic fault
 * does carry (SSV/SubstreamID from `pasid`, InputAddr from `addr`, RnW/InD/PnU from `perm`,
 * FetchAddr or the fetch IPA from `fetchAddr`).
 * @throws IommuError `ARGUMENT` for a fault of another vendor or a record that is not 8 words.
 */
export function genericFaultToEvent(fault: GenericFault): Uint32Array {
  if (fault.vendor.model !== SMMUV3_MODEL_NAME) {
    throw new IommuError('ARGUMENT', `a ${fault.vendor.model} fault has no SMMUv3 event record`);
  }
  checkRecord(fault.vendor.record);
  const words = Uint32Array.from(fault.vendor.record);
  const code = fault.vendor.code & 0xff;
  words[0] = ((words[0]! & ~0xff) | code) >>> 0;
  const { layout } = layoutOf(code);
  if (!layout) return words;
  if (has(layout, 'SSV')) {
    // Without a PASID the SubstreamID field means nothing and is kept as the record has it.
    layout.set(words, 'SSV', fault.pasid === undefined ? 0 : 1);
    if (fault.pasid !== undefined) layout.set(words, 'SubstreamID', fault.pasid);
  } else if (has(layout, 'SubstreamID')) {
    layout.set(words, 'SubstreamID', fault.pasid ?? 0);
  }
  if (has(layout, 'InputAddr')) layout.set(words, 'InputAddr', BigInt.asUintN(64, fault.addr ?? 0n));
  if (has(layout, 'RnW')) layout.set(words, 'RnW', fault.perm & FaultPerm.WRITE ? 0 : 1);
  if (has(layout, 'InD')) layout.set(words, 'InD', fault.perm & FaultPerm.EXEC ? 1 : 0);
  if (has(layout, 'PnU')) layout.set(words, 'PnU', fault.perm & FaultPerm.PRIV ? 1 : 0);
  if (has(layout, 'FetchAddr')) layout.set(words, 'FetchAddr', fault.fetchAddr ?? 0n);
  else if (ipaIsFetch(layout, words)) layout.set(words, 'IPA', Number(fault.fetchAddr ?? 0n));
  return words;
}

/** The silent-abort pseudo-record for a transaction (see the module doc). */
export function silentAbortRecord(fields: { streamId: number; substreamId: number | undefined; address: bigint; write: boolean; instr: boolean; priv: boolean }): Uint32Array {
  const layout = EVENT_LAYOUTS.F_UUT as AnyLayout;
  return layout.encode({
    SSV: fields.substreamId === undefined ? 0 : 1,
    SubstreamID: fields.substreamId ?? 0,
    StreamID: fields.streamId,
    PnU: fields.priv ? 1 : 0,
    InD: fields.instr && !fields.write ? 1 : 0,
    RnW: fields.write ? 0 : 1,
    InputAddr: BigInt.asUintN(64, fields.address),
  });
}
