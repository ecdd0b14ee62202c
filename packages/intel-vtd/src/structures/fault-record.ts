/**
 * The fault recording register (VT-d spec §11.4.14): 128 bits, CAP.NFR + 1 of them at CAP.FRO × 16. Primary
 * fault logging writes one per recorded fault.
 *
 * T polarity: 1 = read (or AtomicOp) request, 0 = write request. Intel's register documentation says so,
 * QEMU's `vtd_record_frcd` sets VTD_FRCD_T (bit 62 of the upper quadword, bit 126) when the request is not a
 * write, and Linux's `dmar_fault_do_one` prints "DMA Read" for T=1 — all three agree.
 *
 * PV: the spec field is 20 bits (123:104). QEMU's `VTD_FRCD_PV` masks the PASID to 16 bits; this model keeps
 * all 20, as the architecture does.
 * @packageDocumentation
 */
import { defineStructure, getFieldBig, u64sFromWords, wordsFromU64s } from '@viommu/core';
import { assertIntegerInRange } from './argument-checks';

/** Fault recording register field table, §11.4.14. */
export const FAULT_RECORD_LAYOUT = defineStructure({
  name: 'FRCD_REG',
  bits: 128,
  fields: [
    { name: 'FI', hi: 63, lo: 12, shift: 12, big: true, doc: 'Fault info: page address of the faulting request (bits 63:12 of the input address)' },
    { name: 'SID', hi: 79, lo: 64, doc: 'Source identifier (requester ID: bus[15:8], devfn[7:0]) of the faulting request' },
    { name: 'PRIV', hi: 93, lo: 93, doc: 'Privilege mode requested: 1 supervisor (valid with PP)' },
    { name: 'EXE', hi: 94, lo: 94, doc: 'Execute permission requested (valid with PP)' },
    { name: 'PP', hi: 95, lo: 95, doc: 'PASID present: PV holds the request PASID' },
    { name: 'FR', hi: 103, lo: 96, doc: 'Fault reason (see the fault-reason table)' },
    { name: 'PV', hi: 123, lo: 104, doc: 'PASID value of the faulting request (valid with PP)' },
    { name: 'AT', hi: 125, lo: 124, values: { 0: 'untranslated', 1: 'translation-request', 2: 'translated' }, doc: 'Address type of the faulting request (ECAP.DT)' },
    { name: 'T', hi: 126, lo: 126, values: { 0: 'write', 1: 'read' }, doc: 'Type: 0 write request, 1 read or AtomicOp request' },
    { name: 'F', hi: 127, lo: 127, doc: 'Fault: set by hardware when the record is valid; software writes 1 to clear' },
  ],
  reserved: [
    [11, 0],
    [92, 80],
  ],
});

/** A fault record, decoded. */
export interface VtdFaultRecord {
  /** FI: the faulting input address with bits 11:0 cleared (a 64-bit IOVA, hence `bigint`). */
  readonly address: bigint;
  /** SID: requester ID, bus << 8 | devfn. */
  readonly sourceId: number;
  /** FR: fault reason. */
  readonly reason: number;
  /** T: the request was a read (or AtomicOp) — `'read'` — or a write. */
  readonly type: 'read' | 'write';
  /** PV when PP=1: the request's PASID; `undefined` for a request without PASID. */
  readonly pasid: number | undefined;
  /** PRIV: supervisor request. */
  readonly privileged: boolean;
  /** EXE: execute requested. */
  readonly execute: boolean;
  /** AT: address type of the request. */
  readonly addressType: number;
  /** F: the record holds a fault. */
  readonly fault: boolean;
}

/** Input to {@link encodeFaultRecord}; optional fields default to zero / absent, `fault` to true. */
export interface VtdFaultRecordInput {
  /** Faulting address; bits 11:0 are dropped, as FI holds only bits 63:12. */
  readonly address: bigint | number;
  /** Requester ID (0..0xFFFF). */
  readonly sourceId: number;
  /** Fault reason (0..0xFF). */
  readonly reason: number;
  /** Read or write request. */
  readonly type: 'read' | 'write';
  /** The request's PASID (0..2^20−1), if it had one. */
  readonly pasid?: number | undefined;
  /** Supervisor request. */
  readonly privileged?: boolean;
  /** Execute requested. */
  readonly execute?: boolean;
  /** AT (0..3). */
  readonly addressType?: number;
  /** F; defaults to true. */
  readonly fault?: boolean;
}

/**
 * Builds the 128-bit fault record (four 32-bit words, least significant first).
 * @throws IommuError `ARGUMENT` for an out-of-range source ID, reason, PASID or address type.
 */
export function encodeFaultRecord(record: VtdFaultRecordInput): Uint32Array {
  assertIntegerInRange('sourceId', record.sourceId, 0, 0xffff);
  assertIntegerInRange('reason', record.reason, 0, 0xff);
  if (record.pasid !== undefined) assertIntegerInRange('pasid', record.pasid, 0, 0xfffff);
  assertIntegerInRange('addressType', record.addressType ?? 0, 0, 3);
  const page = BigInt.asUintN(64, BigInt(record.address)) & ~0xfffn;
  return FAULT_RECORD_LAYOUT.encode({
    FI: page,
    SID: record.sourceId,
    PRIV: record.privileged ? 1 : 0,
    EXE: record.execute ? 1 : 0,
    PP: record.pasid === undefined ? 0 : 1,
    FR: record.reason,
    PV: record.pasid ?? 0,
    AT: record.addressType ?? 0,
    T: record.type === 'read' ? 1 : 0,
    F: record.fault === false ? 0 : 1,
  });
}

/** Decodes a fault record from its words. PV is reported only when PP=1. */
export function decodeFaultRecord(words: ArrayLike<number>): VtdFaultRecord {
  const f = (name: Parameters<typeof FAULT_RECORD_LAYOUT.get>[1]) => FAULT_RECORD_LAYOUT.get(words, name);
  return {
    address: getFieldBig(words, 12, 52) << 12n,
    sourceId: f('SID'),
    reason: f('FR'),
    type: f('T') === 1 ? 'read' : 'write',
    pasid: f('PP') === 1 ? f('PV') : undefined,
    privileged: f('PRIV') === 1,
    execute: f('EXE') === 1,
    addressType: f('AT'),
    fault: f('F') === 1,
  };
}

/** The record as the two 64-bit register halves software reads: `[low (offset 0), high (offset 8)]`. */
export function faultRecordQwords(words: ArrayLike<number>): [bigint, bigint] {
  const [lo, hi] = u64sFromWords(words);
  return [lo!, hi!];
}

/** A record from the two 64-bit halves read from the register. */
export function faultRecordFromQwords(low: bigint, high: bigint): Uint32Array {
  return wordsFromU64s([low, high], 128);
}
