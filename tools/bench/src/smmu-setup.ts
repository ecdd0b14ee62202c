/**
 * An SMMUv3 programmed as a driver would (linear Stream table, Command and Event queues, SMMUEN), with
 * 4096 mapped pages either stage 1 only (STE.Config = 0b101, CD and tables in PA memory) or nested
 * (Config = 0b111: the CD and a 4-level stage 1 in guest memory over a 4-level stage 2). 4 KB granule,
 * 48-bit VA and IPA (T0SZ = 16, S2SL0 = 2: both start at level 0), 4 KB pages only, so a nested walk makes
 * 4 × 5 + 4 = 24 descriptor reads. Stage-1 leaves are non-global (nG = 1), as Linux writes them.
 */
import { PageTableBuilder, PoolAllocator, SparseMemory, TranslatedMemory, writeWords, type PhysicalMemory, type TranslationContext } from '@viommu/core';
import { CD, Cr0, Cr2, createStage1Format, createStage2Format, SmmuReg, SmmuV3Model, STE, tg0FromGranule } from '@viommu/arm-smmuv3';

/** StreamID of the bench's device. */
export const SMMU_SID = 5;
const ASID = 3;
const VMID = 2;
const STRTAB = 0x10_0000;
const CMDQ = 0x20_0000;
const EVENTQ = 0x21_0000;
const HOST_POOL = 0x100_0000;
const HOST_POOL_SIZE = 0x1000_0000 - HOST_POOL;
// IPA [0, GUEST_RAM) lives here; off 2 MB alignment so that stage 2 maps it with 4 KB pages, not blocks.
const GUEST_RAM_PA = 0x2000_1000;
const GUEST_RAM = 0x1000_0000;
const GUEST_CD = 0x8_0000; // IPA of the nested CD
const GUEST_POOL = 0x10_0000; // IPA of the guest's stage-1 table pool
const GUEST_DATA = 0x400_0000; // IPA of the data pages
const HOST_CD = 0x40_0000; // PA of the stage-1-only CD
const HOST_DATA = 0x8000_0000; // PA of the stage-1-only data pages (never backed)

/** A programmed SMMU and the tables it translates through. */
export interface SmmuSetup {
  readonly model: SmmuV3Model;
  readonly memory: SparseMemory;
  /** The same tables as a core translation context, for core-level benches. */
  readonly context: TranslationContext;
}

function write(memory: PhysicalMemory, address: number, words: ArrayLike<number>): void {
  if (!writeWords(memory, address, words)) throw new Error(`unbacked 0x${address.toString(16)}`);
}

/** Builds the SMMU. `pageAddresses` are the VA pages to map, each to its own data page. */
export function smmuSetup(pageAddresses: readonly number[], nested: boolean, iotlbCapacity: number): SmmuSetup {
  const memory = new SparseMemory().back(0, 0x4000_0000);
  const host = new PoolAllocator(memory, HOST_POOL, HOST_POOL_SIZE);
  const model = new SmmuV3Model(memory, { iotlbCapacity });
  const s1Format = createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 48, oasBits: 48 });
  const prot = { read: true, write: true, user: true, global: false };
  const cd = (ttb0: number) => CD.encode({ V: 1, AA64: 1, T0SZ: 16, TG0: tg0FromGranule(12), IPS: 5, EPD1: 1, TTB0: BigInt(ttb0), ASID, R: 1, A: 1 });
  let context: TranslationContext;
  if (nested) {
    const s2Format = createStage2Format({ granuleBits: 12, t0sz: 16, sl0: 2, outputBits: 48, oasBits: 48 });
    const s2 = new PageTableBuilder(s2Format, memory, host);
    s2.map(0, GUEST_RAM_PA, GUEST_RAM, { read: true, write: true });
    const guest = new TranslatedMemory(memory, (ipa) => s2.iovaToPhys(ipa));
    const s1 = new PageTableBuilder(s1Format, guest, new PoolAllocator(guest, GUEST_POOL, GUEST_DATA - GUEST_POOL));
    pageAddresses.forEach((va, i) => s1.map(va, GUEST_DATA + i * 4096, 4096, prot));
    write(guest, GUEST_CD, cd(s1.root));
    const s2Fields = { S2VMID: VMID, S2T0SZ: 16, S2SL0: 2, S2TG: 0, S2PS: 5, S2AA64: 1, S2R: 1, S2TTB: BigInt(s2.root) };
    write(memory, STRTAB + SMMU_SID * 64, STE.encode({ V: 1, Config: 7, S1ContextPtr: BigInt(GUEST_CD), ...s2Fields }));
    context = { stage1: { format: s1Format, root: s1.root }, stage2: { format: s2Format, root: s2.root } };
  } else {
    const s1 = new PageTableBuilder(s1Format, memory, host);
    pageAddresses.forEach((va, i) => s1.map(va, HOST_DATA + i * 4096, 4096, prot));
    write(memory, HOST_CD, cd(s1.root));
    write(memory, STRTAB + SMMU_SID * 64, STE.encode({ V: 1, Config: 5, S1ContextPtr: BigInt(HOST_CD) }));
    context = { stage1: { format: s1Format, root: s1.root } };
  }
  model.writeRegister(SmmuReg.STRTAB_BASE, BigInt(STRTAB));
  model.writeRegister(SmmuReg.STRTAB_BASE_CFG, 8); // linear, 256 STEs
  model.writeRegister(SmmuReg.CMDQ_BASE, BigInt(CMDQ | 8));
  model.writeRegister(SmmuReg.CMDQ_PROD, 0);
  model.writeRegister(SmmuReg.CMDQ_CONS, 0);
  model.writeRegister(SmmuReg.EVENTQ_BASE, BigInt(EVENTQ | 8));
  model.writeRegister(SmmuReg.EVENTQ_PROD, 0);
  model.writeRegister(SmmuReg.EVENTQ_CONS, 0);
  model.writeRegister(SmmuReg.CR2, Cr2.RECINVSID);
  model.writeRegister(SmmuReg.CR0, Cr0.SMMUEN | Cr0.CMDQEN | Cr0.EVENTQEN);
  return { model, memory, context };
}
