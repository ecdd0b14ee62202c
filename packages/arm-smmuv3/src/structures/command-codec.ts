/**
 * Decoding and encoding of 16-byte commands as the Non-secure Command queue of this model's SMMU consumes
 * them [SPEC 4.1]. A command that would raise CERROR_ILL decodes to an {@link IllegalCommand} naming the
 * rule: Reserved opcode, an opcode for a feature the SMMU does not implement, SSec == 1 on the Non-secure
 * queue, a non-zero RES0 field (this model checks them, one of the two permitted behaviours
 * [SPEC 4.1.5]) or a Reserved parameter combination.
 *
 * Not checked: ASID/VMID upper bytes without 16-bit support (the command then need not affect TLB entries
 * [SPEC 4.4], it is not CERROR_ILL), out-of-range StreamID/SubstreamID parameters (CONSTRAINED UNPREDICTABLE
 * [SPEC 4.1.7]) and CMD_ATC_INV Size > 52 (permitted, not required, to be CERROR_ILL).
 * @packageDocumentation
 */
import { IommuError, type StructureLayout } from '@viommu/core';
import type { SmmuCapabilities } from './capabilities';
import { COMMAND_FIELD_SETS, COMMAND_LAYOUTS, COMMAND_WORDS, type CommandFieldValues, type DecodedCommandName } from './command-layouts';
import { COMMAND_OPCODES, commandName, type CommandName } from './command-opcodes';

/** Why a command raises CERROR_ILL on this model's Non-secure Command queue. */
export const COMMAND_ILLEGAL_REASONS = {
  /** The opcode is Reserved or IMPLEMENTATION DEFINED [SPEC 4.1.1]. */
  RESERVED_OPCODE: 'Reserved or IMPLEMENTATION DEFINED opcode',
  /** A Secure-world command (CMD_TLBI_EL3_*, CMD_TLBI_S_*, CMD_TLBI_SNH_ALL) on the Non-secure queue. */
  SECURE_QUEUE_ONLY: 'command valid only on the Secure Command queue',
  /** A command for a feature this model does not implement (VMS/MPAM, DPT). */
  FEATURE_NOT_IMPLEMENTED: 'command for a feature this SMMU does not implement (VMS/MPAM, DPT)',
  /** A stage 1 command (CMD_CFGI_CD*, CMD_TLBI_NH_*) on an SMMU without stage 1 (SMMU_IDR0.S1P == 0). */
  STAGE1_NOT_IMPLEMENTED: 'stage 1 command but SMMU_IDR0.S1P == 0',
  /** A stage 2 command (CMD_TLBI_S2_IPA, CMD_TLBI_S12_VMALL) on an SMMU without stage 2 (SMMU_IDR0.S2P == 0). */
  STAGE2_NOT_IMPLEMENTED: 'stage 2 command but SMMU_IDR0.S2P == 0',
  /** A CMD_TLBI_EL2_* command on an SMMU without EL2 support (SMMU_IDR0.Hyp == 0). */
  HYP_NOT_IMPLEMENTED: 'EL2 command but SMMU_IDR0.Hyp == 0',
  /** CMD_ATC_INV on an SMMU without ATS (SMMU_IDR0.ATS == 0). */
  ATS_NOT_IMPLEMENTED: 'CMD_ATC_INV but SMMU_IDR0.ATS == 0',
  /** CMD_PRI_RESP on an SMMU without PRI (SMMU_IDR0.PRI == 0). */
  PRI_NOT_IMPLEMENTED: 'CMD_PRI_RESP but SMMU_IDR0.PRI == 0',
  /** CMD_RESUME or CMD_STALL_TERM on an SMMU that cannot stall (STALL_MODEL == 0b01). */
  STALL_NOT_SUPPORTED: 'CMD_RESUME / CMD_STALL_TERM but SMMU_IDR0.STALL_MODEL == 0b01',
  /** SSec [10] == 1 (a Secure StreamID) on the Non-secure Command queue. */
  SSEC_ON_NON_SECURE_QUEUE: 'SSec == 1 on the Non-secure Command queue',
  /** A RES0 bit of the command is set [SPEC 4.1.5]; the message names the bit range. */
  RESERVED_FIELD: 'a RES0 field is non-zero',
  /** A TLBI with TG != 0 but NUM, SCALE and TTL all 0, a Reserved combination [SPEC 4.4.1.1]. */
  TLBI_RANGE_RESERVED: 'TG != 0 with NUM == 0, SCALE == 0 and TTL == 0 (Reserved combination)',
  /** A TLBI with TG = 16KB and TTL = 0b01 (level 1 hint) without SMMU_IDR5.DS [SPEC 4.4.1.1]. */
  TLBI_TTL_RESERVED: 'TG == 16KB with TTL == 0b01 without SMMU_IDR5.DS',
  /** CMD_SYNC with CS [13:12] == 0b11 (Reserved). */
  SYNC_CS_RESERVED: 'CMD_SYNC with CS == 0b11',
  /** CMD_PRI_RESP with Resp [77:76] == 0b11 (Reserved). */
  PRI_RESP_RESERVED: 'CMD_PRI_RESP with Resp == 0b11',
} as const;

