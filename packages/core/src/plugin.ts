/**
 * The VendorPlugin contract: everything core needs from a vendor (Intel VT-d, ARM SMMUv3, or the next one)
 * and nothing more. A plugin is a factory for {@link VendorIommu} instances; an instance is one IOMMU —
 * its device model (what the hardware does: configuration lookup, walks, caches, fault records) and its
 * driver side (what the OS does: writing configuration structures and page tables, issuing invalidations).
 *
 * Writing a new vendor: implement {@link VendorPlugin} and {@link VendorIommu}; describe your page-table
 * formats as {@link PageTableFormat} instances and let core's walker, builder and {@link NestedTranslator}
 * do the walking; run `@viommu/testkit`'s conformance suite against your plugin.
 * @packageDocumentation
 */
import type { FaultHandler, GenericFault, PageRequest, PageResponse } from './api/faults';
import type { CacheInvalidateInfo } from './api/invalidate';
import type { PasidTableConfig, VendorConfigCodec } from './api/pasid-table-config';
import type { TableAllocator } from './memory/allocator';
import type { PhysicalMemory } from './memory/physical-memory';
import type { MapProt } from './pagetable/format';
import type { TraceEntry, TranslationFault } from './translate/nested';

/**
 * Domain types:
 * - `blocked`: every DMA aborts;
 * - `identity`: DMA passes through untranslated;
 * - `paging`: one stage of host-owned translation (IOVA → HPA);
 * - `nesting`: the `IOMMU_DOMAIN_NESTING` attribute: the domain owns stage 2 (GPA → HPA) and accepts a
 *   guest PASID-table bind for stage 1.
 */
export type DomainType = 'blocked' | 'identity' | 'paging' | 'nesting';

/** What an IOMMU instance supports, in vendor-neutral terms. */
export interface IommuCapabilities {
  /** PASID / SubstreamID bits supported (SMMUv3 IDR1.SSIDSIZE; VT-d ECAP.PSS + 1); 0 without PASIDs. */
  readonly pasidBits: number;
  /** Nested translation is supported (SMMUv3 IDR0.S1P and S2P; VT-d ECAP.NEST). */
  readonly nesting: boolean;
  /** log2 page sizes a paging / nesting domain can map. */
  readonly pageShifts: readonly number[];
  /** Input address bits of a paging / nesting domain (IOVA or GPA width). */
  readonly inputBits: number;
  /** Output (physical) address bits. */
  readonly outputBits: number;
  /** log2 of the alignment `PasidTableConfig.basePtr` needs. */
  readonly pasidTableAlignShift: number;
}

/** A DMA request as it reaches the IOMMU. */
export interface DmaRequest {
  /** The requester: SMMUv3 StreamID; VT-d source-id (bus << 8 | devfn). */
  device: number;
  /** SMMUv3 SubstreamID / VT-d PASID; undefined for a request without PASID. */
  pasid?: number | undefined;
  /** Input address (IOVA / GVA); a bigint for 64-bit addresses. */
  address: number | bigint;
  /** {@link Access} bits: READ, WRITE or EXEC, with PRIV for privileged (supervisor) requests. */
  access: number;
}

/** A successful DMA translation. */
export interface DmaSuccess {
  /** Discriminant. */
  readonly ok: true;
  /** Host physical address. */
  readonly output: number;
  /** log2 of the page this translation is valid for. */
  readonly pageShift: number;
  /** Permissions of the translation ({@link Perm} bits). */
  readonly permitted: number;
  /** Served from the IOTLB. */
  readonly cached: boolean;
}

/** A failed DMA translation. */
export interface DmaFault {
  /** Discriminant. */
  readonly ok: false;
  /** The fault, with the vendor's architected record. */
  readonly fault: GenericFault;
  /** False when the architecture suppresses recording (VT-d FPD, SMMUv3 Config = abort). */
  readonly recorded: boolean;
  /** What the walk saw, when a walk was involved. */
  readonly walk?: TranslationFault | undefined;
  /** When the fault became a page request instead (PRI / stall), the request. */
  readonly pageRequest?: PageRequest | undefined;
}

