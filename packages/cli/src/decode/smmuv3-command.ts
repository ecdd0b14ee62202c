/**
 * `viommu decode command`: a 16-byte Command queue entry [SPEC 4], with fields from `@viommu/arm-smmuv3`'s
 * per-opcode layouts (every bit a command does not define is RES0 [SPEC 4.1.5] and listed when set) and the
 * verdict from its `decodeCommand`, as the Non-secure Command queue of an SMMU with the default capabilities
 * would take it: an invalid command raises CERROR_ILL.
 * @packageDocumentation
 */
import { COMMAND_LAYOUTS, commandName, decodeCommand, type DecodedCommandName } from '@viommu/arm-smmuv3';
import { type Decodable, decodeWithLayout } from '../decodable';
import { SMMU_CAPS } from './smmuv3-verdict';

/** Command queue entry. */
export const COMMAND_DECODABLE: Decodable = {
  name: 'command',
  vendor: 'smmuv3',
  summary: 'Command queue entry (16 bytes, SPEC 4), as the Non-secure queue takes it',
  words64: 2,
  decode(words) {
    const command = decodeCommand(words, SMMU_CAPS);
    const problems = command.illegal ? [`CERROR_ILL: ${command.message}`] : [];
    const opcode = (words[0] ?? 0) & 0xff;
    const name = commandName(opcode);
    const opcodeHex = `0x${opcode.toString(16)}`;
    if (name === undefined || !(name in COMMAND_LAYOUTS)) {
      // Reserved opcodes and commands this SMMU does not take: only the opcode means anything.
      return {
        structure: name ?? 'command',
        fields: { Opcode: opcodeHex },
        meanings: { Opcode: name ?? 'reserved' },
        reserved: [],
        valid: false,
        problems,
      };
    }
    const decoded = decodeWithLayout(COMMAND_LAYOUTS[name as DecodedCommandName], words, () => problems);
    decoded.fields.Opcode = opcodeHex;
    decoded.meanings.Opcode = name;
    return decoded;
  },
};
