/**
 * Test fixture for the SMMUv3 device model: a sparse memory, an SMMU programmed the way a driver would
 * (Stream table, Command and Event queues through the architected registers), and helpers that write
 * STEs and CDs with the structures' encoders and page tables with core's PageTableBuilder over the VMSA
 * formats. Tables are built by hand here, independently of the driver side.
 */
import {
  PageTableBuilder,
  PoolAllocator,
  SparseMemory,
  TranslatedMemory,
  writeWords,
  type MapProt,
  type PhysicalMemory,
} from '@viommu/core';
import type { CD} from '../src/structures/index';
import { L1CD, L1STD, STE, encodeCommand, tg0FromGranule, type CommandInput } from '../src/structures/index';
import { createStage1Format, createStage2Format, type Stage1Options, type Stage2Options } from '../src/vmsa/index';
import { Cr0, Cr2, SmmuReg, SmmuV3Model, type SmmuV3ModelOptions } from '../src/model/index';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Fixed physical layout. */
export const Layout = {
  /** Stream table (linear, or the L1 table of a 2-level one). */
  STRTAB: 0x10_0000,
  /** Command queue, 256 × 16 bytes. */
  CMDQ: 0x20_0000,
  /** Event queue, 256 × 32 bytes. */
  EVENTQ: 0x21_0000,
  /** CD tables and other structures. */
  STRUCTS: 0x40_0000,
  /** Page-table pool [POOL, POOL + POOL_SIZE). */
  POOL: 0x100_0000,
  POOL_SIZE: 0x400_0000,
  /** Data pages used as translation targets. */
  DATA: 0x800_0000,
  /** Everything at or above this is unbacked (external abort). */
  BACKED_END: 0x4000_0000,
} as const;

/** Options of a fixture. */
export interface FixtureOptions extends SmmuV3ModelOptions {
  /** 2-level Stream table with this SPLIT (default linear). */
  readonly split?: number;
  /** STRTAB_BASE_CFG.LOG2SIZE (default 8). */
  readonly log2Size?: number;
  /** CR2.RECINVSID (default true). */
  readonly recinvsid?: boolean;
  /** CR0.EVENTQEN (default true). */
  readonly eventq?: boolean;
  /** EVENTQ_BASE.LOG2SIZE (default 8). */
  readonly eventqLog2?: number;
  /** CMDQ_BASE.LOG2SIZE (default 8). */
  readonly cmdqLog2?: number;
}

/** An SMMU over a sparse memory, programmed and enabled. */
export class Fixture {
  readonly mem = new SparseMemory().back(0, Layout.BACKED_END);
  readonly pool: PoolAllocator;
  readonly smmu: SmmuV3Model;
  private structs: number = Layout.STRUCTS;
  private readonly split: number | undefined;

  constructor(readonly options: FixtureOptions = {}) {
    this.pool = new PoolAllocator(this.mem, Layout.POOL, Layout.POOL_SIZE);
    this.smmu = new SmmuV3Model(this.mem, options);
    this.split = options.split;
    const s = this.smmu;
    const log2Size = options.log2Size ?? 8;
    s.writeRegister(SmmuReg.STRTAB_BASE, BigInt(Layout.STRTAB));
    s.writeRegister(SmmuReg.STRTAB_BASE_CFG, log2Size | ((options.split ?? 0) << 6) | ((options.split === undefined ? 0 : 1) << 16));
    s.writeRegister(SmmuReg.CMDQ_BASE, BigInt(Layout.CMDQ | (options.cmdqLog2 ?? 8)));
    s.writeRegister(SmmuReg.CMDQ_PROD, 0);
    s.writeRegister(SmmuReg.CMDQ_CONS, 0);
    s.writeRegister(SmmuReg.EVENTQ_BASE, BigInt(Layout.EVENTQ | (options.eventqLog2 ?? 8)));
    s.writeRegister(SmmuReg.EVENTQ_PROD, 0);
    s.writeRegister(SmmuReg.EVENTQ_CONS, 0);
    s.writeRegister(SmmuReg.CR2, options.recinvsid === false ? 0 : Cr2.RECINVSID);
    s.writeRegister(SmmuReg.CR0, Cr0.SMMUEN | Cr0.CMDQEN | (options.eventq === false ? 0 : Cr0.EVENTQEN));
  }

  /** Bytes from the structures area, aligned to `align`. */
  structAlloc(size: number, align = 64): number {
    const a = Math.ceil(this.structs / align) * align;
    this.structs = a + size;
    return a;
  }

  /** The STE address of a StreamID; for a 2-level table, creates the L1STD and level-2 array on first use. */
  steAddress(sid: number): number {
    if (this.split === undefined) return Layout.STRTAB + sid * 64;
    const l1 = Layout.STRTAB + Math.floor(sid / 2 ** this.split) * 8;
    const words = new Uint32Array(2);
    words[0] = this.mem.read32(l1);
    words[1] = this.mem.read32(l1 + 4);
    let l2 = L1STD.getBig(words, 'L2Ptr');
    if ((words[0]! & 0x1f) === 0) {
      const bytes = 64 * 2 ** this.split;
      const base = this.structAlloc(bytes, bytes);
      l2 = BigInt(base);
      this.writeStruct(l1, L1STD.encode({ Span: this.split + 1, L2Ptr: l2 }));
    }
    return Number(l2) + (sid % 2 ** this.split) * 64;
  }