/** The outcome of a DMA translation. */
export type DmaResult = DmaSuccess | DmaFault;

/** Options of {@link VendorIommu.translate}. */
export interface TranslateOptions {
  /** Append every descriptor and configuration read here. */
  trace?: TraceEntry[];
  /** Bypass every cache for this request (and fill none). */
  uncached?: boolean;
}

/** Vendor state of one domain. */
export interface VendorDomain {
  /** The domain type. */
  readonly type: DomainType;
  /**
   * Maps `[iova, iova + size)` → `[pa, pa + size)` in the domain's host-owned stage (stage 2 of a nesting
   * domain). @throws IommuError `MAP_*`
   */
  map(iova: number, pa: number, size: number, prot: MapProt): void;
  /** Unmaps a range; returns the bytes unmapped. The vendor issues the invalidations a driver would. */
  unmap(iova: number, size: number): number;
  /** The output address `iova` maps to, or undefined. */
  iovaToPhys(iova: number): number | undefined;
}

/** What the host gives an IOMMU instance: its memory and a table allocator within it. */
export interface IommuHost {
  /** Host physical memory. */
  readonly memory: PhysicalMemory;
  /** Allocator for host-owned tables. */
  readonly allocator: TableAllocator;
}

/** One IOMMU of a vendor: device model and driver side. */
export interface VendorIommu {
  /** The plugin that made it. */
  readonly plugin: VendorPlugin;
  /** Capabilities. */
  readonly capabilities: IommuCapabilities;
  /** Creates vendor state for a new domain (allocating its tables). */
  createDomain(type: DomainType): VendorDomain;
  /**
   * Releases the vendor state of a domain no device is attached to: its cache tag (VMID, ASID, DID), after
   * the invalidation a driver issues so no stale entry of the tag survives its reuse. Optional.
   */
  freeDomain?(domain: VendorDomain): void;
  /** Points the device's configuration at the domain (STE / context entry), with the invalidations needed. */
  attachDevice(domain: VendorDomain, device: number): void;
  /** Points the device's configuration at abort, with the invalidations needed. */
  detachDevice(domain: VendorDomain, device: number): void;
  /**
   * Vendor checks of a bind (alignment of `basePtr`, vendor block contents, host support for requested
   * features). Must not change state. @throws IommuError `CONFIG_*`
   */
  checkBind(domain: VendorDomain, device: number, config: PasidTableConfig): void;
  /** Installs a checked bind: the guest's table becomes stage 1 over the domain's stage 2. */
  bindPasidTable(domain: VendorDomain, device: number, config: PasidTableConfig): void;
  /** Restores the device's default configuration for the domain (stage 2 only). */
  unbindPasidTable(domain: VendorDomain, device: number): void;
  /** Executes a checked generic invalidation with native commands/descriptors. */
  cacheInvalidate(domain: VendorDomain, device: number, info: CacheInvalidateInfo): void;
  /** Translates one DMA request (device model). Faults are values; the record is also queued as the hardware would. */
  translate(request: DmaRequest, options?: TranslateOptions): DmaResult;
  /** Re-encodes a generic fault of this vendor into its architected record (the inverse of the record → fault conversion). */
  faultToRecord(fault: GenericFault): Uint32Array;
  /** Converts one of this vendor's architected records into a generic fault. */
  recordToFault(record: Uint32Array): GenericFault;
  /** Delivers a page response to the hardware (SMMUv3 PRI_RESP / RESUME; VT-d page group response). */
  pageResponse?(device: number, response: PageResponse): void;
}

/** A vendor plugin: identifies the model and makes IOMMU instances. */
export interface VendorPlugin {
  /** Model name, e.g. `arm-smmuv3`. */
  readonly model: string;
  /** {@link IommuModel} number a {@link PasidTableConfig} must carry to be bound on this vendor's IOMMUs. */
  readonly modelId: number;
  /** One line for humans. */
  readonly description: string;
  /** Codec for the vendor union of the binary config, if the vendor defines one. */
  readonly configCodec?: VendorConfigCodec;
  /** Makes an IOMMU instance over host memory. */
  createIommu(host: IommuHost): VendorIommu;
}

export type { FaultHandler };
