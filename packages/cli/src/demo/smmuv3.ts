/**
 * The SMMUv3 half of `viommu demo`: a host SMMUv3 with a nesting domain (stage 2 over guest RAM), a guest
 * that builds its own CD table and stage-1 tables with this project's driver code in guest memory, a bind
 * through the generic API (and a refused one of the wrong model), DMA with and without a SubstreamID, and one
 * fault of each kind.
 */
import { Iommu, IommuModel, PoolAllocator, SparseMemory, TranslatedMemory, isIommuError } from '@viommu/core';
import { SmmuV3GuestDriver, STE, genericGuestInvalidation, smmuv3Of, smmuv3Plugin } from '@viommu/arm-smmuv3';
import { toHex } from '../hex';
import { jsonSafe, runDemoRequest, type DemoRequest, type DemoRequestSpec, type DemoVendorReport } from './report';

const HOST_POOL = { base: 0x100_0000, size: 0x80_0000 };
const GUEST_RAM = { base: 0x4000_0000, size: 0x100_0000 };
const GUEST_RAM_HPA = 0x800_0000;
const GUEST_DATA = GUEST_RAM.base + 0x80_0000;
const SID = 0x10;

/** Runs the SMMUv3 demo and returns its report. */
export function runSmmuv3Demo(): DemoVendorReport {
  const memory = new SparseMemory().back(HOST_POOL.base, HOST_POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const iommu = new Iommu(smmuv3Plugin(), { memory, allocator: new PoolAllocator(memory, HOST_POOL.base, HOST_POOL.size) });
  const smmu = smmuv3Of(iommu);
  const domain = iommu.createDomain('nesting');
  domain.map(GUEST_RAM.base, GUEST_RAM_HPA, GUEST_RAM.size, { read: true, write: true, exec: true });
  iommu.attachDevice(domain, SID);

  // The guest: its own CD table and stage-1 tables, written by the same driver code into guest memory.
  const guestMemory = new TranslatedMemory(memory, (gpa) => domain.iovaToPhys(gpa));
  const guest = new SmmuV3GuestDriver({
    memory: guestMemory,
    allocator: new PoolAllocator(guestMemory, GUEST_RAM.base, GUEST_DATA - GUEST_RAM.base),
    caps: smmu.driver.caps,
    pasidBits: 4,
    invalidation: genericGuestInvalidation(domain, SID),
  });
  for (const ssid of [0, 1, 5, 9]) guest.attachPasid(ssid);
  guest.map(0, 0x10_0000, GUEST_DATA, 0x4000, { read: true, write: true, user: true });
  guest.map(1, 0x7f00_0000, GUEST_DATA + 0x10_0000, 0x2000, { read: true, write: true, user: true });
  guest.map(1, 0x7f20_0000, GUEST_DATA + 0x20_0000, 0x20_0000, { read: true, write: false, user: true });
  guest.map(5, 0x40_0000, GUEST_DATA + 0x40_0000, 0x1000, { read: true, write: false, user: true });
  guest.map(9, 0x40_0000, GUEST_DATA + 0x50_0000, 0x1000, { read: true, write: true, user: true });

  const setup = [
    `host: SMMUv3 (IDR0 ${toHex(smmu.model.readRegister(0x0, 4))}, IDR1 ${toHex(smmu.model.readRegister(0x4, 4))}, IDR5 ${toHex(smmu.model.readRegister(0x14, 4))}), STRTAB_BASE ${toHex(smmu.model.readRegister(0x80, 8))}`,
    `nesting domain: stage 2 maps guest RAM GPA ${toHex(GUEST_RAM.base)}–${toHex(GUEST_RAM.base + GUEST_RAM.size - 1)} → HPA ${toHex(GUEST_RAM_HPA)}`,
    `device: StreamID ${toHex(SID)} attached (STE Config = stage 2 only)`,
    `guest: CD table at GPA ${toHex(guest.cdTable.base)} (${guest.cdTable.format}), CDs for SubstreamIDs 0, 1, 5, 9, stage-1 tables in guest RAM`,
  ];

  // The wrong model is refused before anything changes.
  const good = guest.pasidTableConfig({ pasid0DmaNoPasid: true });
  const wrong = { ...good, model: IommuModel.INTEL_VTD, vendor: undefined };
  let refused = { code: 'none', message: 'accepted?!' };
  try {
    iommu.bindPasidTable(domain, SID, wrong);
  } catch (e) {
    refused = isIommuError(e) ? { code: e.code, message: e.message } : { code: 'error', message: String(e) };
  }
  iommu.bindPasidTable(domain, SID, good);
  const ste = STE.decode(smmu.steOf(SID));
  const installed = [
    `STE: Config ${Number(ste.Config).toString(2)} (nested), S1ContextPtr ${toHex(ste.S1ContextPtr)} (an IPA), S1CDMax ${ste.S1CDMax}, S1Fmt ${ste.S1Fmt}, S1DSS ${ste.S1DSS} (substream0: DMA without a SubstreamID uses CD 0), S2VMID ${ste.S2VMID}`,
  ];

  const run = (label: string, spec: Omit<DemoRequestSpec, 'sid'>): DemoRequest => runDemoRequest(iommu, SID, 'event', label, spec);

  const requests = [
    run('DMA without a SubstreamID: CD 0 (pasid0_dma_no_pasid)', { pasid: undefined, iova: 0x10_0123, access: 'read', privileged: false }),
    run('SubstreamID 1, a write through a 4 KiB page', { pasid: 1, iova: 0x7f00_1008, access: 'write', privileged: false }),
    run('SubstreamID 1, a read inside a 2 MiB block', { pasid: 1, iova: 0x7f23_4560, access: 'read', privileged: false }),
    run('SubstreamID 5: same GVA as SubstreamID 9, another address space', { pasid: 5, iova: 0x40_0010, access: 'read', privileged: false }),
    run('SubstreamID 9: same GVA, its own page', { pasid: 9, iova: 0x40_0010, access: 'read', privileged: false }),
  ];

  const faults: DemoRequest[] = [];
  faults.push(run('stage-1 translation fault: a GVA the guest never mapped', { pasid: 1, iova: 0x1234_5000, access: 'read', privileged: false }));
  faults.push(run('stage-1 permission fault: a write to a read-only block', { pasid: 1, iova: 0x7f20_0000, access: 'write', privileged: false }));
  faults.push(run('F_STREAM_DISABLED: SubstreamID 0 is reserved for DMA without one (S1DSS = substream0)', { pasid: 0, iova: 0x10_0000, access: 'read', privileged: false }));
  faults.push(run('C_BAD_SUBSTREAMID: SubstreamID beyond S1CDMax', { pasid: 16, iova: 0x10_0000, access: 'read', privileged: false }));
  guest.detachPasid(9);
  faults.push(run('C_BAD_CD: the guest cleared CD 9 (V = 0)', { pasid: 9, iova: 0x40_0000, access: 'read', privileged: false }));
  // The host takes away the stage-2 page holding SubstreamID 5's stage-1 root: the walk faults at stage 2
  // while fetching a stage-1 table (CLASS = TT), with the descriptor's IPA.
  const root5 = guest.context(5)!.table.builder.root;
  domain.unmap(root5, 0x1000);
  faults.push(run('stage-2 fault on a stage-1 table fetch: the host unmapped the page of a guest table', { pasid: 5, iova: 0x40_0010, access: 'read', privileged: false }));
  domain.map(root5, GUEST_RAM_HPA + (root5 - GUEST_RAM.base), 0x1000, { read: true, write: true, exec: true });
  domain.unmap(GUEST_DATA + 0x10_0000, 0x1000);
  faults.push(run('stage-2 fault on the output: the host unmapped the target page (CLASS = IN)', { pasid: 1, iova: 0x7f00_0000, access: 'read', privileged: false }));

  return {
    vendor: 'arm-smmuv3',
    title: 'ARM SMMUv3 — nested translation, CD table bound with pasid0_dma_no_pasid',
    setup,
    bind: { config: jsonSafe(good) as Record<string, unknown>, installed },
    refused: { config: jsonSafe(wrong) as Record<string, unknown>, ...refused },
    requests,
    faults,
  };
}
