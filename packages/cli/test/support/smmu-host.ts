/**
 * An SMMUv3 host built with this project's driver code — a nesting domain over guest RAM, a guest that wrote
 * its own CD table and stage-1 tables, bound through bindPasidTable — laid out compactly so the whole host
 * memory dumps as an 8 MiB raw image, for testing `viommu translate` against the library's own answers.
 */
import { Iommu, PoolAllocator, SparseMemory, TranslatedMemory } from '@viommu/core';
import { SmmuReg, SmmuV3GuestDriver, genericGuestInvalidation, smmuv3Of, smmuv3Plugin } from '@viommu/arm-smmuv3';
import type { CliRequest } from '../../src/translate/request';

export const SMMU_HOST_BASE = 0x100_0000;
const POOL = { base: SMMU_HOST_BASE, size: 0x40_0000 };
const GUEST_RAM = { base: 0x4000_0000, size: 0x40_0000 };
const GUEST_RAM_HPA = SMMU_HOST_BASE + 0x40_0000;
export const SMMU_SID = 0x21;

/** Builds the host; returns its memory, the registers a debugger would read, and requests worth asking. */
export function buildSmmuHost() {
  const memory = new SparseMemory().back(POOL.base, POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const iommu = new Iommu(smmuv3Plugin(), { memory, allocator: new PoolAllocator(memory, POOL.base, POOL.size) });
  const smmu = smmuv3Of(iommu);
  const domain = iommu.createDomain('nesting');
  domain.map(GUEST_RAM.base, GUEST_RAM_HPA, GUEST_RAM.size, { read: true, write: true, exec: true });
  iommu.attachDevice(domain, SMMU_SID);
  const guestMemory = new TranslatedMemory(memory, (gpa) => domain.iovaToPhys(gpa));
  const data = GUEST_RAM.base + GUEST_RAM.size / 2;
  const guest = new SmmuV3GuestDriver({
    memory: guestMemory,
    allocator: new PoolAllocator(guestMemory, GUEST_RAM.base, GUEST_RAM.size / 2),
    caps: smmu.driver.caps,
    pasidBits: 3,
    invalidation: genericGuestInvalidation(domain, SMMU_SID),
  });
  for (const ssid of [0, 1, 2]) guest.attachPasid(ssid);
  guest.map(0, 0x10_0000, data, 0x2000, { read: true, write: true, user: true });
  guest.map(1, 0x20_0000, data + 0x2000, 0x1000, { read: true, write: false, user: true });
  guest.map(2, 0x4000_0000, data, 0x20_0000, { read: true, write: true, user: true }); // a 2 MiB block
  iommu.bindPasidTable(domain, SMMU_SID, guest.pasidTableConfig({ pasid0DmaNoPasid: true }));
  const reg = (offset: number, size: 4 | 8) => smmu.model.readRegister(offset, size);
  const registers = {
    strtabBase: reg(SmmuReg.STRTAB_BASE, 8),
    strtabBaseCfg: reg(SmmuReg.STRTAB_BASE_CFG, 4),
    idr0: reg(SmmuReg.IDR0, 4),
    idr1: reg(SmmuReg.IDR1, 4),
    idr5: reg(SmmuReg.IDR5, 4),
  };
  const r = (sid: number, pasid: number | undefined, iova: bigint, access: CliRequest['access'] = 'read', privileged = false): CliRequest => ({ sid, pasid, iova, access, privileged });
  const requests: CliRequest[] = [
    r(SMMU_SID, undefined, 0x10_0008n),
    r(SMMU_SID, undefined, 0x10_1ff8n, 'write'),
    r(SMMU_SID, 1, 0x20_0010n),
    r(SMMU_SID, 1, 0x20_0010n, 'write'),
    r(SMMU_SID, 2, 0x4012_3450n, 'write', true),
    r(SMMU_SID, 2, 0x4020_0000n),
    r(SMMU_SID, 0, 0x10_0000n),
    r(SMMU_SID, 7, 0x10_0000n),
    r(SMMU_SID, 1, 0xffff_8000_0000_0000n),
    r(SMMU_SID + 1, undefined, 0x1000n),
    r(0xffff, undefined, 0x1000n),
  ];
  /** The library's own answer: the SMMU model over the same memory, caches off. */
  const answer = (q: CliRequest) =>
    smmu.model.translate(
      { streamId: q.sid, substreamId: q.pasid, address: q.iova, access: (q.access === 'write' ? 2 : q.access === 'exec' ? 4 : 1) | (q.privileged ? 8 : 0) },
      { uncached: true },
    );
  return { memory, registers, requests, answer, rawBase: SMMU_HOST_BASE, rawSize: 0x80_0000 };
}
