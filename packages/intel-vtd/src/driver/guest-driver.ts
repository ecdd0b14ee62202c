/**
 * The guest side: the same driver code (PASID directory and tables, PASID-entry builders, io-pgtable
 * first-level tables, domain-ids) writing a guest's scalable-mode PASID table and first-level tables into
 * guest memory — a {@link PhysicalMemory} view of guest-physical addresses, typically core's
 * {@link TranslatedMemory} through the host's second level, so every structure lands in host memory where a
 * real machine would put it. The guest's invalidations go to `invalidate` as generic
 * {@link CacheInvalidateInfo} requests, which is what a VMM forwards after trapping the guest's descriptors.
 *
 * The vIOMMU reports caching mode ({@link vtdGuestCapabilities}), so this driver invalidates after every
 * PASID-entry change and every map as well as every unmap, as Linux does under CAP.CM.
 * @packageDocumentation
 */
import {
  CacheType,
  IommuError,
  IommuModel,
  InvalidateFlags,
  PASID_TABLE_CFG_V1_BYTES,
  PASID_TABLE_CFG_VERSION_1,
  type CacheInvalidateInfo,
  type MapProt,
  type PageTableBuilder,
  type PasidTableConfig,
  type PhysicalMemory,
  type TableAllocator,
} from '@viommu/core';
import type { VtdCapabilities } from '../structures/index';
import type { VtdConfigBlock } from './config-codec';
import { DomainIdAllocator } from './domain-ids';
import { createFirstLevelPageTable } from './io-pgtable';
import { firstLevelPasidEntry, notPresentPasidEntry, passThroughPasidEntry } from './pasid-entries';
import { PasidTables, pdtsForPasidBits } from './pasid-tables';

/** Options of a {@link VtdGuestDriver}. */
export interface VtdGuestDriverOptions {
  /** Guest physical memory (addresses are GPAs). */
  readonly memory: PhysicalMemory;
  /** Allocator of guest pages for the guest's tables (GPAs). */
  readonly allocator: TableAllocator;
  /** The capabilities the vIOMMU reports ({@link VtdIommu.guestCapabilities}). */
  readonly caps: VtdCapabilities;
  /** PASID bits the guest's table covers (the bind config's `pasidBits`). */
  readonly pasidBits: number;
  /** Guest-physical address width (what first-level entries may hold). */
  readonly addressBits: number;
  /** Receives the guest's invalidations. */
  readonly invalidate: (info: CacheInvalidateInfo) => void;
}

/** How a guest PASID is set up for first-level translation (the PASID entry's first-level fields). */
export interface GuestFirstLevelOptions {
  /** 4 (default) or 5 levels. */
  levels?: 4 | 5;
  /** SRE: supervisor requests allowed. */
  sre?: boolean;
  /** WPE (with SRE). */
  wpe?: boolean;
  /** EAFE. */
  eafe?: boolean;
  /** NXE: XD honoured; leaves mapped without `exec` get XD. */
  nxe?: boolean;
  /** SMEP. */
  smep?: boolean;
  /** ERE: execute requests allowed. */
  ere?: boolean;
  /** FPD: faults of this PASID are not recorded. */
  fpd?: boolean;
}

/**
 * The attributes a driver gives a first-level leaf: A preset, and D preset on writable pages (Linux's
 * `__domain_mapping` sets DMA_FL_PTE_ACCESS, and DMA_FL_PTE_DIRTY for writable first-level leaves), so the
 * hardware need not write the leaf back on first use.
 */
export function firstLevelProt(prot: MapProt): MapProt {
  return { ...prot, accessed: prot.accessed ?? true, dirty: prot.dirty ?? prot.write ?? false };
}

interface GuestPasid {
  readonly did: number;
  readonly builder: PageTableBuilder | undefined;
}

/** A guest's VT-d driver for one device's PASID table. */
export class VtdGuestDriver {
  /** The guest's PASID directory and tables (in guest memory). */
  readonly tables: PasidTables;
  /** Guest domain-ids. */
  readonly dids: DomainIdAllocator;
  private readonly pasids = new Map<number, GuestPasid>();

  /** Allocates the guest's PASID directory. */
  constructor(
    /** Guest memory, allocator, vIOMMU capabilities and the invalidation sink. */
    readonly options: VtdGuestDriverOptions,
  ) {
    if (!Number.isInteger(options.pasidBits) || options.pasidBits < 0 || options.pasidBits > options.caps.pasidBits) {
      throw new IommuError('ARGUMENT', `pasidBits ${options.pasidBits} is not 0..${options.caps.pasidBits}`);
    }
    this.tables = new PasidTables(options.memory, options.allocator, pdtsForPasidBits(options.pasidBits));
    this.dids = new DomainIdAllocator(options.caps.nd);
  }

  /** GPA of the PASID directory: the bind config's `basePtr`. */
  get directory(): number {
    return this.tables.directory;
  }

