/**
 * The invalidation descriptors a driver issues after changing translation structures (VT-d spec §6.5,
 * §6.5.2), as typed {@link QiDescriptor} values for {@link InvalidationQueueDriver.submit}. Address ranges
 * become the naturally aligned 2^AM-page region covering them, falling back to a coarser granularity when
 * AM would exceed CAP.MAMV (or page-selective invalidation is not supported), as Linux's
 * `iommu_flush_iotlb_psi` does.
 * @packageDocumentation
 */
import { PasidGranularTranslationType, type QiDescriptor, type VtdCapabilities } from '../structures/index';

/** Context-cache invalidation of one device (type 1, G = 11b device-selective, FM = 0). */
export function contextCacheDevice(sid: number, did: number): QiDescriptor {
  return { type: 1, granularity: 'device', did, sid, fm: 0 };
}

/** Context-cache invalidation of everything (type 1, G = 01b). */
export function contextCacheGlobal(): QiDescriptor {
  return { type: 1, granularity: 'global', did: 0, sid: 0, fm: 0 };
}

/** IOTLB invalidation of everything (type 2, G = 01b). */
export function iotlbGlobal(): QiDescriptor {
  return { type: 2, granularity: 'global', drainWrites: false, drainReads: false, did: 0, am: 0, ih: false, address: 0n };
}

/** IOTLB invalidation of a domain (type 2, G = 10b): every translation tagged with `did`, whatever its PASID. */
export function iotlbDomain(did: number): QiDescriptor {
  return { type: 2, granularity: 'domain', drainWrites: false, drainReads: false, did, am: 0, ih: false, address: 0n };
}

/** A naturally aligned region of 2^am 4 KiB pages, as invalidation descriptors name one (ADDR, AM). */
export interface PageRegion {
  /** First byte, aligned to 2^(12 + am). */
  readonly address: number;
  /** Address mask: the region is 2^am pages. */
  readonly am: number;
}

/** The naturally aligned region of 2^am 4 KiB pages covering `[address, address + size)`. */
export function coveringRegion(address: number, size: number): PageRegion {
  const first = Math.floor(address / 4096);
  const last = Math.floor((address + Math.max(size, 1) - 1) / 4096);
  let am = 0;
  while (Math.floor(first / 2 ** am) !== Math.floor(last / 2 ** am)) am++;
  return { address: Math.floor(first / 2 ** am) * 2 ** am * 4096, am };
}

/**
 * IOTLB invalidation of a second-level range of a domain (type 2, G = 11b page-selective within domain),
 * or the whole domain when CAP.PSI is clear or the region needs AM > CAP.MAMV. `leaf` sets IH (only leaf
 * entries changed).
 */
export function iotlbRange(caps: VtdCapabilities, did: number, address: number, size: number, leaf = false): QiDescriptor {
  const r = coveringRegion(address, size);
  if (!caps.psi || r.am > caps.mamv) return iotlbDomain(did);
  return { type: 2, granularity: 'page', drainWrites: false, drainReads: false, did, am: r.am, ih: leaf, address: BigInt(r.address) };
}

/** PASID-cache invalidation of one PASID of a domain (type 7, G = 01b PASID-selective). */
export function pasidCachePasid(did: number, pasid: number): QiDescriptor {
  return { type: 7, granularity: 'pasid', did, pasid };
}

/** PASID-cache invalidation of every PASID entry tagged with `did` (type 7, G = 00b domain-selective). */
export function pasidCacheDomain(did: number): QiDescriptor {
  return { type: 7, granularity: 'domain', did, pasid: 0 };
}

/** PASID-cache invalidation of everything (type 7, G = 11b). */
export function pasidCacheGlobal(): QiDescriptor {
  return { type: 7, granularity: 'global', did: 0, pasid: 0 };
}

/** PASID-based IOTLB invalidation of all of a PASID's first-level / nested translations (type 6, G = 10b). */
export function pasidIotlbAll(did: number, pasid: number): QiDescriptor {
  return { type: 6, granularity: 'pasid', did, pasid, am: 0, ih: false, address: 0n };
}

/**
 * PASID-based IOTLB invalidation of a first-level range (type 6, G = 11b page-selective within PASID), or
 * of the whole PASID when the region needs AM > CAP.MAMV. `leaf` sets IH.
 */
export function pasidIotlbRange(caps: VtdCapabilities, did: number, pasid: number, address: number, size: number, leaf = false): QiDescriptor {
  const r = coveringRegion(address, size);
  if (r.am > caps.mamv) return pasidIotlbAll(did, pasid);
  return { type: 6, granularity: 'page', did, pasid, am: r.am, ih: leaf, address: BigInt(r.address) };
}

/**
 * What tearing down or replacing a present PASID entry needs (VT-d spec §6.5.2.4 / Linux
 * `intel_pasid_tear_down_entry`): the PASID-cache entry, then the IOTLB — PASID-based for first-level and
 * nested entries (whose translations are PASID-tagged), domain-selective for second-level-only and
 * pass-through ones (which type 6 does not reach).
 */
export function pasidEntryFlush(did: number, pasid: number, pgtt: number): QiDescriptor[] {
  const firstLevel = pgtt === PasidGranularTranslationType.FIRST_LEVEL || pgtt === PasidGranularTranslationType.NESTED;
  return [pasidCachePasid(did, pasid), firstLevel ? pasidIotlbAll(did, pasid) : iotlbDomain(did)];
}

/** Page-group response (type 9) answering a page request group. */
export function pageGroupResponse(rid: number, pasid: number | undefined, group: number, code: number): QiDescriptor {
  return {
    type: 9,
    pasidPresent: pasid !== undefined,
    privateDataPresent: false,
    responseCode: code,
    rid,
    pasid: pasid ?? 0,
    lastPageInGroup: true,
    prgIndex: group,
  };
}
