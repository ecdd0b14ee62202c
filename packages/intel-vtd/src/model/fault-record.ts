/**
 * The 128-bit fault record a translation fault leaves in a fault recording register (VT-d spec §10.4
 * FRCD_REG), built with the structures' {@link encodeFaultRecord}: FI the page of the faulting address, SID,
 * PRIV/EXE (the request's PR and ER attributes, given only with a PASID), PP/PV, FR, AT = 00b (untranslated
 * request) and T (1 read, 0 write or AtomicOp), with F set.
 * @packageDocumentation
 */
import { Access } from '@viommu/core';
import { encodeFaultRecord } from '../structures/index';
import type { NormalizedRequest } from './request';

/** The record of a fault on `req` with reason `reason`, F set, as four 32-bit words (least significant first). */
export function faultRecordFor(req: NormalizedRequest, reason: number): Uint32Array {
  const withPasid = req.pasid !== undefined;
  return encodeFaultRecord({
    address: req.address,
    sourceId: req.sourceId,
    reason,
    type: req.access & Access.WRITE ? 'write' : 'read',
    pasid: req.pasid,
    privileged: withPasid && (req.access & Access.PRIV) !== 0,
    execute: withPasid && (req.access & Access.EXEC) !== 0,
  });
}
