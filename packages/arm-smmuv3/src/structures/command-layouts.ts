/**
 * The field layout of each command this model decodes [SPEC 4.2–4.7]. Every bit a command does not define
 * is RES0 [SPEC 4.1.5]; the layouts declare those ranges reserved so a non-zero value can be reported as
 * CERROR_ILL. Exception: CMD_PREFETCH_ADDR bits [75:69] (Stride and NS, whose positions the reference does
 * not give) are neither decoded nor checked.
 * @packageDocumentation
 */
import { defineStructure, type FieldSpec, type StructureLayout } from '@viommu/core';
import {
  CMD_ASID,
  CMD_IPA,
  CMD_LEAF,
  CMD_NUM,
  CMD_OPCODE,
  CMD_RANGE,
  CMD_SCALE,
  CMD_SSEC,
  CMD_SSV,
  CMD_STREAM_ID,
  CMD_SUBSTREAM_ID,
  CMD_TG,
  CMD_TTL,
  CMD_VA,
  CMD_VMID,
} from './command-fields';
import type { CommandName } from './command-opcodes';
import { reservedComplement, type ValuesOf } from './field-types';

const TLBI_RANGE = [CMD_NUM, CMD_SCALE, CMD_LEAF, CMD_TTL, CMD_TG] as const;

/** The fields of each decoded command (Opcode included). */
export const COMMAND_FIELD_SETS = {
  CMD_PREFETCH_CONFIG: [CMD_OPCODE, CMD_SSEC, CMD_SSV, CMD_SUBSTREAM_ID, CMD_STREAM_ID],
  CMD_PREFETCH_ADDR: [
    CMD_OPCODE,
    CMD_SSEC,
    CMD_SSV,
    CMD_SUBSTREAM_ID,
    CMD_STREAM_ID,
    { name: 'Size', hi: 68, lo: 64, doc: 'Prefetch 2^Size translations at the stride.' },
    CMD_VA,
  ],
  CMD_CFGI_STE: [CMD_OPCODE, CMD_SSEC, CMD_STREAM_ID, CMD_LEAF],
  CMD_CFGI_STE_RANGE: [CMD_OPCODE, CMD_SSEC, CMD_STREAM_ID, CMD_RANGE],
  CMD_CFGI_CD: [CMD_OPCODE, CMD_SSEC, CMD_SUBSTREAM_ID, CMD_STREAM_ID, CMD_LEAF],
  CMD_CFGI_CD_ALL: [CMD_OPCODE, CMD_SSEC, CMD_STREAM_ID],
  CMD_TLBI_NH_ALL: [CMD_OPCODE, CMD_VMID],
  CMD_TLBI_NH_ASID: [CMD_OPCODE, CMD_VMID, CMD_ASID],
  CMD_TLBI_NH_VA: [CMD_OPCODE, CMD_VMID, CMD_ASID, ...TLBI_RANGE, CMD_VA],
  CMD_TLBI_NH_VAA: [CMD_OPCODE, CMD_VMID, ...TLBI_RANGE, CMD_VA],
  CMD_TLBI_EL2_ALL: [CMD_OPCODE],
  CMD_TLBI_EL2_ASID: [CMD_OPCODE, CMD_ASID],
  CMD_TLBI_EL2_VA: [CMD_OPCODE, CMD_ASID, ...TLBI_RANGE, CMD_VA],
  CMD_TLBI_EL2_VAA: [CMD_OPCODE, ...TLBI_RANGE, CMD_VA],
  CMD_TLBI_S12_VMALL: [CMD_OPCODE, CMD_VMID],
  CMD_TLBI_S2_IPA: [CMD_OPCODE, CMD_VMID, ...TLBI_RANGE, CMD_IPA],
  CMD_TLBI_NSNH_ALL: [CMD_OPCODE],
  CMD_ATC_INV: [
    CMD_OPCODE,
    { name: 'Global', hi: 9, lo: 9, doc: 'Global invalidate flag of the ATS request (with SSV == 1).' },
    CMD_SSV,
    CMD_SUBSTREAM_ID,
    CMD_STREAM_ID,
    { name: 'Size', hi: 69, lo: 64, doc: 'Invalidate 4KB × 2^Size bytes from Address (aligned); 52 = everything.' },
    CMD_VA,
  ],
  CMD_PRI_RESP: [
    CMD_OPCODE,
    CMD_SSV,
    CMD_SUBSTREAM_ID,
    CMD_STREAM_ID,
    { name: 'PRGIndex', hi: 72, lo: 64, doc: 'Page request group index.' },
    {
      name: 'Resp',
      hi: 77,
      lo: 76,
      values: { 0: 'ResponseFailure', 1: 'InvalidRequest', 2: 'Success', 3: 'reserved (ILLEGAL)' },
      doc: 'Page request group response.',
    },
  ],
  CMD_RESUME: [
    CMD_OPCODE,
    CMD_SSEC,
    { name: 'Ac', hi: 12, lo: 12, values: { 0: 'terminate', 1: 'retry' }, doc: 'Action: retry the stalled transaction or terminate it.' },
    { name: 'Ab', hi: 13, lo: 13, values: { 0: 'RAZ/WI', 1: 'abort' }, doc: 'With Ac == terminate: abort (1) or complete with RAZ/WI (0).' },
    CMD_STREAM_ID,
    { name: 'STAG', hi: 79, lo: 64, doc: 'Stall tag from the stall event record.' },
  ],
  CMD_STALL_TERM: [CMD_OPCODE, CMD_SSEC, CMD_STREAM_ID],
  CMD_SYNC: [
    CMD_OPCODE,
    { name: 'CS', hi: 13, lo: 12, values: { 0: 'SIG_NONE', 1: 'SIG_IRQ', 2: 'SIG_SEV', 3: 'reserved (ILLEGAL)' }, doc: 'Completion signal.' },
    { name: 'MSH', hi: 23, lo: 22, values: { 0: 'Non-shareable', 1: 'reserved (Non-shareable)', 2: 'Outer Shareable', 3: 'Inner Shareable' }, doc: 'Shareability of the MSI write.' },
    { name: 'MSIAttr', hi: 27, lo: 24, doc: 'Memory attributes of the MSI write (STE.MemAttr encoding).' },
    { name: 'MSIData', hi: 63, lo: 32, doc: 'Data written by the completion MSI.' },
    { name: 'MSIAddress', hi: 115, lo: 66, shift: 2, doc: 'PA of the completion MSI, bits [51:2]; 0 = no MSI.' },
  ],
} as const satisfies Partial<Record<CommandName, readonly FieldSpec[]>>;

