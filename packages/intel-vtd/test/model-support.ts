/**
 * Test support for the device-model tests: a host memory, an allocator, a VtdModel, and helpers that write
 * root/context/PASID structures with the structures' field tables and page tables with core's builder.
 */
import { PageTableBuilder, PoolAllocator, SparseMemory, TranslatedMemory, writeWords, type MapProt, type PhysicalMemory } from '@viommu/core';
import { createFirstLevelFormat, createSecondLevelFormat, type FirstLevelFormatOptions, type SecondLevelFormatOptions } from '../src/paging/index';
import {
  encodeRtaddr,
  LEGACY_CONTEXT_ENTRY_LAYOUT,
  LEGACY_ROOT_ENTRY_LAYOUT,
  PASID_DIRECTORY_ENTRY_LAYOUT,
  PASID_ENTRY_LAYOUT,
  SCALABLE_CONTEXT_ENTRY_LAYOUT,
  SCALABLE_ROOT_ENTRY_LAYOUT,
} from '../src/structures/index';
import { Gcmd, VtdModel, VtdRegister, type VtdModelOptions } from '../src/model/index';

/** Host memory size backed for tests. */
export const MEMORY_SIZE = 0x1000_0000;
/** Where the table pool starts. */
export const POOL_BASE = 0x10_0000;
/** Pool size. */
export const POOL_SIZE = 0x400_0000;
/** Host region page mappings point into (never overlaps tables). */
export const DATA_BASE = 0x800_0000;

type Fields = Record<string, number | bigint>;

/** A host with one remapping unit. */
export class Machine {
  readonly memory = new SparseMemory().back(0, MEMORY_SIZE);
  readonly alloc = new PoolAllocator(this.memory, POOL_BASE, POOL_SIZE);
  readonly model: VtdModel;
  readonly rootTable: number;
  /** Context tables by bus (legacy) or by bus·2 + upper (scalable). */
  private readonly contextTables = new Map<number, number>();

  /**
   * @param scalable build scalable-mode tables (and program TTM = 01b).
   * @param options model options.
   * @param wrap wraps host memory before the model sees it (e.g. to make writes fail).
   */
  constructor(
    readonly scalable: boolean,
    options: VtdModelOptions = {},
    wrap?: (memory: SparseMemory) => PhysicalMemory,
  ) {
    this.model = new VtdModel(wrap ? wrap(this.memory) : this.memory, options);
    this.rootTable = this.alloc.allocate(4096);
  }

