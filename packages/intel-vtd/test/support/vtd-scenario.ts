/**
 * A complete VT-d nested scenario built with this package's own driver code: a host with a VT-d IOMMU (the
 * plugin's model + host driver), a nesting domain whose second level maps guest RAM, one device attached,
 * and a guest that wrote its scalable-mode PASID table and first-level tables with {@link VtdGuestDriver}
 * into its memory view (GPA → HPA through the second level). Not yet bound.
 */
import { Iommu, PoolAllocator, SparseMemory, TracingMemory, TranslatedMemory, type Domain, type MapProt, type PhysicalMemory, type VendorPlugin } from '@viommu/core';
import type { GuestMapping, MemoryRange, Scenario, ScenarioEnv } from '@viommu/testkit';
import { firstLevelProt, VtdGuestDriver, vtdPlugin, type GuestFirstLevelOptions, type VtdIommu, type VtdPluginOptions } from '../../src/driver/index';

/** Host pool for every host-owned structure (root/context/PASID tables, second level, queue, status word). */
export const HOST_POOL: MemoryRange = { base: 0x100_0000, size: 0x100_0000 };
/** Host RAM backing guest RAM. */
export const GUEST_RAM_HPA = 0x4000_0000;
/** Guest RAM in guest-physical addresses. */
export const GUEST_RAM: MemoryRange = { base: 0x8000_0000, size: 0x100_0000 };
/** The device: bus 3, devfn 0x98 (an upper-half devfn, so the upper context table is exercised). */
export const DEVICE = 0x0398;
/** PASID bits of the guest's table. */
export const GUEST_PASID_BITS = 8;

/** One guest PASID the scenario sets up. */
export interface GuestPasidSpec {
  /** The PASID. */
  pasid: number;
  /** Its first-level options. */
  options: GuestFirstLevelOptions;
}

/** The PASIDs the standard scenario sets up: 0 (also requests without PASID), 1 (SRE, WPE), 5, 70 (second directory entry, EAFE). */
export const STANDARD_PASIDS: readonly GuestPasidSpec[] = [
  { pasid: 0, options: {} },
  { pasid: 1, options: { sre: true, wpe: true } },
  { pasid: 5, options: {} },
  { pasid: 70, options: { eafe: true } },
];

/** A built VT-d scenario: the testkit's view plus the VT-d objects behind it. */
export interface VtdScenario extends Scenario {
  /** The VT-d vendor instance. */
  readonly vtd: VtdIommu;
  /** The guest's driver. */
  readonly guestDriver: VtdGuestDriver;
  /** The nesting domain. */
  readonly domain: Domain;
  /** Guest PASID used for requests without PASID. */
  readonly ridPasid: number;
}

/** Options of {@link buildVtdScenario}. */
export interface VtdScenarioOptions {
  /** The plugin (default `vtdPlugin()`). */
  plugin?: VendorPlugin;
  /** Plugin options when `plugin` is not given. */
  pluginOptions?: VtdPluginOptions;
  /** Guest PASIDs (default {@link STANDARD_PASIDS}). */
  pasids?: readonly GuestPasidSpec[];
  /** Guest PASID for requests without PASID (default 0). */
  ridPasid?: number;
}

/** Builds the scenario in `env` (the testkit's traced host memory). */
export function buildVtdScenario(env: ScenarioEnv, options: VtdScenarioOptions = {}): VtdScenario {
  env.sparse.back(HOST_POOL.base, HOST_POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const plugin = options.plugin ?? vtdPlugin(options.pluginOptions);
  const allocator = new PoolAllocator(env.memory, HOST_POOL.base, HOST_POOL.size);
  const iommu = new Iommu(plugin, { memory: env.memory, allocator });
  const vtd = iommu.vendor as VtdIommu;
  const domain = iommu.createDomain('nesting');
  domain.map(GUEST_RAM.base, GUEST_RAM_HPA, GUEST_RAM.size, { read: true, write: true, exec: true });
  iommu.attachDevice(domain, DEVICE);
  const guestMemory: PhysicalMemory = new TranslatedMemory(env.memory, (gpa) => domain.iovaToPhys(gpa));
  const guestAlloc = new PoolAllocator(guestMemory, GUEST_RAM.base, GUEST_RAM.size / 2);
  const guestDriver = new VtdGuestDriver({
    memory: guestMemory,
    allocator: guestAlloc,
    caps: vtd.guestCapabilities,
    pasidBits: GUEST_PASID_BITS,
    addressBits: vtd.capabilities.inputBits,
    invalidate: (info) => iommu.cacheInvalidate(domain, DEVICE, info),
  });
  const ridPasid = options.ridPasid ?? 0;
  const specs = options.pasids ?? STANDARD_PASIDS;
  for (const spec of specs) guestDriver.setupFirstLevel(spec.pasid, spec.options);
  const dataBase = GUEST_RAM.base + GUEST_RAM.size / 2;
  const mappings: GuestMapping[] = [];
  specs.forEach((spec, i) => {
    const m: GuestMapping = { pasid: spec.pasid, gva: 0x10_0000 * (i + 1), gpa: dataBase + 0x10_0000 * i, size: 0x4000, write: true };
    guestDriver.map(spec.pasid, m.gva, m.gpa, m.size, { read: true, write: true, user: true });
    mappings.push(m);
  });
  if (specs.some((s) => s.pasid === ridPasid)) {
    // Requests without PASID use the RID_PASID guest PASID: a mapping of its own, at a 2 MiB page.
    const m: GuestMapping = { pasid: undefined, gva: 0x4000_0000, gpa: dataBase + 0x40_0000, size: 0x20_0000, write: true };
    guestDriver.map(ridPasid, m.gva, m.gpa, m.size, { read: true, write: true, user: true });
    mappings.push(m);
  }
  const pick = (p: number | undefined) => p ?? ridPasid;
  return {
    iommu,
    vtd,
    domain,
    device: DEVICE,
    config: guestDriver.config(ridPasid),
    hostOwned: [HOST_POOL],
    guestImage: [{ base: GUEST_RAM_HPA, size: GUEST_RAM.size }],
    guestRam: GUEST_RAM,
    guestMemory,
    mappings,
    pasids: [...specs.map((s) => s.pasid), ...(specs.some((s) => s.pasid === ridPasid) ? [undefined] : [])],
    guestDriver,
    ridPasid,
    guest: {
      map: (p, gva, gpa, size, prot: MapProt) => guestDriver.pageTable(pick(p)).map(gva, gpa, size, firstLevelProt(prot)),
      unmap: (p, gva, size) => void guestDriver.pageTable(pick(p)).unmap(gva, size),
      invalidate: (p, gva, size) => guestDriver.invalidateRange(pick(p), gva, size),
    },
  };
}

/** A fresh scenario in new, untraced memory (for tests that do not go through the testkit). */
export function freshVtdScenario(options: VtdScenarioOptions = {}): VtdScenario & { sparse: SparseMemory } {
  const sparse = new SparseMemory();
  const memory = new TracingMemory(sparse);
  memory.enabled = false;
  const env: ScenarioEnv = { memory, sparse, random: () => 0.5 };
  return { ...buildVtdScenario(env, options), sparse };
}