  /** Writes words at a PA. */
  writeStruct(address: number, words: Uint32Array, memory: PhysicalMemory = this.mem): void {
    if (!writeWords(memory, address, words)) throw new Error(`structure at 0x${address.toString(16)} is not backed`);
  }

  /** Writes an STE for a StreamID. */
  writeSte(sid: number, fields: Parameters<typeof STE.encode>[0]): number {
    const a = this.steAddress(sid);
    this.writeStruct(a, STE.encode(fields));
    return a;
  }

  /** Submits commands to the Command queue and writes CMDQ_PROD (which runs them). */
  cmd(...commands: CommandInput[]): void {
    this.rawCmd(...commands.map((c) => encodeCommand(c)));
  }

  /** Submits raw 4-word commands. */
  rawCmd(...commands: Uint32Array[]): void {
    const log2 = this.options.cmdqLog2 ?? 8;
    let prod = Number(this.smmu.readRegister(SmmuReg.CMDQ_PROD));
    for (const w of commands) {
      const index = prod % 2 ** log2;
      this.writeStruct(Layout.CMDQ + index * 16, w);
      prod = (prod + 1) % 2 ** (log2 + 1);
    }
    this.smmu.writeRegister(SmmuReg.CMDQ_PROD, prod);
  }

  /** CMD_CFGI_ALL, CMD_TLBI_NSNH_ALL, CMD_SYNC. */
  invalidateAll(): void {
    this.cmd({ name: 'CMD_CFGI_STE_RANGE', fields: { Range: 31 } }, { name: 'CMD_TLBI_NSNH_ALL' }, { name: 'CMD_SYNC' });
  }
}

/** A stage-1 page-table tree in `memory` (a PA memory, or a guest IPA view). */
export function stage1Tables(memory: PhysicalMemory, alloc: PoolAllocator, opts: Partial<Stage1Options> = {}): PageTableBuilder {
  const format = createStage1Format({ granuleBits: 12, tsz: 25, outputBits: 48, oasBits: 48, ...opts });
  return new PageTableBuilder(format, memory, alloc);
}

/** A stage-2 page-table tree in PA memory. */
export function stage2Tables(memory: PhysicalMemory, alloc: PoolAllocator, opts: Partial<Stage2Options> = {}): PageTableBuilder {
  const format = createStage2Format({ granuleBits: 12, t0sz: 25, sl0: 1, outputBits: 48, oasBits: 48, ...opts });
  return new PageTableBuilder(format, memory, alloc);
}

/** Read-write user mapping. */
export const RW: MapProt = { read: true, write: true, user: true };
/** Read-only user mapping. */
export const RO: MapProt = { read: true, write: false, user: true };

/** CD fields for a 4 KB-granule VMSAv8-64 CD with TTB0 only. */
export function cdFields(ttb0: number, asid: number, extra: Parameters<typeof CD.encode>[0] = {}): Parameters<typeof CD.encode>[0] {
  return { V: 1, AA64: 1, T0SZ: 25, TG0: tg0FromGranule(12), IPS: 5, EPD1: 1, TTB0: BigInt(ttb0), ASID: asid, R: 1, A: 1, ...extra };
}

/** STE fields for a stage-1 stream (Config 0b101). */
export function s1SteFields(contextPtr: number, extra: Parameters<typeof STE.encode>[0] = {}): Parameters<typeof STE.encode>[0] {
  return { V: 1, Config: 5, S1ContextPtr: BigInt(contextPtr), ...extra };
}

/** STE stage-2 fields for a 4 KB granule, T0SZ 25, SL0 1 (start level 1), 48-bit PS. */
export function s2SteFields(s2ttb: number, vmid: number, extra: Parameters<typeof STE.encode>[0] = {}): Parameters<typeof STE.encode>[0] {
  return { S2VMID: vmid, S2T0SZ: 25, S2SL0: 1, S2TG: 0, S2PS: 5, S2AA64: 1, S2R: 1, S2TTB: BigInt(s2ttb), ...extra };
}

/** An L1CD pointing at a level-2 CD table. */
export function l1cdWords(l2Ptr: number, valid = true): Uint32Array {
  return L1CD.encode({ V: valid ? 1 : 0, L2Ptr: BigInt(l2Ptr) });
}

/** A guest memory view: IPAs through a stage-2 builder onto the fixture's memory. */
export function guestView(fx: Fixture, s2: PageTableBuilder): TranslatedMemory {
  return new TranslatedMemory(fx.mem, (ipa) => s2.iovaToPhys(ipa));
}
