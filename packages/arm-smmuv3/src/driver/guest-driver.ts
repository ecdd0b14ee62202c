/**
 * A guest's SMMUv3 driver: the same CD-table, CD and io-pgtable code as the host, writing into the guest's
 * physical memory (a view through the host's stage 2, e.g. core's {@link TranslatedMemory}) with a guest
 * allocator, so the guest's CD table and stage-1 tables land in host memory where a real machine would
 * put them. The guest's STE is not real hardware: it reaches the host as a `bindPasidTable` config
 * ({@link SmmuV3GuestDriver.pasidTableConfig}) or as the raw guest STE of the iommufd form
 * ({@link SmmuV3GuestDriver.guestSte}). Its invalidations go out through a {@link GuestInvalidation}:
 * native commands through a vIOMMU ({@link nativeGuestInvalidation}) or the generic API
 * ({@link genericGuestInvalidation}).
 * @packageDocumentation
 */
import {
  CacheType,
  IommuError,
  IommuModel,
  InvalidateFlags,
  PASID_TABLE_CFG_V1_BYTES,
  PASID_TABLE_CFG_VERSION_1,
  type Domain,
  type MapProt,
  type PasidTableConfig,
  type PhysicalMemory,
  type TableAllocator,
} from '@viommu/core';
import { encodeCommand, type SmmuCapabilities } from '../structures/index';
import { buildStage1Cd } from './cd-builder';
import { CdTableDriver, type CdTableFormatChoice } from './cd-table';
import { IdAllocator } from './id-allocator';
import { SmmuPageTable } from './io-pgtable';
import { guestSteOfConfig } from './nested-ste';
import { addressTlbiCommands, runsOfLeaves, type TlbiRun } from './tlb-invalidation';
import { checkSmmuV3Vendor, S1DssValue, type SmmuV3PasidTableVendor } from './vendor-config';

/** How a guest driver makes its SMMU observe changes (each call completes them, as after CMD_SYNC). */
export interface GuestInvalidation {
  /** CD `ssid` changed (`leaf` false: its L1CD too). */
  cd(ssid: number, leaf: boolean): void;
  /** Leaves of context (`asid`, `ssid`) changed over `runs`. */
  tlbRange(asid: number, ssid: number, runs: readonly TlbiRun[]): void;
  /** Every entry of context (`asid`, `ssid`) may be stale. */
  tlbAsid(asid: number, ssid: number): void;
}

/** The VMID field a guest writes in its TLBIs; the host replaces it with the domain's. */
const GUEST_VMID = 0;

/**
 * Guest invalidation with native SMMUv3 commands (CMD_CFGI_CD, CMD_TLBI_NH_VA, CMD_TLBI_NH_ASID) for the
 * guest's StreamID `vsid`, handed to `submit` — typically {@link SmmuV3Viommu.invalidateGuestCommands}.
 * @param rangeInvalidation the vSMMU reports SMMU_IDR3.RIL.
 */
export function nativeGuestInvalidation(vsid: number, submit: (commands: Uint32Array[]) => void, rangeInvalidation: boolean): GuestInvalidation {
  return {
    cd: (ssid, leaf) => submit([encodeCommand({ name: 'CMD_CFGI_CD', fields: { StreamID: vsid, SubstreamID: ssid, Leaf: leaf ? 1 : 0 } })]),
    tlbRange: (asid, _ssid, runs) => {
      const cmds = addressTlbiCommands({ name: 'CMD_TLBI_NH_VA', vmid: GUEST_VMID, asid }, runs, rangeInvalidation, true);
      submit(cmds ?? [encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: GUEST_VMID, ASID: asid } })]);
    },
    tlbAsid: (asid) => submit([encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: GUEST_VMID, ASID: asid } })]),
  };
}

/**
 * Guest invalidation through the generic API (`cacheInvalidate` on the nesting domain and the device):
 * PASID-cache invalidation by PASID for CDs, IOTLB invalidation by address (ARCHID = ASID, PASID = SSID,
 * LEAF) or by PASID.
 */
