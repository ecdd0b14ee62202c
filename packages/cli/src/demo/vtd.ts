/**
 * The VT-d half of `viommu demo`: a host VT-d unit in scalable mode with a nesting domain (second level over
 * guest RAM), a guest vIOMMU driver that writes its own PASID directory, PASID entries and first-level tables
 * into guest memory, a bind through the generic API (the guest table is read through the second level and
 * shadowed into host PASID entries with PGTT = nested), a refused bind of the wrong model, DMA with and
 * without PASID (RID_PASID), and one fault of each kind.
 */
import { Iommu, IommuModel, PoolAllocator, SparseMemory, TranslatedMemory, isIommuError } from '@viommu/core';
import { VtdGuestDriver, vtdPlugin, type VtdIommu } from '@viommu/intel-vtd';
import { toHex } from '../hex';
import { jsonSafe, runDemoRequest, type DemoRequest, type DemoRequestSpec, type DemoVendorReport } from './report';

const HOST_POOL = { base: 0x100_0000, size: 0x100_0000 };
const GUEST_RAM = { base: 0x8000_0000, size: 0x100_0000 };
const GUEST_RAM_HPA = 0x4000_0000;
const GUEST_DATA = GUEST_RAM.base + 0x80_0000;
/** Bus 3, device 0x13, function 0. */
const SID = 0x0398;

