/**
 * A VT-d remapping unit in scalable mode, set up as a driver would (root → scalable context → PASID
 * directory → PASID entry), with 4096 mapped pages either first-level only (PGTT = 001b, tables in host
 * memory) or nested (PGTT = 011b: a 4-level first level in guest memory over a 4-level second level).
 * Every table maps 4 KiB pages only, so a nested walk makes 4 × 5 + 4 = 24 descriptor reads.
 */
import {
  PageTableBuilder,
  PoolAllocator,
  SparseMemory,
  TranslatedMemory,
  writeWords,
  type PhysicalMemory,
  type TranslationContext,
} from '@viommu/core';
import {
  createFirstLevelFormat,
  createSecondLevelFormat,
  encodeRtaddr,
  Gcmd,
  PASID_DIRECTORY_ENTRY_LAYOUT,
  PASID_ENTRY_LAYOUT,
  SCALABLE_CONTEXT_ENTRY_LAYOUT,
  SCALABLE_ROOT_ENTRY_LAYOUT,
  VtdModel,
  VtdRegister,
  type VtdCacheCapacities,
} from '@viommu/intel-vtd';

/** Requester id (bus 3, device 0, function 0). */
export const VTD_SID = 0x0300;
/** PASID of the bench's address space. */
export const VTD_PASID = 0x42;
const DID = 9;
const GUEST_RAM_HPA = 0x2000_0000; // guest-physical [0, GUEST_RAM) lives here
const GUEST_RAM = 0x1000_0000;
const GUEST_POOL = 0x10_0000; // GPA of the guest's first-level table pool
const GUEST_DATA = 0x400_0000; // GPA of the data pages the first level maps
const HOST_POOL = 0x10_0000;
const HOST_DATA = 0x8000_0000; // HPA of the data pages of a first-level-only setup (never backed)

/** A programmed unit and the tables it translates through. */
export interface VtdSetup {
  readonly model: VtdModel;
  readonly memory: SparseMemory;
  /** The same tables as a core translation context (formats built with the same options), for core-level benches. */
  readonly context: TranslationContext;
}

function write(memory: PhysicalMemory, address: number, words: ArrayLike<number>): void {
  if (!writeWords(memory, address, words)) throw new Error(`unbacked 0x${address.toString(16)}`);
}

/**
 * Builds the unit. `pageAddresses` are the input (GVA) pages to map, each to its own data page.
 * `nested` selects PGTT = 011b over a second level mapping all of guest RAM; otherwise PGTT = 001b.
 */
export function vtdSetup(pageAddresses: readonly number[], nested: boolean, caches: VtdCacheCapacities): VtdSetup {
  const memory = new SparseMemory().back(0, 0x4000_0000);
  const host = new PoolAllocator(memory, HOST_POOL, 0x1000_0000 - HOST_POOL);
  const model = new VtdModel(memory, { cacheCapacities: caches });
  const rootTable = host.allocate(4096);
  const contextTable = host.allocate(4096);
  const pasidDir = host.allocate(4096);
  const pasidTable = host.allocate(4096);
  write(memory, rootTable + (VTD_SID >>> 8) * 16, SCALABLE_ROOT_ENTRY_LAYOUT.encode({ LP: 1, LCTP: contextTable }));
  write(memory, contextTable + (VTD_SID & 0x7f) * 32, SCALABLE_CONTEXT_ENTRY_LAYOUT.encode({ P: 1, PASIDE: 1, PASIDDIRPTR: pasidDir }));
  write(memory, pasidDir + (VTD_PASID >>> 6) * 8, PASID_DIRECTORY_ENTRY_LAYOUT.encode({ P: 1, SMPTBLPTR: pasidTable }));
  const flFormat = createFirstLevelFormat({ levels: 4, hawBits: nested ? 48 : model.haw, nxe: true });
  const prot = { read: true, write: true, user: true };
  let pasidEntry: Record<string, number>;
  let context: TranslationContext;
  if (nested) {
    // Second level: guest RAM, 4 KiB pages only (no SLLPS), so every stage-2 walk is 4 reads.
    const slFormat = createSecondLevelFormat({ levels: 4, hawBits: model.haw, mgawBits: model.caps.mgawBits, leafSnp: true });
    const sl = new PageTableBuilder(slFormat, memory, host);
    sl.map(0, GUEST_RAM_HPA, GUEST_RAM, { read: true, write: true });
    const guestMemory = new TranslatedMemory(memory, (gpa) => sl.iovaToPhys(gpa));
    const fl = new PageTableBuilder(flFormat, guestMemory, new PoolAllocator(guestMemory, GUEST_POOL, GUEST_DATA - GUEST_POOL));
    pageAddresses.forEach((va, i) => fl.map(va, GUEST_DATA + i * 4096, 4096, prot));
    pasidEntry = { PGTT: 3, AW: 2, SLPTPTR: sl.root, FLPTPTR: fl.root, DID, NXE: 1, SRE: 1 };
    context = { stage1: { format: flFormat, root: fl.root }, stage2: { format: slFormat, root: sl.root } };
  } else {
    const fl = new PageTableBuilder(flFormat, memory, host);
    pageAddresses.forEach((va, i) => fl.map(va, HOST_DATA + i * 4096, 4096, prot));
    pasidEntry = { PGTT: 1, FLPTPTR: fl.root, DID, NXE: 1, SRE: 1 };
    context = { stage1: { format: flFormat, root: fl.root } };
  }
  write(memory, pasidTable + (VTD_PASID & 63) * 64, PASID_ENTRY_LAYOUT.encode({ P: 1, ...pasidEntry }));
  model.writeRegister(VtdRegister.RTADDR, encodeRtaddr({ rootTableAddress: rootTable, scalable: true }));
  model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.SRTP), 4);
  model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.TE), 4);
  return { model, memory, context };
}
