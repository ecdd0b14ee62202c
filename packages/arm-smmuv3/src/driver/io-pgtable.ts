/**
 * io-pgtable-style page tables for the SMMUv3 driver: a VMSAv8-64 stage-1 or stage-2 table tree built
 * with core's {@link PageTableBuilder} over the vmsa formats, plus the geometry fields the driver writes
 * into a CD (TTB0, T0SZ, TG0, IPS) or an STE (S2TTB, S2T0SZ, S2SL0, S2TG, S2PS) [SPEC 5.2, 5.4;
 * ARMARM D8.2]. Mappings use the largest block the granule allows (io-pgtable-arm does the same).
 *
 * Like Linux io-pgtable-arm, a stage-2 table starts one level lower with concatenated root tables when
 * at most 16 tables resolve the extra bits (e.g. a 40-bit IPA starts at level 1 with two tables instead
 * of at level 0).
 * @packageDocumentation
 */
import { IommuError, PageTableBuilder, type MapProt, type MappedLeaf, type PhysicalMemory, type TableAllocator } from '@viommu/core';
import { createStage1Format, createStage2Format, stage2GeometryValid, stage2StartLevelForSl0, type Stage1Format, type Stage2Format, type VmsaGranuleBits } from '../vmsa/index';

/** How to build one page table. */
export interface SmmuPageTableOptions {
  /** Stage 1 (VA → IPA/PA, walked from a CD) or stage 2 (IPA → PA, walked from an STE). */
  stage: 1 | 2;
  /** Input address bits: the VA size (64 − T0SZ) or the IPA size (64 − S2T0SZ). */
  inputBits: number;
  /** Effective output bits: the IPS / S2PS the driver programs (at most IDR5.OAS). */
  outputBits: number;
  /** SMMU_IDR5.OAS in bits (the implemented PA size). */
  oasBits: number;
  /** log2 of the granule; 12 (4 KB) unless told otherwise, as Linux prefers the CPU page size. */
  granuleBits?: VmsaGranuleBits;
}

/** What {@link SmmuPageTable.unmap} did. */
export interface UnmapResult {
  /** Bytes that were mapped and are now unmapped. */
  unmapped: number;
  /** The leaves that were mapped in the range (what the TLB may hold), in address order. */
  leaves: MappedLeaf[];
}

/** One page-table tree and the CD / STE geometry fields that describe it. */
export class SmmuPageTable {
  /** The vmsa format instance the tables are written in. */
  readonly format: Stage1Format | Stage2Format;
  /** The builder over the tables. */
  readonly builder: PageTableBuilder;
  /** Stage 1 or 2. */
  readonly stage: 1 | 2;
  /** log2 of the granule. */
  readonly granuleBits: VmsaGranuleBits;
  /** CD.T0SZ or STE.S2T0SZ: 64 − inputBits. */
  readonly tsz: number;
  /** STE.S2SL0 for stage 2 (the start level's encoding for the granule); 0 for stage 1. */
  readonly sl0: number;
  /** Effective output size in bits (CD.IPS / STE.S2PS decoded). */
  readonly outputBits: number;

  /**
   * @param memory where the tables live (host memory, or a guest's memory view).
   * @param allocator where table pages come from (in the same address space as `memory`).
   * @throws IommuError `ARGUMENT` when no usable geometry exists for the sizes.
   */
  constructor(
    readonly memory: PhysicalMemory,
    readonly allocator: TableAllocator,
    options: SmmuPageTableOptions,
  ) {
    this.stage = options.stage;
    this.granuleBits = options.granuleBits ?? 12;
    this.tsz = 64 - options.inputBits;
    this.outputBits = options.outputBits;
    if (options.stage === 1) {
      this.sl0 = 0;
      this.format = createStage1Format({ granuleBits: this.granuleBits, tsz: this.tsz, outputBits: options.outputBits, oasBits: options.oasBits });
    } else {
      this.sl0 = chooseStage2Sl0(this.granuleBits, this.tsz, options.oasBits);
      this.format = createStage2Format({ granuleBits: this.granuleBits, t0sz: this.tsz, sl0: this.sl0, outputBits: options.outputBits, oasBits: options.oasBits });
    }
    this.builder = new PageTableBuilder(this.format, memory, allocator);
  }

  /** The root table address: CD.TTB0 or STE.S2TTB (an address of `memory`). */
  get root(): number {
    return this.builder.root;
  }

  /** Input address bits. */
  get inputBits(): number {
    return 64 - this.tsz;
  }

  /**
   * Maps `[iova, iova + size)` → `[pa, pa + size)`. Stage-1 leaves are not global (nG = 1) unless
   * `prot.global` says so, as io-pgtable-arm writes them: each context's entries are then tagged by its
   * ASID, and two contexts mapping the same VA never share a TLB entry. @throws IommuError `MAP_*`
   */
  map(iova: number, pa: number, size: number, prot: MapProt): void {
    this.builder.map(iova, pa, size, this.stage === 1 ? { global: false, ...prot } : prot);
  }

  /**
   * Unmaps a range and returns the leaves that were mapped in it before (each clipped to the range, with
   * the leaf size it had), which is what the TLB may hold and the caller must invalidate.
   */
  unmap(iova: number, size: number): UnmapResult {
    const leaves = this.leavesIn(iova, size);
    const unmapped = this.builder.unmap(iova, size);
    return { unmapped, leaves };
  }

  /** The leaves (blocks or pages) mapped inside `[iova, iova + size)`, in address order. */
  leavesIn(iova: number, size: number): MappedLeaf[] {
    const out: MappedLeaf[] = [];
    const end = iova + size;
    let cursor: number | undefined = iova;
    while (cursor !== undefined && cursor < end) {
      const first = this.builder.firstMapped(cursor, end);
      if (first === undefined) break;
      const leaf = this.builder.lookup(first);
      if (!leaf) break;
      out.push(leaf);
      cursor = leaf.input + 2 ** leaf.shift;
    }
    return out;
  }

  /** The output address `iova` maps to, or undefined. */
  iovaToPhys(iova: number): number | undefined {
    return this.builder.iovaToPhys(iova);
  }
}

/**
 * The STE.S2SL0 for a stage-2 table: the deepest start level whose root is at most 16 concatenated
 * tables ([ARMARM] D8.2.7), which saves a level of walk wherever the architecture allows it.
 * @throws IommuError `ARGUMENT` when no SL0 is usable.
 */
export function chooseStage2Sl0(granule: VmsaGranuleBits, t0sz: number, oasBits: number): number {
  let best: number | undefined;
  let bestLevel = -1;
  for (let sl0 = 0; sl0 <= 3; sl0++) {
    if (!stage2GeometryValid(granule, t0sz, sl0, oasBits)) continue;
    // stage2GeometryValid already bounds the root to 16 concatenated tables.
    const level = stage2StartLevelForSl0(granule, sl0)!;
    if (level > bestLevel) {
      best = sl0;
      bestLevel = level;
    }
  }
  if (best === undefined) throw new IommuError('ARGUMENT', `no usable S2SL0 for a ${64 - t0sz}-bit IPA with a ${2 ** (granule - 10)}K granule`);
  return best;
}
