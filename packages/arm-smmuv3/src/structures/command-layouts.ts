/**
 * The field layout of each command this model decodes [SPEC 4.2–4.7]. Every bit a command does not define
 * is RES0 [SPEC 4.1.5]; the layouts declare those ranges reserved so a non-zero value can be reported as
 * CERROR_ILL.
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

/**
 * The fields of each decoded command (Opcode included), keyed by command name. Every bit not covered here is
 * RES0 [SPEC 4.1.5] and is checked by {@link decodeCommand}.
 */
export const COMMAND_FIELD_SETS = {
  /** CMD_PREFETCH_CONFIG (0x01) [SPEC 4.2]: StreamID, optional SubstreamID. */
  CMD_PREFETCH_CONFIG: [CMD_OPCODE, CMD_SSEC, CMD_SSV, CMD_SUBSTREAM_ID, CMD_STREAM_ID],
  /** CMD_PREFETCH_ADDR (0x02) [SPEC 4.2]: as CMD_PREFETCH_CONFIG plus Size and a VA. */
  CMD_PREFETCH_ADDR: [
    CMD_OPCODE,
    CMD_SSEC,
    CMD_SSV,
    CMD_SUBSTREAM_ID,
    CMD_STREAM_ID,
    {
      /** Key `Size`: log2 of the number of translations to prefetch. */
      name: 'Size',
      /** Bit 68: Size is 5 bits. */
      hi: 68,
      /** Bit 64 (bit 0 of the second doubleword). */
      lo: 64,
      /** Printed by `viommu decode`. */
      doc: 'Prefetch 2^Size translations at the stride.',
    },
    {
      /**
       * Key `Stride`: prefetches are 2^(12 + Stride) bytes apart [SPEC 4.2.2] (SMMUv3.1+; bit positions from the
       * specification's command figure: Size [68:64], Stride [73:69], NS [74], bit 75 RES0, Addr [127:76]).
       */
      name: 'Stride',
      /** Bit 73. */
      hi: 73,
      /** Bit 69. */
      lo: 69,
      /** Printed by `viommu decode`. */
      doc: 'Prefetch stride: translations 2^(12 + Stride) bytes apart.',
    },
    {
      /** Key `NS`: the NS attribute for Secure stage-2-only streams; RES0 on the Non-secure Command queue [SPEC 4.2.2]. */
      name: 'NS',
      /** Bit 74. */
      hi: 74,
      /** Bit 74. */
      lo: 74,
      /** Printed by `viommu decode`. */
      doc: 'NS attribute for Secure stage 2 (RES0 on the Non-secure Command queue).',
    },
    CMD_VA,
  ],
  /** CMD_CFGI_STE (0x03) [SPEC 4.3]: one StreamID; Leaf == 0 also drops the L1STD. */
  CMD_CFGI_STE: [CMD_OPCODE, CMD_SSEC, CMD_STREAM_ID, CMD_LEAF],
  /** CMD_CFGI_STE_RANGE (0x04) [SPEC 4.3.2]: 2^(Range+1) aligned StreamIDs; Range 31 is CMD_CFGI_ALL. */
  CMD_CFGI_STE_RANGE: [CMD_OPCODE, CMD_SSEC, CMD_STREAM_ID, CMD_RANGE],
  /** CMD_CFGI_CD (0x05) [SPEC 4.3]: the CD of StreamID + SubstreamID; Leaf == 0 also drops its L1CD. */
  CMD_CFGI_CD: [CMD_OPCODE, CMD_SSEC, CMD_SUBSTREAM_ID, CMD_STREAM_ID, CMD_LEAF],
  /** CMD_CFGI_CD_ALL (0x06) [SPEC 4.3]: every CD and L1CD cached for a StreamID. */
  CMD_CFGI_CD_ALL: [CMD_OPCODE, CMD_SSEC, CMD_STREAM_ID],
  /** CMD_TLBI_NH_ALL (0x10) [SPEC 4.4]: all NS-EL1 stage 1 entries of a VMID. */
  CMD_TLBI_NH_ALL: [CMD_OPCODE, CMD_VMID],
  /** CMD_TLBI_NH_ASID (0x11) [SPEC 4.4]: non-global NS-EL1 entries of an ASID in a VMID. */
  CMD_TLBI_NH_ASID: [CMD_OPCODE, CMD_VMID, CMD_ASID],
  /** CMD_TLBI_NH_VA (0x12) [SPEC 4.4]: NS-EL1 entries by VA + ASID + VMID (and global entries by VA). */
  CMD_TLBI_NH_VA: [CMD_OPCODE, CMD_VMID, CMD_ASID, ...TLBI_RANGE, CMD_VA],
  /** CMD_TLBI_NH_VAA (0x13) [SPEC 4.4]: NS-EL1 entries by VA for every ASID of a VMID. */
  CMD_TLBI_NH_VAA: [CMD_OPCODE, CMD_VMID, ...TLBI_RANGE, CMD_VA],
  /** CMD_TLBI_EL2_ALL (0x20) [SPEC 4.4]: all NS-EL2 entries (needs SMMU_IDR0.Hyp). */
  CMD_TLBI_EL2_ALL: [CMD_OPCODE],
  /** CMD_TLBI_EL2_ASID (0x21) [SPEC 4.4]: NS-EL2-E2H non-global entries of an ASID. */
  CMD_TLBI_EL2_ASID: [CMD_OPCODE, CMD_ASID],
  /** CMD_TLBI_EL2_VA (0x22) [SPEC 4.4]: NS-EL2 entries by VA (and ASID under E2H). */
  CMD_TLBI_EL2_VA: [CMD_OPCODE, CMD_ASID, ...TLBI_RANGE, CMD_VA],
  /** CMD_TLBI_EL2_VAA (0x23) [SPEC 4.4]: NS-EL2 entries by VA for every ASID. */
  CMD_TLBI_EL2_VAA: [CMD_OPCODE, ...TLBI_RANGE, CMD_VA],
  /** CMD_TLBI_S12_VMALL (0x28) [SPEC 4.4]: every stage 1 and stage 2 entry of a VMID. */
  CMD_TLBI_S12_VMALL: [CMD_OPCODE, CMD_VMID],
  /** CMD_TLBI_S2_IPA (0x2A) [SPEC 4.4]: stage 2 entries by IPA + VMID (nested entries need a stage 1 TLBI too). */
  CMD_TLBI_S2_IPA: [CMD_OPCODE, CMD_VMID, ...TLBI_RANGE, CMD_IPA],
  /** CMD_TLBI_NSNH_ALL (0x30) [SPEC 4.4]: every Non-secure non-EL2 entry, all VMIDs. */
  CMD_TLBI_NSNH_ALL: [CMD_OPCODE],
  /** CMD_ATC_INV (0x40) [SPEC 4.5.1]: an ATS invalidation sent to the endpoint (needs SMMU_IDR0.ATS). */
  CMD_ATC_INV: [
    CMD_OPCODE,
    {
      /** Key `Global`: also invalidate global ATC entries of every PASID. */
      name: 'Global',
      /** Single-bit field: bit 9. */
      hi: 9,
      /** Single-bit field: bit 9. */
      lo: 9,
      /** Printed by `viommu decode`. */
      doc: 'Global invalidate flag of the ATS request (with SSV == 1).',
    },
    CMD_SSV,
    CMD_SUBSTREAM_ID,
    CMD_STREAM_ID,
    {
      /** Key `Size`: log2 of the span in 4KB units; see {@link atcInvRange}. */
      name: 'Size',
      /** Bit 69: Size is 6 bits (0..63; 52 covers the whole address space). */
      hi: 69,
      /** Bit 64 (bit 0 of the second doubleword). */
      lo: 64,
      /** Printed by `viommu decode`. */
      doc: 'Invalidate 4KB × 2^Size bytes from Address (aligned); 52 = everything.',
    },
    CMD_VA,
  ],
  /** CMD_PRI_RESP (0x41) [SPEC 4.5]: completes a PRI page request group (needs SMMU_IDR0.PRI). */
  CMD_PRI_RESP: [
    CMD_OPCODE,
    CMD_SSV,
    CMD_SUBSTREAM_ID,
    CMD_STREAM_ID,
    {
      /** Key `PRGIndex`: the page request group index from the request. */
      name: 'PRGIndex',
      /** Bit 72: PRG indexes are 9 bits. */
      hi: 72,
      /** Bit 64 (bit 0 of the second doubleword). */
      lo: 64,
      /** Printed by `viommu decode`. */
      doc: 'Page request group index.',
    },
    {
      /** Key `Resp`: the PCIe PRG response code. */
      name: 'Resp',
      /** Bit 77. */
      hi: 77,
      /** Bit 76. */
      lo: 76,
      /** Encodings of Resp. */
      values: {
        /** Response Failure: the endpoint must stop issuing page requests. */
        0: 'ResponseFailure',
        /** Invalid Request: the pages could not be made resident. */
        1: 'InvalidRequest',
        /** Success: the pages are resident; the endpoint may retry its ATS requests. */
        2: 'Success',
        /** Reserved: the command is CERROR_ILL (`PRI_RESP_RESERVED`). */
        3: 'reserved (ILLEGAL)',
      },
      /** Printed by `viommu decode`. */
      doc: 'Page request group response.',
    },
  ],
  /** CMD_RESUME (0x44) [SPEC 4.6]: retries or terminates one stalled transaction, named by StreamID + STAG. */
  CMD_RESUME: [
    CMD_OPCODE,
    CMD_SSEC,
    {
      /** Key `Ac` (action). */
      name: 'Ac',
      /** Single-bit field: bit 12. */
      hi: 12,
      /** Single-bit field: bit 12. */
      lo: 12,
      /** Encodings of Ac. */
      values: {
        /** Terminate the transaction; Ab says how. */
        0: 'terminate',
        /** Retry the translation (software fixed the tables). */
        1: 'retry',
      },
      /** Printed by `viommu decode`. */
      doc: 'Action: retry the stalled transaction or terminate it.',
    },
    {
      /** Key `Ab` (abort). */
      name: 'Ab',
      /** Single-bit field: bit 13. */
      hi: 13,
      /** Single-bit field: bit 13. */
      lo: 13,
      /** Encodings of Ab (used when Ac == 0). */
      values: {
        /** Complete the terminated transaction silently: reads return zero, writes are ignored. */
        0: 'RAZ/WI',
        /** Return an abort to the device. */
        1: 'abort',
      },
      /** Printed by `viommu decode`. */
      doc: 'With Ac == terminate: abort (1) or complete with RAZ/WI (0).',
    },
    CMD_STREAM_ID,
    {
      /** Key `STAG`: the stall tag copied from the event record's STAG. */
      name: 'STAG',
      /** Bit 79: 16-bit tag. */
      hi: 79,
      /** Bit 64 (bit 0 of the second doubleword). */
      lo: 64,
      /** Printed by `viommu decode`. */
      doc: 'Stall tag from the stall event record.',
    },
  ],
  /** CMD_STALL_TERM (0x45) [SPEC 4.6]: terminates every stalled transaction of a StreamID. */
  CMD_STALL_TERM: [CMD_OPCODE, CMD_SSEC, CMD_STREAM_ID],
  /** CMD_SYNC (0x46) [SPEC 4.6]: completes once every earlier command has, then signals as CS says. */
  CMD_SYNC: [
    CMD_OPCODE,
    {
      /** Key `CS` (completion signal). */
      name: 'CS',
      /** Bit 13. */
      hi: 13,
      /** Bit 12. */
      lo: 12,
      /** Encodings of CS. */
      values: {
        /** No signal; software polls SMMU_CMDQ_CONS. */
        0: 'SIG_NONE',
        /** Signal with an interrupt, or the MSI described by MSIAddress/MSIData. */
        1: 'SIG_IRQ',
        /** Signal with a WFE wake-up event (SEV). */
        2: 'SIG_SEV',
        /** Reserved: the command is CERROR_ILL (`SYNC_CS_RESERVED`). */
        3: 'reserved (ILLEGAL)',
      },
      /** Printed by `viommu decode`. */
      doc: 'Completion signal.',
    },
    {
      /** Key `MSH`: shareability of the completion MSI write. */
      name: 'MSH',
      /** Bit 23. */
      hi: 23,
      /** Bit 22. */
      lo: 22,
      /** Encodings of MSH. */
      values: {
        /** Non-shareable. */
        0: 'Non-shareable',
        /** Reserved; behaves as Non-shareable. */
        1: 'reserved (Non-shareable)',
        /** Outer Shareable. */
        2: 'Outer Shareable',
        /** Inner Shareable. */
        3: 'Inner Shareable',
      },
      /** Printed by `viommu decode`. */
      doc: 'Shareability of the MSI write.',
    },
    {
      /** Key `MSIAttr`: memory type of the completion MSI write. */
      name: 'MSIAttr',
      /** Bit 27. */
      hi: 27,
      /** Bit 24: 4-bit attribute, encoded as STE.MemAttr. */
      lo: 24,
      /** Printed by `viommu decode`. */
      doc: 'Memory attributes of the MSI write (STE.MemAttr encoding).',
    },
    {
      /** Key `MSIData`: the 32-bit value the completion MSI writes. */
      name: 'MSIData',
      /** Bit 63: MSIData is the upper word of the first doubleword. */
      hi: 63,
      /** Bit 32. */
      lo: 32,
      /** Printed by `viommu decode`. */
      doc: 'Data written by the completion MSI.',
    },
    {
      /** Key `MSIAddress`: PA of the completion MSI write, decoded in bytes (0 = no MSI). */
      name: 'MSIAddress',
      /** Bit 115 holds PA[51]. */
      hi: 115,
      /** Bit 66 holds PA[2]; the address is word aligned. */
      lo: 66,
      /** The field holds PA[51:2]: decoded value = field × 4. */
      shift: 2,
      /** Printed by `viommu decode`. */
      doc: 'PA of the completion MSI, bits [51:2]; 0 = no MSI.',
    },
  ],
} as const satisfies Partial<Record<CommandName, readonly FieldSpec[]>>;

/** A command this model decodes into fields. */
export type DecodedCommandName = keyof typeof COMMAND_FIELD_SETS;

/** The field values of a decoded command, without Opcode (implied by the name). */
export type CommandFieldValues<C extends DecodedCommandName> = Omit<ValuesOf<(typeof COMMAND_FIELD_SETS)[C]>, 'Opcode'>;



/** The 128-bit layout of each decoded command, with every undefined bit declared reserved. */
export const COMMAND_LAYOUTS: { readonly [C in DecodedCommandName]: StructureLayout<(typeof COMMAND_FIELD_SETS)[C][number]['name']> } = Object.fromEntries(
  Object.entries(COMMAND_FIELD_SETS).map(([name, fields]) => [
    name,
    defineStructure({ name, bits: 128, fields, reserved: reservedComplement(128, fields) }),
  ]),
) as unknown as { readonly [C in DecodedCommandName]: StructureLayout<(typeof COMMAND_FIELD_SETS)[C][number]['name']> };

/** Number of 32-bit words in a command. */
export const COMMAND_WORDS = 4;
