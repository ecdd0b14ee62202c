/**
 * The VT-d translation caches and their invalidation scopes (VT-d spec §6.2 "Translation Caches" and
 * §6.5 "Invalidation of Translation Caches"):
 * - the context cache, keyed by source-id (bus << 8 | devfn);
 * - the PASID cache, keyed by source-id and PASID and tagged with the DID of the cached PASID entry;
 * - the IOTLB, tagged by DID (domain tag) and PASID (sub-tag), holding combined translations with the
 *   level of their leaf. Requests without PASID in scalable mode are tagged with the context entry's
 *   RID_PASID, the PASID whose entry translated them, so PASID-based invalidation of RID_PASID drops them;
 *   legacy-mode entries use {@link LEGACY_SUBTAG}.
 *
 * Paging-structure caches are not modelled: every IOTLB miss walks from the root, which the architecture
 * allows (an implementation may cache less, never more). Entries leave a cache only through the
 * invalidation that covers them, or through eviction when a cache is full.
 * @packageDocumentation
 */
import { ConfigCache, Iotlb, NO_PASID, type IotlbEntry } from '@viommu/core';

/** IOTLB sub-tag of legacy-mode translations (outside the 20-bit PASID space). */
export const LEGACY_SUBTAG = 0x10_0000;

/** What every cached configuration value carries: the DID it is tagged with, if any. */
export interface DomainTagged {
  /** Domain-id tag; undefined for scalable-mode context entries, which hold no DID. */
  readonly did: number | undefined;
}

/** Capacities of the caches (entries); 0 disables a cache. */
export interface VtdCacheCapacities {
  /** Context-cache entries (default 256). */
  context?: number;
  /** PASID-cache entries (default 1024). */
  pasid?: number;
  /** IOTLB entries (default 4096). */
  iotlb?: number;
}

/** The three caches of one remapping unit with the invalidation operations the architecture defines. */
export class VtdCaches<C extends DomainTagged, P extends DomainTagged> {
  /** Context cache: device (source-id) → context entry view. */
  readonly context: ConfigCache<C>;
  /** PASID cache: (source-id, PASID) → PASID entry view. */
  readonly pasid: ConfigCache<P>;
  /** IOTLB: (DID, PASID, page) → combined translation. */
  readonly iotlb: Iotlb<IotlbEntry>;

  constructor(capacities: VtdCacheCapacities = {}) {
    this.context = new ConfigCache<C>(capacities.context ?? 256);
    this.pasid = new ConfigCache<P>(capacities.pasid ?? 1024);
    this.iotlb = new Iotlb<IotlbEntry>(capacities.iotlb ?? 4096);
  }

  /** The cached context of a source-id. */
  getContext(sid: number): C | undefined {
    return this.context.get(sid, NO_PASID);
  }

  /** Caches a context. */
  setContext(sid: number, value: C): void {
    this.context.set(sid, NO_PASID, value);
  }

  /** Context-cache invalidation, global (CCMD CIRG = 1, descriptor G = 1). Returns entries dropped. */
  invalidateContextGlobal(): number {
    return this.context.invalidateAll();
  }

  /**
   * Domain-selective context-cache invalidation (CIRG / G = 2). Scalable-mode context entries carry no DID,
   * so they are all dropped (over-invalidation is always permitted).
   */
  invalidateContextDomain(did: number): number {
    return this.context.invalidateWhere((_d, _p, v) => v.did === undefined || v.did === did);
  }

  /**
   * Device-selective context-cache invalidation (CIRG / G = 3): the source-ids equal to `sid` outside the
   * function bits FM masks (FM 1 masks SID[2], 2 masks SID[2:1], 3 masks SID[2:0]).
   */
  invalidateContextDevice(sid: number, fm: number): number {
    const masked = (0x7 << (3 - (fm & 3))) & 0x7;
    let n = 0;
    for (let f = 0; f <= masked; f++) {
      if ((f & ~masked) !== 0) continue;
      n += this.context.invalidateDevice((sid & ~masked) | f);
    }
    return n;
  }

  /** IOTLB invalidation, global (register IIRG = 1, descriptor type 2 G = 1). */
  invalidateIotlbGlobal(): number {
    return this.iotlb.invalidateAll();
  }

  /** Domain-selective IOTLB invalidation: every entry of the DID, whatever its PASID. */
  invalidateIotlbDomain(did: number): number {
    return this.iotlb.invalidateDomain(did);
  }

  /**
   * Page-selective-within-domain IOTLB invalidation (register IIRG = 3, descriptor type 2 G = 3): entries
   * of the DID overlapping the 2^(12 + AM)-byte region holding `address`. In scalable mode this descriptor
   * names a second-level input address, so entries caching first-level or nested translations of the DID
   * are dropped whole (VT-d spec §6.5.2.3).
   */
  invalidateIotlbPage(did: number, address: number, am: number): number {
    const { start, size } = region(address, am);
    let n = this.iotlb.invalidateRange(did, undefined, { start, size });
    n += this.iotlb.invalidateWhere((_d, _s, e) => e.hasStage1, { domainTag: did });
    return n;
  }

  /**
   * PASID-selective-within-domain PASID-based IOTLB invalidation (type 6, G = 2): entries of the DID and
   * PASID that cache first-level or nested translations (§6.5.2.4: second-level-only and pass-through
   * translations are untouched).
   */
  invalidatePasidIotlb(did: number, pasid: number): number {
    return this.iotlb.invalidateWhere((_d, _s, e) => e.hasStage1, { domainTag: did, subTag: pasid });
  }

  /** Page-selective-within-PASID PASID-based IOTLB invalidation (type 6, G = 3). */
  invalidatePasidIotlbPage(did: number, pasid: number, address: number, am: number): number {
    const { start, size } = region(address, am);
    const end = start + size;
    return this.iotlb.invalidateWhere((_d, _s, e) => e.hasStage1 && e.input < end && e.input + 2 ** e.pageShift > start, {
      domainTag: did,
      subTag: pasid,
    });
  }

  /** PASID-cache invalidation, domain-selective (type 7, G = 0): every PASID entry tagged with the DID. */
  invalidatePasidCacheDomain(did: number): number {
    return this.pasid.invalidateWhere((_d, _p, v) => v.did === did);
  }

  /** PASID-cache invalidation, PASID-selective within domain (type 7, G = 1). */
  invalidatePasidCachePasid(did: number, pasid: number): number {
    return this.pasid.invalidateWhere((_d, p, v) => p === pasid && v.did === did);
  }

  /** PASID-cache invalidation, global (type 7, G = 3). */
  invalidatePasidCacheGlobal(): number {
    return this.pasid.invalidateAll();
  }
}

/** The naturally aligned region of 2^(12 + am) bytes holding `address`. */
function region(address: number, am: number): { start: number; size: number } {
  const size = 2 ** (12 + am);
  return { start: Math.floor(address / size) * size, size };
}
