import { describe, expect, it } from 'vitest';
import { IommuModel } from '@viommu/core';
import { buildScenario, runConformanceSuite } from '@viommu/testkit';
import { smmuv3Plugin } from '../src/index';
import { createSmmuScenario } from './support/scenario';

const plugin = smmuv3Plugin();

runConformanceSuite({
  name: 'ARM SMMUv3',
  plugin,
  foreignModelId: IommuModel.INTEL_VTD,
  createScenario: (env) => createSmmuScenario(plugin, env),
  numRuns: 25,
});

describe('the SMMUv3 conformance scenario', () => {
  it('declares every structure the SMMU owns and nothing of guest RAM as host-owned', () => {
    const { scenario: s } = buildScenario({ name: 'smmu', plugin, foreignModelId: IommuModel.INTEL_VTD, createScenario: (e) => createSmmuScenario(plugin, e) }, 1);
    const image = s.guestImage[0]!;
    for (const r of s.hostOwned) expect(r.base + r.size <= image.base || r.base >= image.base + image.size).toBe(true);
    // Stream table (level 1 + the device's level-2 array), two queues, stage-2 tables.
    expect(s.hostOwned.length).toBeGreaterThanOrEqual(5);
  });
});
