/**
 * VT-d hosts built with this project's driver code, laid out compactly so host memory dumps as an 8 MiB raw
 * image: scalable mode with a guest PASID table bound (nested first level over second level), and legacy mode
 * with a paging domain (context entry → second level). For testing `viommu translate` against the library.
 */
import { Iommu, PoolAllocator, SparseMemory, TranslatedMemory } from '@viommu/core';
import { VtdGuestDriver, VtdRegister, vtdPlugin, type VtdIommu } from '@viommu/intel-vtd';
import type { CliRequest } from '../../src/translate/request';

export const VTD_HOST_BASE = 0x100_0000;
const POOL = { base: VTD_HOST_BASE, size: 0x40_0000 };
const GUEST_RAM = { base: 0x8000_0000, size: 0x40_0000 };
const GUEST_RAM_HPA = VTD_HOST_BASE + 0x40_0000;
export const VTD_SID = 0x0398;

const r = (sid: number, pasid: number | undefined, iova: bigint, access: CliRequest['access'] = 'read', privileged = false): CliRequest => ({ sid, pasid, iova, access, privileged });

function registers(vtd: VtdIommu) {
  return { rtaddr: vtd.model.readRegister(VtdRegister.RTADDR, 8), cap: vtd.model.cap, ecap: vtd.model.ecap };
}

function answerOf(vtd: VtdIommu) {
  return (q: CliRequest) =>
    vtd.model.translate({ sourceId: q.sid, pasid: q.pasid, address: q.iova, access: (q.access === 'write' ? 2 : q.access === 'exec' ? 4 : 1) | (q.privileged ? 8 : 0) }, { uncached: true });
}

/** Scalable mode, nested: the guest's PASID table bound through bindPasidTable. */
export function buildScalableVtdHost() {
  const memory = new SparseMemory().back(POOL.base, POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const iommu = new Iommu(vtdPlugin(), { memory, allocator: new PoolAllocator(memory, POOL.base, POOL.size) });
  const vtd = iommu.vendor as VtdIommu;
  const domain = iommu.createDomain('nesting');
  domain.map(GUEST_RAM.base, GUEST_RAM_HPA, GUEST_RAM.size, { read: true, write: true, exec: true });
  iommu.attachDevice(domain, VTD_SID);
  const guestMemory = new TranslatedMemory(memory, (gpa) => domain.iovaToPhys(gpa));
  const data = GUEST_RAM.base + GUEST_RAM.size / 2;
  const guest = new VtdGuestDriver({
    memory: guestMemory,
    allocator: new PoolAllocator(guestMemory, GUEST_RAM.base, GUEST_RAM.size / 2),
    caps: vtd.guestCapabilities,
    pasidBits: 8,
    addressBits: vtd.capabilities.inputBits,
    invalidate: (info) => iommu.cacheInvalidate(domain, VTD_SID, info),
  });
  guest.setupFirstLevel(0, {});
  guest.setupFirstLevel(3, { sre: true });
  guest.map(0, 0x10_0000, data, 0x2000, { read: true, write: true, user: true });
  guest.map(3, 0x7f00_0000, data + 0x2000, 0x1000, { read: true, write: false, user: true });
  guest.map(3, 0x4000_0000, data, 0x20_0000, { read: true, write: true, user: false });
  iommu.bindPasidTable(domain, VTD_SID, guest.config(0));
  const requests = [
    r(VTD_SID, undefined, 0x10_0008n),
    r(VTD_SID, 0, 0x10_1ff8n, 'write'),
    r(VTD_SID, 3, 0x7f00_0010n),
    r(VTD_SID, 3, 0x7f00_0010n, 'write'),
    r(VTD_SID, 3, 0x4012_3450n, 'write', true),
    r(VTD_SID, 3, 0x4012_3450n),
    r(VTD_SID, 0, 0x10_0000n, 'read', true),
    r(VTD_SID, 9, 0x10_0000n),
    r(VTD_SID, 3, 0xffff_8000_0000_0000n),
    r(VTD_SID, 3, 0x0000_8000_0000_0000n),
    r(VTD_SID + 1, undefined, 0x1000n),
  ];
  return { memory, registers: registers(vtd), requests, answer: answerOf(vtd), rawBase: VTD_HOST_BASE, rawSize: 0x80_0000 };
}

/** Legacy mode: a paging domain (context entry TT = 0 → second level). */
export function buildLegacyVtdHost() {
  const memory = new SparseMemory().back(POOL.base, POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const iommu = new Iommu(vtdPlugin({ legacy: true }), { memory, allocator: new PoolAllocator(memory, POOL.base, POOL.size) });
  const vtd = iommu.vendor as VtdIommu;
  const domain = iommu.createDomain('paging');
  domain.map(0x20_0000, GUEST_RAM_HPA, 0x20_0000, { read: true, write: true });
  domain.map(0x4000_0000, GUEST_RAM_HPA + 0x20_0000, 0x1000, { read: true });
  iommu.attachDevice(domain, VTD_SID);
  const requests = [
    r(VTD_SID, undefined, 0x20_0008n),
    r(VTD_SID, undefined, 0x3f_fff8n, 'write'),
    r(VTD_SID, undefined, 0x4000_0010n),
    r(VTD_SID, undefined, 0x4000_0010n, 'write'),
    r(VTD_SID, undefined, 0x5000_0000n),
    r(VTD_SID, 5, 0x20_0000n),
    r(VTD_SID + 1, undefined, 0x1000n),
  ];
  return { memory, registers: registers(vtd), requests, answer: answerOf(vtd), rawBase: VTD_HOST_BASE, rawSize: 0x80_0000 };
}
