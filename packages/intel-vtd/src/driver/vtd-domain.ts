/**
 * A VT-d domain's vendor state: its domain-id and, for paging and nesting domains, the second-level table
 * (IOVA → HPA, or GPA → HPA for a nesting domain) that `map` / `unmap` edit io-pgtable style, with the IOTLB
 * invalidation a driver issues after an unmap (and after a map in caching mode).
 * @packageDocumentation
 */
import { IommuError, type DomainType, type MapProt, type VendorDomain } from '@viommu/core';
import type { VtdHostDriver } from './host-driver';
import type { SecondLevelPageTable } from './io-pgtable';

/** A VT-d domain. */
export class VtdDomain implements VendorDomain {
  /** Domain-id tagging the domain's translations; undefined for a blocked domain. */
  readonly did: number | undefined;
  /** The second-level table (paging and nesting domains). */
  readonly table: SecondLevelPageTable | undefined;

  /** @internal created by {@link VtdIommu.createDomain}. */
  constructor(
    /** The domain type. */
    readonly type: DomainType,
    private readonly driver: VtdHostDriver,
  ) {
    this.did = type === 'blocked' ? undefined : driver.dids.allocate();
    this.table = type === 'paging' || type === 'nesting' ? driver.createSecondLevel() : undefined;
  }

  private pageTable(): SecondLevelPageTable {
    if (!this.table) throw new IommuError('DOMAIN_TYPE', `a ${this.type} domain has no page tables`);
    return this.table;
  }

  /** Maps with the largest second-level pages that fit; in caching mode invalidates the range afterwards. */
  map(iova: number, pa: number, size: number, prot: MapProt): void {
    this.pageTable().builder.map(iova, pa, size, prot);
    if (this.driver.caps.cm) this.driver.flushSecondLevel(this.did!, iova, size);
  }

  /** Unmaps, then invalidates the IOTLB for the range (page-selective within the domain, or the domain). */
  unmap(iova: number, size: number): number {
    const n = this.pageTable().builder.unmap(iova, size);
    if (n > 0) this.driver.flushSecondLevel(this.did!, iova, size);
    return n;
  }

  /** The host physical address `iova` maps to. */
  iovaToPhys(iova: number): number | undefined {
    return this.table?.builder.iovaToPhys(iova);
  }
}