/** A reason code of {@link COMMAND_ILLEGAL_REASONS}. */
export type CommandIllegalReason = keyof typeof COMMAND_ILLEGAL_REASONS;

/** A decoded, legal command. */
export type Command = {
  [C in DecodedCommandName]: {
    /** Discriminant: the command is legal. */
    readonly illegal: false;
    /** Architectural name. */
    readonly name: C;
    /** Opcode. */
    readonly opcode: (typeof COMMAND_OPCODES)[C];
    /** Field values (`bigint` for VA addresses). */
    readonly fields: CommandFieldValues<C>;
  };
}[DecodedCommandName];

/** A command that raises CERROR_ILL. */
export interface IllegalCommand {
  /** Discriminant: the command is ILLEGAL (CERROR_ILL). */
  readonly illegal: true;
  /** The opcode. */
  readonly opcode: number;
  /** Its architectural name, when the opcode is not Reserved. */
  readonly name: CommandName | undefined;
  /** Which rule failed. */
  readonly reason: CommandIllegalReason;
  /** A readable explanation. */
  readonly message: string;
}

/** A command as {@link encodeCommand} takes it: a name and (possibly partial) fields; missing fields are zero. */
export type CommandInput = {
  [C in DecodedCommandName]: {
    /** The command, e.g. `CMD_TLBI_NH_VA`; selects the opcode and the field layout. */
    readonly name: C;
    /** Field values by spec name (without Opcode); `bigint` for VA `Address`. Missing fields encode as 0. */
    readonly fields?: Partial<CommandFieldValues<C>>;
  };
}[DecodedCommandName];

const SECURE_ONLY = new Set<CommandName>([
  'CMD_TLBI_EL3_ALL',
  'CMD_TLBI_EL3_VA',
  'CMD_TLBI_S_EL2_ALL',
  'CMD_TLBI_S_EL2_ASID',
  'CMD_TLBI_S_EL2_VA',
  'CMD_TLBI_S_EL2_VAA',
  'CMD_TLBI_S_S12_VMALL',
  'CMD_TLBI_S_S2_IPA',
  'CMD_TLBI_SNH_ALL',
]);
const NOT_MODELLED = new Set<CommandName>(['CMD_CFGI_VMS_PIDM', 'CMD_DPTI_ALL', 'CMD_DPTI_PA']);

function isDecoded(name: CommandName): name is DecodedCommandName {
  return name in COMMAND_FIELD_SETS;
}

/** The capability a decoded command needs, as the CERROR_ILL reason when it is missing. */
function featureProblem(name: DecodedCommandName, caps: SmmuCapabilities): CommandIllegalReason | undefined {
  if (name === 'CMD_CFGI_CD' || name === 'CMD_CFGI_CD_ALL' || name.startsWith('CMD_TLBI_NH_')) {
    return caps.s1p ? undefined : 'STAGE1_NOT_IMPLEMENTED';
  }
  if (name.startsWith('CMD_TLBI_EL2_')) return caps.hyp ? undefined : 'HYP_NOT_IMPLEMENTED';
  if (name === 'CMD_TLBI_S2_IPA' || name === 'CMD_TLBI_S12_VMALL') return caps.s2p ? undefined : 'STAGE2_NOT_IMPLEMENTED';
  if (name === 'CMD_ATC_INV') return caps.ats ? undefined : 'ATS_NOT_IMPLEMENTED';
  if (name === 'CMD_PRI_RESP') return caps.pri ? undefined : 'PRI_NOT_IMPLEMENTED';
  if (name === 'CMD_RESUME' || name === 'CMD_STALL_TERM') return caps.stallModel === 1 ? 'STALL_NOT_SUPPORTED' : undefined;
  return undefined;
}

