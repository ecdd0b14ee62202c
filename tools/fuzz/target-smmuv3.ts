/** The SMMUv3 fuzz target: its plugin, its conformance scenario, and every structure's round trip. */
import { IommuModel } from '@viommu/core';
import {
  CD,
  COMMAND_LAYOUTS,
  DEFAULT_SMMU_CAPABILITIES,
  EVENT_LAYOUTS,
  L1CD,
  L1STD,
  STE,
  decodeCommand,
  encodeCommand,
  smmuv3Plugin,
} from '@viommu/arm-smmuv3';
import { createSmmuScenario } from '../../packages/arm-smmuv3/test/support/scenario.ts';
import { layoutCodec } from './layout-codec.ts';
import type { FuzzTarget, StructureCodec } from './targets.ts';

const plugin = smmuv3Plugin();

const commands: StructureCodec = {
  name: 'command',
  words: 4,
  roundTrip(words) {
    const cmd = decodeCommand(words, DEFAULT_SMMU_CAPABILITIES);
    if ('illegal' in cmd && cmd.illegal) return undefined;
    return encodeCommand(cmd as Parameters<typeof encodeCommand>[0]);
  },
};

export const target: FuzzTarget = {
  name: 'smmuv3',
  plugin,
  foreignModelId: IommuModel.INTEL_VTD,
  createScenario: (env) => createSmmuScenario(plugin, env),
  structures: [
    layoutCodec('STE', STE),
    layoutCodec('CD', CD),
    layoutCodec('L1STD', L1STD),
    layoutCodec('L1CD', L1CD),
    ...Object.entries(EVENT_LAYOUTS).map(([name, layout]) => layoutCodec(`event ${name}`, layout)),
    ...Object.entries(COMMAND_LAYOUTS).map(([name, layout]) => layoutCodec(`command layout ${name}`, layout)),
    commands,
  ],
};
