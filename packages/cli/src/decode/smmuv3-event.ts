/**
 * `viommu decode event`: an SMMUv3 event record (32 bytes) [SPEC 7.3], decoded with the field set of its Type
 * from `@viommu/arm-smmuv3`'s per-type layouts. A record whose Type is not architected is invalid. Bits a type
 * does not define (IMPLEMENTATION DEFINED Reason fields, ATS/PRI details) are neither decoded nor reported.
 * @packageDocumentation
 */
import { getFieldBig } from '@viommu/core';
import { EVENT_LAYOUTS, decodeEvent } from '@viommu/arm-smmuv3';
import { type Decodable, decodeWithLayout } from '../decodable';

/** Event record. */
export const EVENT_DECODABLE: Decodable = {
  name: 'event',
  vendor: 'smmuv3',
  summary: 'event record (32 bytes, SPEC 7.3), fields by its Type',
  words64: 4,
  decode(words) {
    const event = decodeEvent(words);
    if (event.name === 'UNKNOWN') {
      const fields: Record<string, number | string> = { Type: `0x${event.code.toString(16)}` };
      for (let q = 0; q < 4; q++) fields[`DW${q}`] = `0x${getFieldBig(words, q * 64, 64).toString(16)}`;
      return {
        structure: 'event record',
        fields,
        meanings: { Type: 'not architected' },
        reserved: [],
        valid: false,
        problems: [`Type 0x${event.code.toString(16)} is not an architected event`],
      };
    }
    const decoded = decodeWithLayout(EVENT_LAYOUTS[event.name], words, () => [], `event record ${event.name}`);
    decoded.fields.Type = `0x${event.code.toString(16)}`;
    decoded.meanings.Type = event.name;
    return decoded;
  },
};