/** Parameter rules of range TLBIs [SPEC 4.4.1.1]. */
function tlbiProblem(f: Record<string, number | bigint>, caps: SmmuCapabilities): CommandIllegalReason | undefined {
  const tg = Number(f['TG']);
  const num = Number(f['NUM']);
  const scale = Number(f['SCALE']);
  const ttl = Number(f['TTL']);
  if (!caps.ds && scale >= 32) return 'RESERVED_FIELD'; // SCALE[5] is RES0 without DS
  if (tg === 0) return num !== 0 || scale !== 0 || ttl !== 0 ? 'RESERVED_FIELD' : undefined;
  if (num === 0 && scale === 0 && ttl === 0) return 'TLBI_RANGE_RESERVED';
  if (tg === 2 && ttl === 1 && !caps.ds) return 'TLBI_TTL_RESERVED';
  return undefined;
}

function illegal(opcode: number, name: CommandName | undefined, reason: CommandIllegalReason, detail = ''): IllegalCommand {
  const what = COMMAND_ILLEGAL_REASONS[reason];
  return { illegal: true, opcode, name, reason, message: `${name ?? `opcode 0x${opcode.toString(16)}`}: ${detail ? `${what} (${detail})` : what}` };
}

/**
 * Decodes a command from the Non-secure Command queue of an SMMU with `caps`.
 * @param words The command's 4 words (little-endian, word 0 = bits 31:0).
 * @throws IommuError `ARGUMENT` when fewer than 4 words are given.
 */
export function decodeCommand(words: ArrayLike<number>, caps: SmmuCapabilities): Command | IllegalCommand {
  if (words.length < COMMAND_WORDS) throw new IommuError('ARGUMENT', `a command has ${COMMAND_WORDS} words, got ${words.length}`);
  const opcode = (words[0] ?? 0) & 0xff;
  const name = commandName(opcode);
  if (name === undefined) return illegal(opcode, undefined, 'RESERVED_OPCODE');
  if (SECURE_ONLY.has(name)) return illegal(opcode, name, 'SECURE_QUEUE_ONLY');
  if (NOT_MODELLED.has(name) || !isDecoded(name)) return illegal(opcode, name, 'FEATURE_NOT_IMPLEMENTED');
  const feature = featureProblem(name, caps);
  if (feature) return illegal(opcode, name, feature);
  const layout = COMMAND_LAYOUTS[name] as StructureLayout<string>;
  const fields = layout.decode(words);
  if (fields['SSec'] === 1) return illegal(opcode, name, 'SSEC_ON_NON_SECURE_QUEUE');
  // CMD_PREFETCH_ADDR.NS is RES0 on the Non-secure Command queue [SPEC 4.2.2].
  if (fields['NS'] === 1) return illegal(opcode, name, 'RESERVED_FIELD', 'NS on the Non-secure Command queue');
  const reserved = layout.reservedViolations(words);
  if (reserved.length > 0) {
    const r = reserved[0]!;
    return illegal(opcode, name, 'RESERVED_FIELD', `bits [${r.hi}:${r.lo}] = 0x${r.value.toString(16)}`);
  }
  if ('TG' in fields) {
    const problem = tlbiProblem(fields, caps);
    if (problem) return illegal(opcode, name, problem);
  }
  if (name === 'CMD_SYNC' && fields['CS'] === 3) return illegal(opcode, name, 'SYNC_CS_RESERVED');
  if (name === 'CMD_PRI_RESP' && fields['Resp'] === 3) return illegal(opcode, name, 'PRI_RESP_RESERVED');
  delete fields['Opcode'];
  return { illegal: false, name, opcode, fields } as unknown as Command;
}

/**
 * Encodes a command; missing fields are zero. Encoding does not check legality: decode the result to see
 * whether the SMMU would accept it.
 * @throws IommuError `ARGUMENT` for a command this model does not encode, `FIELD_RANGE` when a value does not
 * fit, `UNKNOWN_FIELD` for a field the command does not have.
 */
export function encodeCommand(command: CommandInput): Uint32Array {
  const name: CommandName = command.name;
  if (!isDecoded(name)) throw new IommuError('ARGUMENT', `cannot encode ${String(name)}`);
  const layout = COMMAND_LAYOUTS[name] as StructureLayout<string>;
  const fields = { ...(command.fields ?? {}) } as Record<string, number | bigint>;
  if ('Opcode' in fields) throw new IommuError('UNKNOWN_FIELD', 'Opcode is implied by the command name');
  const words = layout.encode(fields);
  layout.set(words, 'Opcode', COMMAND_OPCODES[name]);
  return words;
}
