import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IommuModel } from '@viommu/core';
import { buildScenario, checkCoherence, checkIsolation, runConformanceSuite, sampleRequests } from '../src/index';
import { createExamplePlugin, createExampleScenario } from './support/example-plugin';

const plugin = createExamplePlugin();

runConformanceSuite({
  name: 'example vendor',
  plugin,
  foreignModelId: IommuModel.INTEL_VTD,
  createScenario: (env) => createExampleScenario(plugin, env),
  numRuns: 25,
});

describe('the suite catches broken plugins', () => {
  it('isolation reports a plugin that reads a guest pointer as a host address', () => {
    const broken = createExamplePlugin({ brokenIsolation: true });
    const { scenario: s, env } = buildScenario({ name: 'broken', plugin: broken, foreignModelId: 1, createScenario: (e) => createExampleScenario(broken, e) }, 1);
    s.iommu.bindPasidTable(s.domain, s.device, s.config);
    const problems = checkIsolation(s, env, [], sampleRequests(s));
    expect(problems.some((p) => p.includes('outside host-owned structures'))).toBe(true);
  });

  it('isolation reports an IOTLB that ignores the PASID (one PASID answered from another\'s entry)', () => {
    const broken = createExamplePlugin({ ignorePasidTag: true });
    const { scenario: s, env } = buildScenario({ name: 'untagged', plugin: broken, foreignModelId: 1, createScenario: (e) => createExampleScenario(broken, e) }, 1);
    s.iommu.bindPasidTable(s.domain, s.device, s.config);
    const problems = checkIsolation(s, env, [], sampleRequests(s));
    expect(problems.some((p) => p.includes('differs from uncached'))).toBe(true);
  });

  it('coherence reports a guest driver that forgets to invalidate', () => {
    const { scenario: s } = buildScenario({ name: 'lazy', plugin, foreignModelId: 1, createScenario: (e) => createExampleScenario(plugin, e) }, 1);
    s.iommu.bindPasidTable(s.domain, s.device, s.config);
    const lazy = { ...s, guest: { ...s.guest, invalidate: () => {} } };
    const ops = fc.sample(fc.constant(0), 1).flatMap(() => [
      { op: 'translate' as const, mapping: 0, offset: 0, access: 1 },
      { op: 'unmap' as const, mapping: 0 },
      { op: 'translate' as const, mapping: 0, offset: 0, access: 1 },
    ]);
    expect(checkCoherence(lazy, ops).length).toBeGreaterThan(0);
  });
});
