import { describe, expect, it } from 'vitest';
import { Access } from '@viommu/core';
import { buildNestedGuest, GUEST_DATA, GUEST_RAM, GUEST_RAM_HPA } from './support/setup';

describe('smoke', () => {
  it('nested bind translates', () => {
    const g = buildNestedGuest({ pasidBits: 4 });
    g.guest.attachPasid(1);
    g.guest.map(1, 0x10_0000, GUEST_DATA, 0x4000, { read: true, write: true, user: true });
    const before = g.iommu.translate({ device: g.device, address: GUEST_RAM.base + 0x1000, access: Access.READ });
    expect(before.ok).toBe(true);
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig());
    const r = g.iommu.translate({ device: g.device, pasid: 1, address: 0x10_1234, access: Access.READ });
    expect(r).toMatchObject({ ok: true, output: GUEST_RAM_HPA + GUEST_RAM.size / 2 + 0x1234 });
  });
});
