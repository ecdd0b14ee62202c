/** The VT-d fuzz target: its plugin, its conformance scenario, and every structure's round trip. */
import { IommuModel } from '@viommu/core';
import {
  FAULT_RECORD_LAYOUT,
  LEGACY_CONTEXT_ENTRY_LAYOUT,
  LEGACY_ROOT_ENTRY_LAYOUT,
  PASID_DIRECTORY_ENTRY_LAYOUT,
  PASID_ENTRY_LAYOUT,
  QI_DESCRIPTOR_LAYOUTS,
  SCALABLE_CONTEXT_ENTRY_LAYOUT,
  SCALABLE_ROOT_ENTRY_LAYOUT,
  decodeQiDescriptor,
  encodeQiDescriptor,
  vtdPlugin,
} from '@viommu/intel-vtd';
import { buildVtdScenario } from '../../packages/intel-vtd/test/support/vtd-scenario.ts';
import { layoutCodec } from './layout-codec.ts';
import type { FuzzTarget, StructureCodec } from './targets.ts';

const plugin = vtdPlugin();

function qiCodec(dw256: boolean): StructureCodec {
  return {
    name: `qi-descriptor ${dw256 ? 256 : 128}-bit`,
    words: dw256 ? 8 : 4,
    roundTrip(words) {
      const d = decodeQiDescriptor(words, dw256);
      if ('invalid' in d) return undefined;
      return encodeQiDescriptor(d, dw256);
    },
  };
}

export const target: FuzzTarget = {
  name: 'vtd',
  plugin,
  foreignModelId: IommuModel.ARM_SMMUV3,
  createScenario: (env) => buildVtdScenario(env, { plugin }),
  structures: [
    layoutCodec('legacy root entry', LEGACY_ROOT_ENTRY_LAYOUT),
    layoutCodec('scalable root entry', SCALABLE_ROOT_ENTRY_LAYOUT),
    layoutCodec('legacy context entry', LEGACY_CONTEXT_ENTRY_LAYOUT),
    layoutCodec('scalable context entry', SCALABLE_CONTEXT_ENTRY_LAYOUT),
    layoutCodec('PASID directory entry', PASID_DIRECTORY_ENTRY_LAYOUT),
    layoutCodec('PASID entry', PASID_ENTRY_LAYOUT),
    layoutCodec('fault record', FAULT_RECORD_LAYOUT),
    ...Object.entries(QI_DESCRIPTOR_LAYOUTS).map(([type, layout]) => layoutCodec(`qi layout type ${type}`, layout)),
    qiCodec(false),
    qiCodec(true),
  ],
};