export function genericGuestInvalidation(domain: Domain, device: number): GuestInvalidation {
  const iommu = domain.iommu;
  return {
    cd: (ssid) => iommu.cacheInvalidate(domain, device, { version: 1, cache: CacheType.PASID, granularity: 'pasid', pasidInfo: { flags: InvalidateFlags.PASID, archid: 0, pasid: ssid } }),
    tlbRange: (asid, ssid, runs) => {
      for (const run of runs) {
        const granuleSize = 2 ** run.leafShift;
        iommu.cacheInvalidate(domain, device, {
          version: 1,
          cache: CacheType.IOTLB,
          granularity: 'addr',
          addrInfo: { flags: InvalidateFlags.PASID | InvalidateFlags.ARCHID | InvalidateFlags.LEAF, archid: asid, pasid: ssid, addr: run.start, granuleSize, nbGranules: run.size / granuleSize },
        });
      }
    },
    tlbAsid: (asid, ssid) =>
      iommu.cacheInvalidate(domain, device, { version: 1, cache: CacheType.IOTLB, granularity: 'pasid', pasidInfo: { flags: InvalidateFlags.PASID | InvalidateFlags.ARCHID, archid: asid, pasid: ssid } }),
  };
}

/** Options of {@link SmmuV3GuestDriver}. */
export interface GuestDriverOptions {
  /** The guest's physical memory (a view through the host's stage 2). */
  memory: PhysicalMemory;
  /** The guest's table allocator (guest-physical addresses). */
  allocator: TableAllocator;
  /** The SMMU as the guest sees it (CD2L, ASID16, OAS). */
  caps: SmmuCapabilities;
  /** S1CDMax: the CD table holds 2^pasidBits CDs. */
  pasidBits: number;
  /** The CD-table format (default: Linux's rule). */
  cdTableFormat?: CdTableFormatChoice;
  /** Where invalidations go. */
  invalidation: GuestInvalidation;
  /** Guest-physical address bits: the stage-1 output size (CD.IPS); default the SMMU's OAS. */
  ipaBits?: number;
  /** Stage-1 input bits (VA size), default 48. */
  vaBits?: number;
}

/** One stage-1 context of the guest: a CD and its page table. */
export interface GuestContext {
  /** CD.ASID. */
  readonly asid: number;
  /** The stage-1 page table (TTB0 is a guest-physical address). */
  readonly table: SmmuPageTable;
}

/** A guest's SMMUv3 driver for one device. */
export class SmmuV3GuestDriver {
  /** The guest's CD table. */
  readonly cdTable: CdTableDriver;
  /** The guest's ASIDs. */
  readonly asids: IdAllocator;
  private readonly contexts = new Map<number, GuestContext>();
  private readonly ipaBits: number;
  private readonly vaBits: number;

  /** @param options the guest's memory, allocator, view of the SMMU and invalidation path. */
  constructor(
    /** The options the driver was made with. */
    readonly options: GuestDriverOptions,
  ) {
    const invalidation = options.invalidation;
    this.cdTable = new CdTableDriver(options.memory, options.allocator, { invalidateCd: (ssid, leaf) => invalidation.cd(ssid, leaf) }, {
      cdMax: options.pasidBits,
      cd2l: options.caps.cd2l,
      ...(options.cdTableFormat ? { format: options.cdTableFormat } : {}),
    });
    this.asids = new IdAllocator('ASID', options.caps.asid16 ? 16 : 8);
    this.ipaBits = options.ipaBits ?? options.caps.oasBits;
    this.vaBits = options.vaBits ?? 48;
  }

  /** The context of `ssid`, if attached. */
  context(ssid: number): GuestContext | undefined {
    return this.contexts.get(ssid);
  }

