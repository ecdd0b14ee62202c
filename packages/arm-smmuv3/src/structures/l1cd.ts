/**
 * The Level 1 Context Descriptor (8 bytes) of a 2-level CD table [SPEC 5.3].
 * @packageDocumentation
 */
import { defineStructure } from '@viommu/core';

/** L1CD layout [SPEC 5.3]. */
export const L1CD = defineStructure({
  name: 'L1CD',
  bits: 64,
  fields: [
    { name: 'V', hi: 0, lo: 0, values: { 0: 'invalid', 1: 'valid' }, doc: 'L2Ptr valid; V == 0 gives C_BAD_SUBSTREAMID.' },
    {
      name: 'L2Ptr',
      hi: 55,
      lo: 12,
      shift: 12,
      big: true,
      doc: 'Address of the level-2 CD table, bits [55:12]; an IPA when stage 2 translates. With 64KB L2 tables bits [15:12] are RES0.',
    },
  ],
  reserved: [
    [11, 1],
    [63, 56],
  ],
});
