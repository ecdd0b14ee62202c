import { describe, expect, it } from 'vitest';
import { Access } from '@viommu/core';
import type { VtdDomain } from '../src/index';
import { DATA, makeHost } from './support/host';

describe('freeing a domain', () => {
  it('returns its DID, with no IOTLB entry of the DID left behind', () => {
    const { iommu, vtd } = makeHost();
    const domain = iommu.createDomain('paging');
    domain.map(0x10_0000, DATA.base, 0x4000, { read: true, write: true });
    iommu.attachDevice(domain, 0x0310);
    for (let page = 0; page < 4; page++) {
      expect(iommu.translate({ device: 0x0310, address: 0x10_0000 + page * 0x1000, access: Access.READ }).ok).toBe(true);
    }
    expect(vtd.model.caches.iotlb.size).toBeGreaterThan(0);
    const did = (domain.vendor as VtdDomain).did!;
    expect(vtd.driver.dids.has(did)).toBe(true);
    iommu.detachDevice(domain, 0x0310);
    iommu.freeDomain(domain);
    expect(vtd.model.caches.iotlb.size).toBe(0);
    expect(vtd.driver.dids.has(did)).toBe(false);
  });
});
