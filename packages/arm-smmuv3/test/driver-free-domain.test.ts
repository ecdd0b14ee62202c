import { describe, expect, it } from 'vitest';
import { Access } from '@viommu/core';
import type { SmmuV3Domain } from '../src/index';
import { buildHost, GUEST_RAM_HPA } from './support/setup';

describe('freeing a domain', () => {
  it('invalidates every entry of its VMID, then returns the VMID', () => {
    const { iommu, smmu } = buildHost();
    const domain = iommu.createDomain('paging');
    domain.map(0x10_0000, GUEST_RAM_HPA, 0x4000, { read: true, write: true });
    iommu.attachDevice(domain, 0x21);
    for (let page = 0; page < 4; page++) {
      expect(iommu.translate({ device: 0x21, address: 0x10_0000 + page * 0x1000, access: Access.READ }).ok).toBe(true);
    }
    expect(smmu.model.caches.tlb.size).toBeGreaterThan(0);
    const vmid = (domain.vendor as SmmuV3Domain).vmid!;
    expect(smmu.driver.vmids.has(vmid)).toBe(true);
    iommu.detachDevice(domain, 0x21);
    iommu.freeDomain(domain);
    expect(smmu.model.caches.tlb.size).toBe(0);
    expect(smmu.driver.vmids.has(vmid)).toBe(false);
  });
});
