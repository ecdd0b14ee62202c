/**
 * The conformance scenario: a nesting domain holding guest RAM, a device attached, and a guest that built
 * its own 2-level CD table (64 KB leaves) and stage-1 tables with this package's driver code in guest
 * memory. DMA without PASID uses CD 0 (pasid0DmaNoPasid → S1DSS = Substream0).
 */
import { Iommu, PoolAllocator, TranslatedMemory } from '@viommu/core';
import type { GuestMapping, Scenario, ScenarioEnv } from '@viommu/testkit';
import { genericGuestInvalidation, SmmuV3GuestDriver, smmuv3Of, type SmmuV3Plugin } from '../../src/index';
import { GUEST_DATA, GUEST_RAM, GUEST_RAM_HPA, HOST_POOL } from './setup';

/** PASIDs the guest sets up; undefined is DMA without PASID (CD 0). 1500 lives in the second level-2 table. */
export const SCENARIO_PASIDS: readonly (number | undefined)[] = [undefined, 1, 5, 1500];

/** Builds the conformance scenario in the suite's memory. */
export function createSmmuScenario(plugin: SmmuV3Plugin, env: ScenarioEnv): Scenario {
  env.sparse.back(HOST_POOL.base, HOST_POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const allocator = new PoolAllocator(env.memory, HOST_POOL.base, HOST_POOL.size);
  const iommu = new Iommu(plugin, { memory: env.memory, allocator });
  const domain = iommu.createDomain('nesting');
  domain.map(GUEST_RAM.base, GUEST_RAM_HPA, GUEST_RAM.size, { read: true, write: true, exec: true });
  const device = 0x0203;
  iommu.attachDevice(domain, device);
  const guestMemory = new TranslatedMemory(env.memory, (gpa) => domain.iovaToPhys(gpa));
  const guestAllocator = new PoolAllocator(guestMemory, GUEST_RAM.base, GUEST_RAM.size / 2);
  const guest = new SmmuV3GuestDriver({
    memory: guestMemory,
    allocator: guestAllocator,
    caps: smmuv3Of(iommu).driver.caps,
    pasidBits: 11,
    cdTableFormat: '2-level-64k',
    invalidation: genericGuestInvalidation(domain, device),
  });
  const ssid = (p: number | undefined) => p ?? 0;
  const mappings: GuestMapping[] = [];
  SCENARIO_PASIDS.forEach((pasid, i) => {
    guest.attachPasid(ssid(pasid));
    // Every context maps the same GVA to its own pages: an entry cached for one must never answer another.
    const m = { pasid, gva: 0x40_0000, gpa: GUEST_DATA + 0x10_0000 * i, size: 0x8000, write: true };
    guest.map(ssid(pasid), m.gva, m.gpa, m.size, { read: true, write: true, user: true });
    mappings.push(m);
  });
  // One 2 MB block mapping too, for block-sized leaves.
  const block = { pasid: 1, gva: 0x4000_0000, gpa: GUEST_DATA + 0x20_0000 * 2, size: 0x20_0000, write: false };
  guest.map(1, block.gva, block.gpa, block.size, { read: true, write: false, user: true });
  mappings.push(block);
  return {
    iommu,
    domain,
    device,
    config: guest.pasidTableConfig({ pasid0DmaNoPasid: true }),
    hostOwned: smmuv3Of(iommu).ownedRanges(),
    guestImage: [{ base: GUEST_RAM_HPA, size: GUEST_RAM.size }],
    guestRam: GUEST_RAM,
    guestMemory,
    mappings,
    pasids: SCENARIO_PASIDS,
    guest: {
      map: (p, gva, gpa, size, prot) => guest.context(ssid(p))!.table.map(gva, gpa, size, prot),
      unmap: (p, gva, size) => void guest.context(ssid(p))!.table.unmap(gva, size),
      invalidate: (p, gva, size) => guest.invalidateRange(ssid(p), gva, size),
    },
  };
}