/** A command this model decodes into fields. */
export type DecodedCommandName = keyof typeof COMMAND_FIELD_SETS;

/** The field values of a decoded command, without Opcode (implied by the name). */
export type CommandFieldValues<C extends DecodedCommandName> = Omit<ValuesOf<(typeof COMMAND_FIELD_SETS)[C]>, 'Opcode'>;

type LayoutNames<C extends DecodedCommandName> = (typeof COMMAND_FIELD_SETS)[C][number]['name'];

const UNCHECKED: Partial<Record<DecodedCommandName, readonly (readonly [number, number])[]>> = { CMD_PREFETCH_ADDR: [[75, 69]] };

/** The 128-bit layout of each decoded command, with every undefined bit declared reserved. */
export const COMMAND_LAYOUTS: { readonly [C in DecodedCommandName]: StructureLayout<LayoutNames<C>> } = Object.fromEntries(
  Object.entries(COMMAND_FIELD_SETS).map(([name, fields]) => [
    name,
    defineStructure({ name, bits: 128, fields, reserved: reservedComplement(128, fields, UNCHECKED[name as DecodedCommandName]) }),
  ]),
) as unknown as { readonly [C in DecodedCommandName]: StructureLayout<LayoutNames<C>> };

/** Number of 32-bit words in a command. */
export const COMMAND_WORDS = 4;
