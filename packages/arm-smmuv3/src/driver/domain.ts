/**
 * The SMMUv3 vendor state of a domain: its type, its tags and its host-owned page table, and the
 * invalidations a driver issues after changing that table (Arm IHI0070 §4.4, §16.2):
 * - `blocked` and `identity` have no tables (STE abort / bypass);
 * - `paging` owns a stage-2 table tagged by a VMID (STE Config 0b110), or, with the plugin's
 *   `pagingStage: 1`, a stage-1 table tagged by an ASID under VMID 0 (Config 0b101, one CD per device);
 * - `nesting` owns a stage-2 table tagged by a VMID; a bound guest CD table adds stage 1 (Config 0b111).
 *
 * After an unmap: stage 1 → CMD_TLBI_NH_VA (ASID, VMID) per run of leaves; stage 2 →
 * CMD_TLBI_S2_IPA per run, and for a nesting domain CMD_TLBI_NH_ALL as well, because combined
 * stage-1 + stage-2 entries need not be dropped by an IPA invalidation (§4.4.3.1, as Linux does for
 * nesting parents); too many runs → CMD_TLBI_NH_ASID / CMD_TLBI_S12_VMALL; then CMD_SYNC.
 * @packageDocumentation
 */
import type { DomainType, MapProt, VendorDomain } from '@viommu/core';
import { encodeCommand } from '../structures/index';
import type { CdTableDriver } from './cd-table';
import type { SmmuV3HostDriver } from './host-driver';
import { SmmuPageTable } from './io-pgtable';
import { addressTlbiCommands, runsOfLeaves, type AddressTlbi } from './tlb-invalidation';

/** VMID the host's own stage-1 contexts are tagged with (Linux uses 0). */
export const HOST_STAGE1_VMID = 0;

/** Options for the tables of new domains. */
export interface DomainTableOptions {
  /** Which stage a `paging` domain translates with (default 2). */
  pagingStage: 1 | 2;
  /** Input bits of stage-2 tables: the IPA size (default MIN(IAS, 48)). */
  stage2InputBits: number;
  /** Input bits of host stage-1 tables: the VA size (default 48). */
  stage1InputBits: number;
}

/** The SMMUv3 state of one domain. */
export class SmmuV3Domain implements VendorDomain {
  /** VMID of a stage-2 or nesting domain (STE.S2VMID), else undefined. */
  readonly vmid: number | undefined;
  /** ASID of a stage-1 paging domain (CD.ASID), else undefined. */
  readonly asid: number | undefined;
  /** The host-owned page table (stage 2 of a paging or nesting domain; stage 1 of a stage-1 paging domain). */
  readonly table: SmmuPageTable | undefined;
  /** For stage-1 paging domains: each attached device's single-CD table. */
  readonly cdTables = new Map<number, CdTableDriver>();
  /** StreamIDs attached. */
  readonly devices = new Set<number>();

  /**
   * @param driver the host driver.
   * @param type the domain type.
   * @param id a number for messages.
   * @param options table geometry.
   */
  constructor(
    readonly driver: SmmuV3HostDriver,
    readonly type: DomainType,
    readonly id: number,
    options: DomainTableOptions,
  ) {
    const caps = driver.caps;
    const stage1 = type === 'paging' && options.pagingStage === 1;
    if (type === 'paging' || type === 'nesting') {
      if (stage1) {
        this.asid = driver.asids.allocate();
        this.table = new SmmuPageTable(driver.memory, driver.allocator, { stage: 1, inputBits: options.stage1InputBits, outputBits: caps.oasBits, oasBits: caps.oasBits });
      } else {
        this.vmid = driver.vmids.allocate();
        this.table = new SmmuPageTable(driver.memory, driver.allocator, { stage: 2, inputBits: options.stage2InputBits, outputBits: caps.oasBits, oasBits: caps.oasBits });
      }
    }
  }

  /** The table's stage, or 0 without a table. */
  get stage(): 0 | 1 | 2 {
    return this.table?.stage ?? 0;
  }

  map(iova: number, pa: number, size: number, prot: MapProt): void {
    this.table!.map(iova, pa, size, prot);
  }

  unmap(iova: number, size: number): number {
    const { unmapped, leaves } = this.table!.unmap(iova, size);
    if (leaves.length > 0) this.invalidateRuns(runsOfLeaves(leaves));
    return unmapped;
  }

  iovaToPhys(iova: number): number | undefined {
    return this.table?.iovaToPhys(iova);
  }

  /** Issues the TLB invalidation for changed leaves of the domain's own table, then CMD_SYNC. */
  private invalidateRuns(runs: ReturnType<typeof runsOfLeaves>): void {
    const d = this.driver;
    const stage1 = this.stage === 1;
    const t: AddressTlbi = stage1
      ? { name: 'CMD_TLBI_NH_VA', vmid: HOST_STAGE1_VMID, asid: this.asid! }
      : { name: 'CMD_TLBI_S2_IPA', vmid: this.vmid! };
    let commands = addressTlbiCommands(t, runs, d.rangeInvalidation, true);
    if (commands === undefined) {
      commands = [
        stage1
          ? encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: HOST_STAGE1_VMID, ASID: this.asid! } })
          : encodeCommand({ name: 'CMD_TLBI_S12_VMALL', fields: { VMID: this.vmid! } }),
      ];
    } else if (this.type === 'nesting') {
      commands.push(encodeCommand({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: this.vmid! } }));
    }
    d.submit(commands);
  }
}
