/** Records the commands a host driver writes to its Command queue, decoded. */
import { decodeCommand, type Command, type SmmuV3Iommu } from '../../src/index';

/** A decoded command as recorded. */
export interface RecordedCommand {
  name: string;
  fields: Record<string, number | bigint>;
}

/** Starts recording; returns the (live) list. */
export function recordCommands(smmu: SmmuV3Iommu): RecordedCommand[] {
  const out: RecordedCommand[] = [];
  smmu.driver.cmdq.observer = (words) => {
    const c = decodeCommand(words, smmu.driver.caps);
    if (c.illegal) out.push({ name: `ILLEGAL ${c.reason}`, fields: {} });
    else out.push({ name: (c as Command).name, fields: (c as Command).fields as Record<string, number | bigint> });
  };
  return out;
}

/** Just the names. */
export function names(cmds: readonly RecordedCommand[]): string[] {
  return cmds.map((c) => c.name);
}
