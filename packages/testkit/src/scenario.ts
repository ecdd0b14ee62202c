/**
 * The contract between the conformance suite and a vendor's test file: the vendor builds a complete nested
 * scenario (host, IOMMU, nesting domain with stage 2, a guest that wrote its own PASID/CD table and page
 * tables) and tells the suite what memory is whose.
 * @packageDocumentation
 */
import type { Domain, Iommu, MapProt, PasidTableConfig, PhysicalMemory, SparseMemory, TracingMemory, VendorPlugin } from '@viommu/core';

/** A byte range `[base, base + size)`. */
export interface MemoryRange {
  /** First byte. */
  base: number;
  /** Length in bytes. */
  size: number;
}

/** What the suite gives a scenario factory. */
export interface ScenarioEnv {
  /** Host physical memory to build everything in: the suite records accesses through it. */
  readonly memory: TracingMemory;
  /** The sparse store under {@link ScenarioEnv.memory}: back the ranges you use. */
  readonly sparse: SparseMemory;
  /** Deterministic random numbers in [0, 1) for the scenario's own choices. */
  readonly random: () => number;
}

/** One guest mapping the scenario made: GVA → GPA for a PASID (undefined: requests without PASID). */
export interface GuestMapping {
  /** PASID / SubstreamID, or undefined for DMA without PASID. */
  pasid: number | undefined;
  /** Guest virtual address. */
  gva: number;
  /** Guest physical address. */
  gpa: number;
  /** Bytes mapped. */
  size: number;
  /** Mapped writable. */
  write: boolean;
}

/** Guest-driver operations, for the coherence property. */
export interface GuestDriver {
  /** Edits the guest's stage-1 tables to map a range (no invalidation). */
  map(pasid: number | undefined, gva: number, gpa: number, size: number, prot: MapProt): void;
  /** Edits the guest's stage-1 tables to unmap a range (no invalidation). */
  unmap(pasid: number | undefined, gva: number, size: number): void;
  /** Issues the invalidation a correct guest driver issues after editing that range. */
  invalidate(pasid: number | undefined, gva: number, size: number): void;
}

/** A built scenario: everything attached and mapped, the guest's table written, **not yet bound**. */
export interface Scenario {
  /** The IOMMU under test (generic API). */
  readonly iommu: Iommu;
  /** A nesting domain holding the guest's stage 2. */
  readonly domain: Domain;
  /** The device (StreamID / source-id) attached to the domain. */
  readonly device: number;
  /** A valid config binding the guest's table. */
  readonly config: PasidTableConfig;
  /** Host ranges the IOMMU owns (stream table, STEs, stage-2 tables, host PASID tables, queues). */
  readonly hostOwned: readonly MemoryRange[];
  /** Host ranges backing guest RAM: the stage-2 image of the guest. */
  readonly guestImage: readonly MemoryRange[];
  /** Guest RAM in guest-physical addresses, where the guest's tables live. */
  readonly guestRam: MemoryRange;
  /** The guest's physical memory (a view through stage 2). */
  readonly guestMemory: PhysicalMemory;
  /** Mappings the guest made. */
  readonly mappings: readonly GuestMapping[];
  /** PASIDs the guest set up (undefined = DMA without PASID). */
  readonly pasids: readonly (number | undefined)[];
  /** The guest driver, for coherence tests. */
  readonly guest: GuestDriver;
}

/** Options of {@link runConformanceSuite}. */
export interface ConformanceOptions {
  /** Name shown in the test titles. */
  name: string;
  /** The plugin under test. */
  plugin: VendorPlugin;
  /** An `IommuModel` number of another vendor, for the model-mismatch check. */
  foreignModelId: number;
  /** Builds a fresh scenario. */
  createScenario(env: ScenarioEnv): Scenario;
  /** Runs per property (default 60; the fuzz soak raises it). */
  numRuns?: number;
  /** fast-check seed (default: `VIOMMU_SEED` from the environment, else a fixed 0x5eed). Printed on failure. */
  seed?: number;
}
