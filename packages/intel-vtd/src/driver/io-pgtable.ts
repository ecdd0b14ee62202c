/**
 * io-pgtable style page tables for the driver: a core {@link PageTableBuilder} over the VT-d paging
 * formats. `map` uses the largest page the format allows wherever input, output and size are aligned
 * (second level: 2 MiB / 1 GiB with CAP.SLLPS; first level: 2 MiB, and 1 GiB with CAP.FL1GP).
 * @packageDocumentation
 */
import { IommuError, PageTableBuilder, type PhysicalMemory, type TableAllocator } from '@viommu/core';
import { createFirstLevelFormat, createSecondLevelFormat, type FirstLevelFormat, type SecondLevelFormat } from '../paging/index';
import { agawOfAw, sagawSupportsAw, type VtdCapabilities } from '../structures/index';

/** A second-level table with the AW its context / PASID entries must carry. */
export interface SecondLevelPageTable {
  /** The builder (map / unmap / iovaToPhys; `root` is the SLPTPTR). */
  readonly builder: PageTableBuilder;
  /** The format instance. */
  readonly format: SecondLevelFormat;
  /** AW value for the context / PASID entry: the table has 2 + AW levels. */
  readonly aw: number;
}

/** CAP.SLLPS as the second-level format takes it: bit 0 2 MiB, bit 1 1 GiB. */
export function sllpsOf(caps: VtdCapabilities): number {
  return (caps.sl2MPages ? 1 : 0) | (caps.sl1GPages ? 2 : 0);
}

/**
 * The AW a driver uses for second-level tables: the smallest CAP.SAGAW width that covers CAP.MGAW + 1
 * (every input the hardware accepts), else the widest supported one — Linux's choice of the domain AGAW.
 * @throws IommuError `ARGUMENT` when CAP.SAGAW reports no 3-, 4- or 5-level width.
 */
export function secondLevelAw(caps: VtdCapabilities): number {
  const usable = [1, 2, 3].filter((aw) => sagawSupportsAw(caps, aw));
  if (usable.length === 0) throw new IommuError('ARGUMENT', 'CAP.SAGAW reports no 39-, 48- or 57-bit second-level width');
  return usable.find((aw) => agawOfAw(aw) >= caps.mgawBits) ?? usable[usable.length - 1]!;
}

/**
 * A new, empty second-level table in `memory` for hardware with `caps` and host address width `haw`.
 * `leafSnp` (scalable mode, or legacy with ECAP.SC) lets leaves carry SNP; the driver never sets it.
 */
export function createSecondLevelPageTable(
  caps: VtdCapabilities,
  haw: number,
  memory: PhysicalMemory,
  allocator: TableAllocator,
  leafSnp: boolean,
): SecondLevelPageTable {
  const aw = secondLevelAw(caps);
  const format = createSecondLevelFormat({
    levels: (2 + aw) as 3 | 4 | 5,
    mgawBits: caps.mgawBits,
    hawBits: haw,
    sllps: sllpsOf(caps),
    leafSnp,
  });
  return { builder: new PageTableBuilder(format, memory, allocator), format, aw };
}

/** Options of {@link createFirstLevelPageTable}. */
export interface FirstLevelPageTableOptions {
  /** 4 (FLPM = 0) or 5 (FLPM = 1, needs CAP.FL5LP). */
  levels: 4 | 5;
  /** Width of the addresses the entries hold (the host's HAW, or a guest's physical width). */
  addressBits: number;
  /** CAP.FL1GP of the hardware that will walk it (1 GiB pages). */
  fl1gp: boolean;
  /** The PASID entry will set NXE: leaves mapped without `exec` get XD. */
  nxe?: boolean;
}

/** A first-level table. */
export interface FirstLevelPageTable {
  /** The builder (`root` is the FLPTPTR). */
  readonly builder: PageTableBuilder;
  /** The format instance. */
  readonly format: FirstLevelFormat;
}

/** A new, empty first-level (IA-32e) table in `memory` (host memory, or a guest memory view). */
export function createFirstLevelPageTable(memory: PhysicalMemory, allocator: TableAllocator, options: FirstLevelPageTableOptions): FirstLevelPageTable {
  const format = createFirstLevelFormat({ levels: options.levels, hawBits: options.addressBits, fl1gp: options.fl1gp, nxe: options.nxe ?? false });
  return { builder: new PageTableBuilder(format, memory, allocator), format };
}
