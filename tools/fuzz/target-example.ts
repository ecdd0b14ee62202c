/** The testkit's example plugin: a target that proves the soak itself works, independent of any vendor. */
import { IommuModel } from '@viommu/core';
import { createExamplePlugin, createExampleScenario } from '../../packages/testkit/test/support/example-plugin.ts';
import type { FuzzTarget } from './targets.ts';

const plugin = createExamplePlugin();

export const target: FuzzTarget = {
  name: 'example',
  plugin,
  foreignModelId: IommuModel.INTEL_VTD,
  createScenario: (env) => createExampleScenario(plugin, env),
  structures: [],
};