  /**
   * Gives SubstreamID `ssid` a new stage-1 context: a page table in guest memory, an ASID, and a valid
   * CD (written and invalidated). @throws IommuError `BIND_ALREADY` when `ssid` has one
   */
  attachPasid(ssid: number): GuestContext {
    if (this.contexts.has(ssid)) throw new IommuError('BIND_ALREADY', `SubstreamID ${ssid} already has a context`);
    const o = this.options;
    const table = new SmmuPageTable(o.memory, o.allocator, { stage: 1, inputBits: this.vaBits, outputBits: this.ipaBits, oasBits: o.caps.oasBits });
    const asid = this.asids.allocate();
    this.cdTable.writeCd(ssid, buildStage1Cd(table, { asid }));
    const ctx = { asid, table };
    this.contexts.set(ssid, ctx);
    return ctx;
  }

  /** Removes the context of `ssid`: its CD becomes invalid, then its TLB entries are invalidated. */
  detachPasid(ssid: number): void {
    const ctx = this.contexts.get(ssid);
    if (!ctx) return;
    this.cdTable.clearCd(ssid);
    this.options.invalidation.tlbAsid(ctx.asid, ssid);
    this.asids.free(ctx.asid);
    this.contexts.delete(ssid);
  }

  private require(ssid: number): GuestContext {
    const ctx = this.contexts.get(ssid);
    if (!ctx) throw new IommuError('ARGUMENT', `SubstreamID ${ssid} has no context; attachPasid first`);
    return ctx;
  }

  /** Maps GVA → GPA in the context of `ssid` (a new mapping needs no invalidation). */
  map(ssid: number, gva: number, gpa: number, size: number, prot: MapProt): void {
    this.require(ssid).table.map(gva, gpa, size, prot);
  }

  /** Unmaps and invalidates, as a guest driver does. Returns the bytes unmapped. */
  unmap(ssid: number, gva: number, size: number): number {
    const ctx = this.require(ssid);
    const { unmapped, leaves } = ctx.table.unmap(gva, size);
    if (leaves.length > 0) this.options.invalidation.tlbRange(ctx.asid, ssid, runsOfLeaves(leaves));
    return unmapped;
  }

  /** Invalidates `[gva, gva + size)` of `ssid` at 4 KB granularity (after edits made directly on the table). */
  invalidateRange(ssid: number, gva: number, size: number): void {
    const ctx = this.require(ssid);
    this.options.invalidation.tlbRange(ctx.asid, ssid, [{ start: gva, size, leafShift: 12, level: undefined }]);
  }

  /** The vendor block for this guest's table. */
  vendorBlock(choice: { pasid0DmaNoPasid?: boolean; s1dss?: number } = {}): SmmuV3PasidTableVendor {
    return checkSmmuV3Vendor({
      model: IommuModel.ARM_SMMUV3,
      pasid0DmaNoPasid: !!choice.pasid0DmaNoPasid,
      s1fmt: this.cdTable.s1fmt,
      s1dss: choice.s1dss ?? S1DssValue.TERMINATE,
    } as SmmuV3PasidTableVendor);
  }

  /** The `bindPasidTable` config for this guest's CD table. */
  pasidTableConfig(choice: { pasid0DmaNoPasid?: boolean; s1dss?: number } = {}): PasidTableConfig {
    return {
      version: PASID_TABLE_CFG_VERSION_1,
      bytes: PASID_TABLE_CFG_V1_BYTES,
      basePtr: BigInt(this.cdTable.base),
      pasidBits: this.cdTable.cdMax,
      model: IommuModel.ARM_SMMUV3,
      vendor: this.vendorBlock(choice),
    };
  }

  /** The guest STE words 0 and 1 (stage-1 translate) pointing at this guest's CD table: the iommufd form. */
  guestSte(choice: { pasid0DmaNoPasid?: boolean; s1dss?: number } = {}): [bigint, bigint] {
    const config = this.pasidTableConfig(choice);
    return guestSteOfConfig(config, config.vendor as SmmuV3PasidTableVendor);
  }
}
