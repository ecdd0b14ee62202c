import { IommuModel } from '@viommu/core';
import { runConformanceSuite } from '@viommu/testkit';
import { vtdPlugin } from '../src/driver/index';
import { buildVtdScenario } from './support/vtd-scenario';

const plugin = vtdPlugin();

runConformanceSuite({
  name: 'intel-vtd',
  plugin,
  foreignModelId: IommuModel.ARM_SMMUV3,
  createScenario: (env) => buildVtdScenario(env, { plugin }),
  numRuns: 20,
});
