/**
 * SMMUv3 configuration structures: feature registers and capabilities, Stream table registers and lookup,
 * STE, CD, CD tables, S1DSS, event records and commands [Arm IHI0070].
 * @packageDocumentation
 */
export * from './address-field';
export * from './address-size';
export * from './granule';
export * from './id-registers';
export * from './capabilities';
export * from './stream-table-registers';
export * from './l1std';
export * from './stream-table';
export * from './ste';
export * from './ste-config';
export * from './stage1-geometry';
export * from './stage2-geometry';
export * from './ste-check';
export * from './s1dss';
export * from './cd';
export * from './cd-config';
export * from './cd-check';
export * from './l1cd';
export * from './cd-table';
export * from './event-codes';
export * from './event-fields';
export * from './event-record';
export * from './command-opcodes';
export * from './command-fields';
export * from './command-layouts';
export * from './command-codec';
export * from './command-ranges';
export * from './field-types';