  /** The `bind_pasid_table` config for this table; requests without PASID use `ridPasid`. */
  config(ridPasid = 0): PasidTableConfig {
    const vendor: VtdConfigBlock = { model: IommuModel.INTEL_VTD, ridPasid };
    return {
      version: PASID_TABLE_CFG_VERSION_1,
      bytes: PASID_TABLE_CFG_V1_BYTES,
      basePtr: BigInt(this.tables.directory),
      pasidBits: this.options.pasidBits,
      model: IommuModel.INTEL_VTD,
      vendor,
    };
  }

  private checkPasid(pasid: number): void {
    if (!Number.isInteger(pasid) || pasid < 0 || pasid >= 2 ** this.options.pasidBits) {
      throw new IommuError('ARGUMENT', `guest PASID ${pasid} is outside ${this.options.pasidBits} bits`);
    }
  }

  private release(pasid: number): void {
    const old = this.pasids.get(pasid);
    if (old) this.dids.free(old.did);
    this.pasids.delete(pasid);
  }

  /** Writes a PASID entry and issues the PASID-cache + IOTLB invalidation caching mode requires. */
  private writeEntry(pasid: number, words: Uint32Array, did: number): void {
    this.tables.writeEntry(pasid, words);
    this.invalidate({
      version: 1,
      cache: CacheType.PASID | CacheType.IOTLB,
      granularity: 'pasid',
      pasidInfo: { flags: InvalidateFlags.PASID | InvalidateFlags.ARCHID, archid: did, pasid },
    });
  }

  private invalidate(info: CacheInvalidateInfo): void {
    this.options.invalidate(info);
  }

  /**
   * Gives `pasid` a new, empty first-level table and a present PGTT = 001b entry pointing at it; returns the
   * table's builder.
   */
  setupFirstLevel(pasid: number, options: GuestFirstLevelOptions = {}): PageTableBuilder {
    this.checkPasid(pasid);
    this.release(pasid);
    const levels = options.levels ?? 4;
    const { builder } = createFirstLevelPageTable(this.options.memory, this.options.allocator, {
      levels,
      addressBits: this.options.addressBits,
      fl1gp: this.options.caps.fl1gp,
      nxe: options.nxe ?? false,
    });
    const did = this.dids.allocate();
    this.pasids.set(pasid, { did, builder });
    this.writeEntry(pasid, firstLevelPasidEntry(did, { flptptr: builder.root, flpm: levels === 5 ? 1 : 0, ...options }), did);
    return builder;
  }

  /** Makes `pasid` pass-through (PGTT = 100b): its DMA addresses are guest-physical. */
  setupPassThrough(pasid: number, options: { fpd?: boolean } = {}): void {
    this.checkPasid(pasid);
    this.release(pasid);
    const did = this.dids.allocate();
    this.pasids.set(pasid, { did, builder: undefined });
    this.writeEntry(pasid, passThroughPasidEntry(did, options.fpd ?? false), did);
  }

  /** Clears `pasid`'s entry (keeping `fpd`), with invalidation. */
  clearPasid(pasid: number, fpd = false): void {
    this.checkPasid(pasid);
    const did = this.pasids.get(pasid)?.did ?? 0;
    this.release(pasid);
    this.writeEntry(pasid, notPresentPasidEntry(fpd), did);
  }

  /** Writes raw words into `pasid`'s entry (for experiments with malformed entries), with invalidation. */
  writeRawEntry(pasid: number, words: Uint32Array): void {
    this.checkPasid(pasid);
    this.release(pasid);
    this.writeEntry(pasid, words, 0);
  }

  /**
   * The first-level table of `pasid`.
   * @throws IommuError `ARGUMENT` when the PASID has none.
   */
  pageTable(pasid: number): PageTableBuilder {
    const b = this.pasids.get(pasid)?.builder;
    if (!b) throw new IommuError('ARGUMENT', `guest PASID ${pasid} has no first-level table`);
    return b;
  }

  /**
   * Maps GVA → GPA in `pasid`'s first level and invalidates the range (caching mode). Leaves get A set and,
   * when writable, D set up front ({@link firstLevelProt}), as Linux's first-level mappings do.
   */
  map(pasid: number, gva: number, gpa: number, size: number, prot: MapProt): void {
    this.pageTable(pasid).map(gva, gpa, size, firstLevelProt(prot));
    this.invalidateRange(pasid, gva, size);
  }

  /** Unmaps a range of `pasid`'s first level and invalidates it; returns the bytes unmapped. */
  unmap(pasid: number, gva: number, size: number): number {
    const n = this.pageTable(pasid).unmap(gva, size);
    this.invalidateRange(pasid, gva, size);
    return n;
  }

  /** The IOTLB invalidation of a first-level range of `pasid` (PASID-selective, address granularity). */
  invalidateRange(pasid: number, gva: number, size: number): void {
    const start = Math.floor(gva / 4096) * 4096;
    const pages = Math.max(1, Math.ceil((gva + size - start) / 4096));
    this.invalidate({
      version: 1,
      cache: CacheType.IOTLB,
      granularity: 'addr',
      addrInfo: { flags: InvalidateFlags.PASID | InvalidateFlags.ARCHID, archid: this.pasids.get(pasid)?.did ?? 0, pasid, addr: start, granuleSize: 4096, nbGranules: pages },
    });
  }
}
