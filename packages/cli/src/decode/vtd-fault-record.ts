/**
 * `viommu decode fault-record`: the VT-d fault recording register (FRCD_REG, VT-d spec §11.4.14), as the two
 * 64-bit halves a driver reads from it. Fields come from `@viommu/intel-vtd`'s layout; FR is named from its
 * fault-reason table and SID is shown as bus:device.function.
 * @packageDocumentation
 */
import { FAULT_RECORD_LAYOUT, decodeFaultRecord, faultReasonInfo } from '@viommu/intel-vtd';
import { type Decodable, decodeWithLayout } from '../decodable';

/** `bb:dd.f` for a requester ID (bus[15:8], device[7:3], function[2:0]). */
export function requesterIdName(sid: number): string {
  const hex2 = (n: number) => n.toString(16).padStart(2, '0');
  return `${hex2(sid >>> 8)}:${hex2((sid >>> 3) & 0x1f)}.${sid & 7}`;
}

/**
 * Fault recording register. It is valid when F=1 (the register holds a fault), no reserved bit is set and FR
 * is a fault reason the architecture defines.
 */
export const FAULT_RECORD: Decodable = {
  name: 'fault-record',
  vendor: 'vtd',
  summary: 'fault recording register FRCD_REG (128 bits, §11.4.14)',
  words64: 2,
  decode(words) {
    const record = decodeFaultRecord(words);
    const reason = faultReasonInfo(record.reason);
    const decoded = decodeWithLayout(FAULT_RECORD_LAYOUT, words, (_values, reserved) => {
      const problems: string[] = [];
      if (!record.fault) problems.push('F=0: the register holds no fault');
      if (reserved.length > 0) problems.push('reserved bits set');
      if (!reason) problems.push(`FR=0x${record.reason.toString(16)} is not a defined fault reason`);
      return problems;
    });
    decoded.fields.FR = `0x${record.reason.toString(16)}`;
    if (reason) decoded.meanings.FR = `${reason.name} (${reason.condition}): ${reason.description}`;
    decoded.meanings.SID = requesterIdName(record.sourceId);
    if (record.pasid === undefined) decoded.meanings.PV = 'not valid (PP=0)';
    return decoded;
  },
};