/** Runs the VT-d demo and returns its report. */
export function runVtdDemo(): DemoVendorReport {
  const memory = new SparseMemory().back(HOST_POOL.base, HOST_POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const iommu = new Iommu(vtdPlugin(), { memory, allocator: new PoolAllocator(memory, HOST_POOL.base, HOST_POOL.size) });
  const vtd = iommu.vendor as VtdIommu;
  const domain = iommu.createDomain('nesting');
  domain.map(GUEST_RAM.base, GUEST_RAM_HPA, GUEST_RAM.size, { read: true, write: true, exec: true });
  iommu.attachDevice(domain, SID);

  // The guest vIOMMU driver: its own PASID directory, PASID entries and first-level tables in guest memory.
  const guestMemory = new TranslatedMemory(memory, (gpa) => domain.iovaToPhys(gpa));
  const guest = new VtdGuestDriver({
    memory: guestMemory,
    allocator: new PoolAllocator(guestMemory, GUEST_RAM.base, GUEST_DATA - GUEST_RAM.base),
    caps: vtd.guestCapabilities,
    pasidBits: 8,
    addressBits: vtd.capabilities.inputBits,
    invalidate: (info) => iommu.cacheInvalidate(domain, SID, info),
  });
  guest.setupFirstLevel(0, {});
  guest.setupFirstLevel(1, { sre: true, wpe: true });
  guest.setupFirstLevel(5, {});
  guest.map(0, 0x10_0000, GUEST_DATA, 0x4000, { read: true, write: true, user: true });
  guest.map(1, 0x7f00_0000, GUEST_DATA + 0x10_0000, 0x2000, { read: true, write: true, user: true });
  guest.map(1, 0x7f10_0000, GUEST_DATA + 0x11_0000, 0x1000, { read: true, write: false, user: true });
  guest.map(1, 0x4000_0000, GUEST_DATA + 0x20_0000, 0x20_0000, { read: true, write: true, user: false });
  guest.map(5, 0x10_0000, GUEST_DATA + 0x40_0000, 0x1000, { read: true, write: true, user: true });

  const setup = [
    `host: VT-d (CAP ${toHex(vtd.model.cap)}, ECAP ${toHex(vtd.model.ecap)}), scalable mode, RTADDR ${toHex(vtd.model.readRegister(0x20, 8))}`,
    `nesting domain: second level maps guest RAM GPA ${toHex(GUEST_RAM.base)}–${toHex(GUEST_RAM.base + GUEST_RAM.size - 1)} → HPA ${toHex(GUEST_RAM_HPA)}`,
    `device: source-id ${toHex(SID)} (bus 3, dev 0x13, fn 0) attached (RID_PASID entry: second level only)`,
    `guest: PASID directory at GPA ${toHex(guest.directory)}, first-level PASIDs 0, 1 (SRE, WPE), 5; first-level tables in guest RAM`,
  ];

  const good = guest.config(0);
  const wrong = { ...good, model: IommuModel.ARM_SMMUV3, vendor: undefined };
  let refused = { code: 'none', message: 'accepted?!' };
  try {
    iommu.bindPasidTable(domain, SID, wrong);
  } catch (e) {
    refused = isIommuError(e) ? { code: e.code, message: e.message } : { code: 'error', message: String(e) };
  }
  iommu.bindPasidTable(domain, SID, good);
  const installed = [
    'guest PASID entries read through the second level and shadowed into host PASID entries with PGTT = 3 (nested): FLPTPTR = the guest first-level root (a GPA), SLPTPTR / AW / DID from the nesting domain',
    'requests without PASID use RID_PASID = guest PASID 0',
  ];

  const run = (label: string, spec: Omit<DemoRequestSpec, 'sid'>): DemoRequest => runDemoRequest(iommu, SID, 'fault-record', label, spec);

  const requests = [
    run('DMA without PASID: RID_PASID → guest PASID 0', { pasid: undefined, iova: 0x10_0abc, access: 'read', privileged: false }),
    run('PASID 1, a user write', { pasid: 1, iova: 0x7f00_1010, access: 'write', privileged: false }),
    run('PASID 1, a supervisor write to a supervisor 2 MiB page (SRE, WPE)', { pasid: 1, iova: 0x4012_3400, access: 'write', privileged: true }),
    run('PASID 5: same GVA as PASID 0, another address space', { pasid: 5, iova: 0x10_0abc, access: 'read', privileged: false }),
  ];

  const faults: DemoRequest[] = [];
  faults.push(run('first-level entry not present: a GVA the guest never mapped', { pasid: 1, iova: 0x1234_5000, access: 'read', privileged: false }));
  faults.push(run('write to a read-only page', { pasid: 1, iova: 0x7f10_0000, access: 'write', privileged: false }));
  faults.push(run('user request to a supervisor page (U/S = 0)', { pasid: 1, iova: 0x4000_0000, access: 'read', privileged: false }));
  faults.push(run('supervisor request on a PASID without SRE', { pasid: 5, iova: 0x10_0000, access: 'read', privileged: true }));
  faults.push(run('non-canonical address for 4-level paging', { pasid: 1, iova: 0x8000_0000_0000, access: 'read', privileged: false }));
  faults.push(run('PASID entry not present: PASID 9 was never set up', { pasid: 9, iova: 0x10_0000, access: 'read', privileged: false }));
  // The host takes away the second-level page holding PASID 5's first-level root (FLPTPTR, a GPA).
  const root5 = guest.pageTable(5).root;
  domain.unmap(root5, 0x1000);
  faults.push(run('second-level fault while fetching a first-level table (nested)', { pasid: 5, iova: 0x10_0000, access: 'read', privileged: false }));
  domain.map(root5, GUEST_RAM_HPA + (root5 - GUEST_RAM.base), 0x1000, { read: true, write: true, exec: true });
  domain.unmap(GUEST_DATA, 0x1000);
  faults.push(run('second-level fault on the output GPA', { pasid: undefined, iova: 0x10_0000, access: 'read', privileged: false }));

  return {
    vendor: 'intel-vtd',
    title: 'Intel VT-d — scalable mode, guest PASID table shadowed as nested PASID entries',
    setup,
    bind: { config: jsonSafe(good) as Record<string, unknown>, installed },
    refused: { config: jsonSafe(wrong) as Record<string, unknown>, ...refused },
    requests,
    faults,
  };
}
