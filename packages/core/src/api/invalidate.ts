/**
 * Generic cache invalidation as the merged uapi defined it (`iommu_cache_invalidate_info`): which caches,
 * at which granularity, with PASID / address selectors. Vendors translate a checked request into their
 * native commands or descriptors.
 * @packageDocumentation
 */
import { IommuError } from '../errors';

/** Cache bits for {@link CacheInvalidateInfo.cache}. */
export const CacheType = {
  /** IOMMU TLB (`IOMMU_CACHE_INV_TYPE_IOTLB`, 1 << 0). */
  IOTLB: 1,
  /** Device TLB / ATC (`IOMMU_CACHE_INV_TYPE_DEV_IOTLB`, 1 << 1). */
  DEV_IOTLB: 2,
  /** PASID (context-descriptor) cache (`IOMMU_CACHE_INV_TYPE_PASID`, 1 << 2). */
  PASID: 4,
} as const;

/** Granularity of an invalidation. */
export type InvalidateGranularity = 'domain' | 'pasid' | 'addr';

/** Flags of {@link PasidSelector} and {@link AddrSelector}. */
export const InvalidateFlags = {
  /** The `pasid` field is valid. */
  PASID: 1,
  /** The `archid` field (ASID / DID) is valid. */
  ARCHID: 2,
  /** Only leaf entries need invalidating (addr granularity only). */
  LEAF: 4,
} as const;

/** PASID-selective invalidation. */
export interface PasidSelector {
  /** {@link InvalidateFlags} PASID / ARCHID. */
  flags: number;
  /** Architecture-specific id (SMMUv3 ASID, VT-d DID). */
  archid: number;
  /** PASID / SubstreamID. */
  pasid: number;
}

/** Address-selective invalidation. */
export interface AddrSelector {
  /** {@link InvalidateFlags} PASID / ARCHID / LEAF. */
  flags: number;
  /** Architecture-specific id. */
  archid: number;
  /** PASID / SubstreamID. */
  pasid: number;
  /** First address (aligned to `granuleSize`). */
  addr: number;
  /** Granule size in bytes: a power of two, at least 4096. */
  granuleSize: number;
  /** Number of granules, at least 1. */
  nbGranules: number;
}

/** A generic invalidation request. */
export interface CacheInvalidateInfo {
  /** API version, 1. */
  version: number;
  /** {@link CacheType} bits. */
  cache: number;
  /** Granularity. */
  granularity: InvalidateGranularity;
  /** For `pasid` granularity. */
  pasidInfo?: PasidSelector;
  /** For `addr` granularity. */
  addrInfo?: AddrSelector;
}

/**
 * Checks an invalidation request, rejecting what the uapi rejects: an unknown version, cache type or
 * granularity; DOMAIN granularity with the device TLB; ADDR granularity with the PASID cache; a missing or
 * malformed selector.
 * @throws IommuError `INVALIDATE_COMBINATION` or `INVALIDATE_ARGUMENT`
 */
export function checkCacheInvalidate(info: CacheInvalidateInfo, pasidBits: number): void {
  if (info.version !== 1) throw new IommuError('INVALIDATE_ARGUMENT', `unknown invalidation version ${info.version}`);
  if (!Number.isInteger(info.cache) || info.cache <= 0 || (info.cache & ~7) !== 0) {
    throw new IommuError('INVALIDATE_ARGUMENT', `cache ${info.cache} names no or unknown caches`);
  }
  if (!['domain', 'pasid', 'addr'].includes(info.granularity)) {
    throw new IommuError('INVALIDATE_ARGUMENT', `unknown granularity ${String(info.granularity)}`);
  }
  if (info.granularity === 'domain' && info.cache & CacheType.DEV_IOTLB) {
    throw new IommuError('INVALIDATE_COMBINATION', 'domain granularity is invalid for the device TLB');
  }
  if (info.granularity === 'addr' && info.cache & CacheType.PASID) {
    throw new IommuError('INVALIDATE_COMBINATION', 'address granularity is invalid for the PASID cache');
  }
  const checkPasid = (flags: number, pasid: number) => {
    if ((flags & InvalidateFlags.PASID) !== 0 && (!Number.isInteger(pasid) || pasid < 0 || pasid >= 2 ** pasidBits)) {
      throw new IommuError('INVALIDATE_ARGUMENT', `pasid ${pasid} is outside ${pasidBits} bits`);
    }
  };
  if (info.granularity === 'pasid') {
    const p = info.pasidInfo;
    if (!p) throw new IommuError('INVALIDATE_ARGUMENT', 'pasid granularity needs pasidInfo');
    if ((p.flags & ~3) !== 0 || (p.flags & 3) === 0) {
      throw new IommuError('INVALIDATE_ARGUMENT', `pasidInfo.flags ${p.flags} must select PASID and/or ARCHID only`);
    }
    checkPasid(p.flags, p.pasid);
  }
  if (info.granularity === 'addr') {
    const a = info.addrInfo;
    if (!a) throw new IommuError('INVALIDATE_ARGUMENT', 'addr granularity needs addrInfo');
    if ((a.flags & ~7) !== 0) throw new IommuError('INVALIDATE_ARGUMENT', `addrInfo.flags ${a.flags} has unknown bits`);
    checkPasid(a.flags, a.pasid);
    const g = a.granuleSize;
    if (!Number.isSafeInteger(g) || g < 4096 || !Number.isInteger(Math.log2(g))) {
      throw new IommuError('INVALIDATE_ARGUMENT', `granuleSize ${g} is not a power of two ≥ 4096`);
    }
    if (!Number.isSafeInteger(a.nbGranules) || a.nbGranules < 1) {
      throw new IommuError('INVALIDATE_ARGUMENT', `nbGranules ${a.nbGranules} must be ≥ 1`);
    }
    if (!Number.isSafeInteger(a.addr) || a.addr < 0 || a.addr % g !== 0) {
      throw new IommuError('INVALIDATE_ARGUMENT', `addr 0x${a.addr.toString(16)} is not aligned to the granule`);
    }
  }
}
