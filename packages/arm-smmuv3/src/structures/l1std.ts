/**
 * The Level 1 Stream Table Descriptor (8 bytes) of a 2-level Stream table [SPEC 5.1].
 * @packageDocumentation
 */
import { defineStructure } from '@viommu/core';

/** L1STD layout [SPEC 5.1]. */
export const L1STD = defineStructure({
  name: 'L1STD',
  bits: 64,
  fields: [
    {
      name: 'Span',
      hi: 4,
      lo: 0,
      values: { 0: 'invalid' },
      doc: '0: L2Ptr invalid; 1..11: the level-2 array holds 2^(Span-1) STEs; 12..31 reserved (behave as 0).',
    },
    {
      name: 'L2Ptr',
      hi: 55,
      lo: 6,
      shift: 6,
      big: true,
      doc: 'PA of the level-2 STE array, bits [55:6]; bits L2Ptr[5+(Span-1):0] are treated as zero.',
    },
  ],
  reserved: [
    [5, 5],
    [63, 56],
  ],
});

/** Largest non-reserved L1STD.Span. */
export const L1STD_MAX_SPAN = 11;
