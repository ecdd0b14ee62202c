/**
 * Test fixtures: a host with an SMMUv3 behind the generic API, a nesting domain mapping guest RAM, and a
 * guest driver writing its CD table and stage-1 tables into guest memory seen through stage 2.
 */
import { Iommu, PoolAllocator, SparseMemory, TranslatedMemory, type Domain, type PhysicalMemory } from '@viommu/core';
import {
  SmmuV3GuestDriver,
  createViommu,
  genericGuestInvalidation,
  nativeGuestInvalidation,
  smmuv3Of,
  smmuv3Plugin,
  type CdTableFormatChoice,
  type SmmuV3Iommu,
  type SmmuV3PluginOptions,
  type SmmuV3Viommu,
} from '../../src/index';

/** Host pool for SMMU-owned structures. */
export const HOST_POOL = { base: 0x100_0000, size: 0x100_0000 };
/** Where guest RAM lives in host memory. */
export const GUEST_RAM_HPA = 0x1000_0000;
/** Guest RAM in guest-physical addresses. */
export const GUEST_RAM = { base: 0x4000_0000, size: 0x100_0000 };
/** Guest data pages start here (upper half of guest RAM); tables use the lower half. */
export const GUEST_DATA = GUEST_RAM.base + GUEST_RAM.size / 2;

/** A host: memory, the generic IOMMU and its SMMUv3 instance. */
export interface Host {
  memory: PhysicalMemory;
  sparse: SparseMemory;
  allocator: PoolAllocator;
  iommu: Iommu;
  smmu: SmmuV3Iommu;
}

/** Builds a host over `memory` (a fresh sparse memory by default). */
export function buildHost(options: SmmuV3PluginOptions = {}, sparse = new SparseMemory(), memory: PhysicalMemory = sparse): Host {
  sparse.back(HOST_POOL.base, HOST_POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const allocator = new PoolAllocator(memory, HOST_POOL.base, HOST_POOL.size);
  const iommu = new Iommu(smmuv3Plugin(options), { memory, allocator });
  return { memory, sparse, allocator, iommu, smmu: smmuv3Of(iommu) };
}

/** A guest on a nesting domain. */
export interface NestedGuest extends Host {
  domain: Domain;
  device: number;
  guestMemory: TranslatedMemory;
  guestAllocator: PoolAllocator;
  guest: SmmuV3GuestDriver;
  viommu: SmmuV3Viommu | undefined;
  vsid: number;
}

/** Options of {@link buildNestedGuest}. */
export interface NestedGuestOptions {
  /** Invalidation path: generic cacheInvalidate (bind path) or native commands through a vIOMMU (iommufd path). */
  path?: 'generic' | 'native';
  pasidBits?: number;
  cdTableFormat?: CdTableFormatChoice;
  device?: number;
  vsid?: number;
  plugin?: SmmuV3PluginOptions;
  sparse?: SparseMemory;
  memory?: PhysicalMemory;
}

/** Builds a host, a nesting domain mapping guest RAM (GPA → HPA), attaches the device and creates the guest driver. */
export function buildNestedGuest(options: NestedGuestOptions = {}): NestedGuest {
  const sparse = options.sparse ?? new SparseMemory();
  const host = buildHost(options.plugin, sparse, options.memory ?? sparse);
  const domain = host.iommu.createDomain('nesting');
  domain.map(GUEST_RAM.base, GUEST_RAM_HPA, GUEST_RAM.size, { read: true, write: true, exec: true });
  const device = options.device ?? 0x123;
  const vsid = options.vsid ?? 7;
  host.iommu.attachDevice(domain, device);
  const guestMemory = new TranslatedMemory(host.memory, (gpa) => domain.iovaToPhys(gpa));
  const guestAllocator = new PoolAllocator(guestMemory, GUEST_RAM.base, GUEST_RAM.size / 2);
  let viommu: SmmuV3Viommu | undefined;
  let invalidation;
  if (options.path === 'native') {
    viommu = createViommu(domain);
    viommu.addDevice(vsid, device);
    const v = viommu;
    invalidation = nativeGuestInvalidation(vsid, (cmds) => v.invalidateGuestCommands(cmds), host.smmu.driver.rangeInvalidation);
  } else {
    invalidation = genericGuestInvalidation(domain, device);
  }
  const guest = new SmmuV3GuestDriver({
    memory: guestMemory,
    allocator: guestAllocator,
    caps: host.smmu.driver.caps,
    pasidBits: options.pasidBits ?? 4,
    ...(options.cdTableFormat ? { cdTableFormat: options.cdTableFormat } : {}),
    invalidation,
  });
  return { ...host, domain, device, guestMemory, guestAllocator, guest, viommu, vsid };
}
