/**
 * Execution of invalidation-queue descriptors (VT-d spec §6.5.2): decoding with the structures'
 * `decodeQiDescriptor`, rejecting malformed descriptors (unknown type, reserved bits, reserved granularity,
 * and in 256-bit mode a non-zero upper half for types 1–8) with their IQERCD.IQEI value, and applying valid
 * ones to the caches.
 *
 * Device-TLB (types 3 and 8) and interrupt-entry-cache (type 4) invalidations are accepted and do nothing:
 * this model has no device-TLBs (ATS) and no interrupt remapping. Page-group responses (type 9) are accepted
 * and handed to the caller.
 * @packageDocumentation
 */
import type { PhysicalMemory } from '@viommu/core';
import { decodeQiDescriptor, isQiDescriptorInvalid, type VtdCapabilities } from '../structures/index';
import type { VtdCaches, DomainTagged } from './caches';

/** A page-group response the queue delivered (type 9). */
export interface PageGroupResponse {
  /** Requester-ID (RID) of the device. */
  readonly requesterId: number;
  /** The PASID, when PP = 1. */
  readonly pasid: number | undefined;
  /** Page request group index (PRGI). */
  readonly group: number;
  /** Last page in group (LPIG). */
  readonly last: boolean;
  /** Response code (RC): 0 success, 1 invalid request, 0xF failure. */
  readonly code: number;
}

/** What descriptor execution acts on. */
export interface DescriptorTarget<C extends DomainTagged, P extends DomainTagged> {
  /** Memory written by wait descriptors with SW = 1. */
  readonly memory: PhysicalMemory;
  /** Decoded CAP/ECAP (PSI and MAMV decide how page-selective requests are honoured). */
  readonly caps: VtdCapabilities;
  /** The caches. */
  readonly caches: VtdCaches<C, P>;
  /** Completes a wait descriptor with IF = 1. */
  signalCompletion(): void;
  /** Receives page-group responses. */
  pageGroupResponse(response: PageGroupResponse): void;
}

/**
 * Executes one descriptor (`words`: 4 or 8 32-bit words) decoded with the structures' `decodeQiDescriptor`.
 * Returns 0, or the IQEI value of the error that makes hardware stop the queue with FSTS.IQE set.
 */
export function executeDescriptor<C extends DomainTagged, P extends DomainTagged>(
  target: DescriptorTarget<C, P>,
  words: Uint32Array,
  wide: boolean,
): number {
  const d = decodeQiDescriptor(words, wide);
  if (isQiDescriptorInvalid(d)) return d.iqei;
  const { caches, caps } = target;
  switch (d.type) {
    case 1:
      if (d.granularity === 'global') caches.invalidateContextGlobal();
      else if (d.granularity === 'domain') caches.invalidateContextDomain(d.did);
      else caches.invalidateContextDevice(d.sid, d.fm);
      return 0;
    case 2:
      if (d.granularity === 'global') caches.invalidateIotlbGlobal();
      else if (d.granularity === 'domain') caches.invalidateIotlbDomain(d.did);
      // Page-selective only with CAP.PSI and AM within CAP.MAMV; otherwise the whole domain (the actual
      // granularity a register-based request would report).
      else if (!caps.psi || d.am > caps.mamv) caches.invalidateIotlbDomain(d.did);
      else caches.invalidateIotlbPage(d.did, Number(d.address), d.am);
      return 0;
    case 6:
      if (d.granularity === 'pasid' || d.am > caps.mamv) caches.invalidatePasidIotlb(d.did, d.pasid);
      else caches.invalidatePasidIotlbPage(d.did, d.pasid, Number(d.address), d.am);
      return 0;
    case 7:
      if (d.granularity === 'domain') caches.invalidatePasidCacheDomain(d.did);
      else if (d.granularity === 'pasid') caches.invalidatePasidCachePasid(d.did, d.pasid);
      else caches.invalidatePasidCacheGlobal();
      return 0;
    case 5:
      // A status write that aborts is lost: the architecture defines no error for it.
      if (d.statusWrite) target.memory.write32(Number(d.statusAddress), d.statusData);
      if (d.interruptFlag) target.signalCompletion();
      return 0;
    case 9:
      target.pageGroupResponse({
        requesterId: d.rid,
        pasid: d.pasidPresent ? d.pasid : undefined,
        group: d.prgIndex,
        last: d.lastPageInGroup,
        code: d.responseCode,
      });
      return 0;
    default:
      // Device-TLB (3, 8) and interrupt-entry-cache (4) invalidations: nothing is cached for them.
      return 0;
  }
}