  /** Programs RTADDR, sets SRTP then TE (as a driver does). */
  enable(ttm?: number): this {
    const m = this.model;
    m.writeRegister(VtdRegister.RTADDR, encodeRtaddr({ rootTableAddress: this.rootTable, scalable: this.scalable, ...(ttm === undefined ? {} : { ttm }) }));
    m.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.SRTP), 4);
    m.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.TE), 4);
    return this;
  }

  /** Writes a structure's words at an address. */
  write(address: number, words: ArrayLike<number>): void {
    if (!writeWords(this.memory, address, words)) throw new Error(`unbacked 0x${address.toString(16)}`);
  }

  /** The context table for a source-id, creating it and its root entry (half) if needed. */
  contextTable(sid: number): number {
    const bus = sid >>> 8;
    const upper = this.scalable && (sid & 0xff) > 0x7f;
    const key = bus * 2 + (upper ? 1 : 0);
    let table = this.contextTables.get(key);
    if (table === undefined) {
      table = this.alloc.allocate(4096);
      this.contextTables.set(key, table);
      this.writeRoot(bus);
    }
    return table;
  }

  /** Rewrites the root entry of a bus from the context tables known for it. */
  writeRoot(bus: number, extra: Fields = {}): void {
    if (this.scalable) {
      const lo = this.contextTables.get(bus * 2);
      const up = this.contextTables.get(bus * 2 + 1);
      const fields: Fields = {};
      if (lo !== undefined) Object.assign(fields, { LP: 1, LCTP: lo });
      if (up !== undefined) Object.assign(fields, { UP: 1, UCTP: up });
      this.write(this.rootTable + bus * 16, SCALABLE_ROOT_ENTRY_LAYOUT.encode({ ...fields, ...extra }));
    } else {
      const t = this.contextTables.get(bus * 2);
      this.write(this.rootTable + bus * 16, LEGACY_ROOT_ENTRY_LAYOUT.encode(t === undefined ? extra : { P: 1, CTP: t, ...extra }));
    }
  }

  /** Address of a source-id's context entry. */
  contextEntryAddress(sid: number): number {
    const devfn = sid & 0xff;
    return this.scalable ? this.contextTable(sid) + (devfn & 0x7f) * 32 : this.contextTable(sid) + devfn * 16;
  }

  /** Writes a legacy context entry. */
  legacyContext(sid: number, fields: Fields): void {
    this.write(this.contextEntryAddress(sid), LEGACY_CONTEXT_ENTRY_LAYOUT.encode(fields));
  }

  /** Writes raw 32-bit words into a context entry (for reserved-bit tests). */
  rawContext(sid: number, words: ArrayLike<number>): void {
    this.write(this.contextEntryAddress(sid), words);
  }

  /**
   * Writes a scalable context entry with a new PASID directory (PDTS 0 unless given) and returns the
   * directory's address.
   */
  scalableContext(sid: number, fields: Fields = {}): number {
    const dir = this.alloc.allocate(Math.max(4096, 2 ** (Number(fields.PDTS ?? 0) + 10)));
    this.write(this.contextEntryAddress(sid), SCALABLE_CONTEXT_ENTRY_LAYOUT.encode({ P: 1, PASIDE: 1, PASIDDIRPTR: dir, ...fields }));
    return dir;
  }

  /** Writes a PASID-directory entry pointing to a new PASID table (or the one given); returns the table. */
  pasidDirectory(dir: number, pasid: number, fields: Fields = {}, table?: number): number {
    const t = table ?? this.alloc.allocate(4096);
    this.write(dir + (pasid >>> 6) * 8, PASID_DIRECTORY_ENTRY_LAYOUT.encode({ P: 1, SMPTBLPTR: t, ...fields }));
    return t;
  }

  /** Writes a PASID entry (P = 1 unless overridden). */
  pasidEntry(table: number, pasid: number, fields: Fields): void {
    this.write(table + (pasid & 63) * 64, PASID_ENTRY_LAYOUT.encode({ P: 1, ...fields }));
  }

  /** A second-level table builder in host memory. */
  secondLevel(options: Partial<SecondLevelFormatOptions> = {}): PageTableBuilder {
    const caps = this.model.caps;
    const format = createSecondLevelFormat({
      levels: 4,
      mgawBits: caps.mgawBits,
      hawBits: this.model.haw,
      sllps: (caps.sl2MPages ? 1 : 0) | (caps.sl1GPages ? 2 : 0),
      leafSnp: true,
      ...options,
    });
    return new PageTableBuilder(format, this.memory, this.alloc);
  }

  /** A first-level table builder in `memory` (host memory by default) with `allocator`. */
  firstLevel(options: Partial<FirstLevelFormatOptions> = {}, memory: PhysicalMemory = this.memory, allocator = this.alloc): PageTableBuilder {
    const format = createFirstLevelFormat({ levels: 4, hawBits: this.model.haw, fl1gp: this.model.caps.fl1gp, ...options });
    return new PageTableBuilder(format, memory, allocator);
  }
}

/** Guest memory of a nested setup: GPA [0, size) mapped by `sl` to host memory at `hostBase`. */
export interface Guest {
  /** The second-level tables (GPA → HPA). */
  readonly sl: PageTableBuilder;
  /** The guest's view of its memory. */
  readonly memory: TranslatedMemory;
  /** Allocator of guest-physical table pages. */
  readonly alloc: PoolAllocator;
}

/** Builds a guest: `size` bytes of GPA space at HPA `hostBase`, read-write, with a table pool at GPA `poolBase`. */
export function makeGuest(machine: Machine, hostBase: number, size: number, poolBase: number, poolSize: number, slOptions: Partial<SecondLevelFormatOptions> = {}): Guest {
  const sl = machine.secondLevel(slOptions);
  sl.map(0, hostBase, size, { read: true, write: true });
  const memory = new TranslatedMemory(machine.memory, (gpa) => sl.iovaToPhys(gpa));
  const alloc = new PoolAllocator(memory, poolBase, poolSize);
  return { sl, memory, alloc };
}

/** MapProt shorthands. */
export const RW: MapProt = { read: true, write: true };
/** Read-only. */
export const RO: MapProt = { read: true };
/** User read-write (first level). */
export const URW: MapProt = { read: true, write: true, user: true };
