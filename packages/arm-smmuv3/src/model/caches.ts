/**
 * The model's caches (§16.2 example layout): an STE cache and an L1STD cache indexed by StreamID, a CD
 * cache indexed by StreamID and CD-table index, an L1CD cache indexed by StreamID and L1 index, and one
 * combined (stage 1 + stage 2) IOTLB tagged as {@link TlbDomain} describes. Structures are cached as
 * fetched (valid or not, see {@link CachedSte}); only successful translations enter the IOTLB. Entries
 * leave only through the invalidation methods here (called by the Command queue), or by capacity
 * eviction, which the architecture always allows.
 * @packageDocumentation
 */
import { ConfigCache, GLOBAL_SUBTAG, Iotlb, NO_PASID, type IotlbEntry, type RangeInvalidation } from '@viommu/core';
import type { CachedCd, CachedL1Cd, CachedL1Std, CachedSte } from './config-types';
import { TlbDomain } from './tlb-tags';

/** An IOTLB entry: a combined translation plus what invalidation needs to match it. */
export interface SmmuTlbEntry extends IotlbEntry {
  /**
   * First input address (IOTLB key space) of the stage-1 leaf this entry was built from; for stage-2-only
   * entries the stage-2 leaf. Address-based invalidation matches this span, not the (possibly smaller)
   * combined page: "an entry of a combined cache is invalidated if any part of the entry would have been
   * invalidated … on a discrete cache" (§16.2.1).
   */
  readonly leafBase: number;
  /** log2 of the size of that leaf. */
  readonly leafShift: number;
  /** Architectural level of the stage-1 leaf, or −1 without stage 1 (`level` holds the stage-1 level, or the stage-2 level for stage-2-only entries). */
  readonly s1Level: number;
  /** Architectural level of the stage-2 leaf of the final IPA, or −1 without stage 2. */
  readonly s2Level: number;
  /** Stage-1 leaf attributes (VMSA `attrs`). */
  readonly attrs1: number;
  /** Stage-2 leaf attributes (VMSA `attrs`). */
  readonly attrs2: number;
}

/** Which L1CD key an index uses: the two two-level CD formats split the SubstreamID at different bits. */
export function l1cdKey(fmt: number, ssid: number): number {
  return fmt === 2 ? 0x20_0000 + Math.floor(ssid / 1024) : 0x10_0000 + Math.floor(ssid / 64);
}

/** All the caches of one SMMU. */
export class SmmuCaches {
  /** STEs by StreamID (pasid key {@link NO_PASID}). */
  readonly ste: ConfigCache<CachedSte>;
  /** L1STDs by L1 index = StreamID >> SPLIT (pasid key NO_PASID). */
  readonly l1std: ConfigCache<CachedL1Std>;
  /** CDs by StreamID and CD-table index. */
  readonly cd: ConfigCache<CachedCd>;
  /** L1CDs by StreamID and {@link l1cdKey}. */
  readonly l1cd: ConfigCache<CachedL1Cd>;
  /** The combined IOTLB. */
  readonly tlb: Iotlb<SmmuTlbEntry>;

  /**
   * @param configCapacity capacity of each configuration cache.
   * @param tlbCapacity capacity of the IOTLB.
   */
  constructor(configCapacity: number, tlbCapacity: number) {
    this.ste = new ConfigCache(configCapacity);
    this.l1std = new ConfigCache(configCapacity);
    this.cd = new ConfigCache(configCapacity);
    this.l1cd = new ConfigCache(configCapacity);
    this.tlb = new Iotlb(tlbCapacity);
  }

  // ---- configuration invalidation (§4.3) ----

  /** CMD_CFGI_STE: the STE, every CD and L1CD cached through it, and with Leaf == 0 the L1STD walked (§4.3.1). */
  invalidateSte(sid: number, leaf: boolean, split: number | undefined): void {
    this.ste.invalidateEntry(sid, NO_PASID);
    this.cd.invalidateDevice(sid);
    this.l1cd.invalidateDevice(sid);
    if (!leaf && split !== undefined) this.l1std.invalidateEntry(Math.floor(sid / 2 ** split), NO_PASID);
  }

  /**
   * CMD_CFGI_STE_RANGE: the aligned span of 2^(range+1) StreamIDs, their CDs and L1CDs, and the L1STDs
   * walked to reach them (§4.3.2); Range == 31 is CMD_CFGI_ALL (§4.3.6).
   */
  invalidateSteRange(sid: number, range: number, split: number | undefined): void {
    if (range >= 31) {
      this.invalidateAllConfig();
      return;
    }
    const span = 2 ** (range + 1);
    const base = Math.floor(sid / span) * span;
    const inSpan = (device: number) => device >= base && device < base + span;
    this.ste.invalidateWhere((d) => inSpan(d));
    this.cd.invalidateWhere((d) => inSpan(d));
    this.l1cd.invalidateWhere((d) => inSpan(d));
    if (split === undefined) return;
    const first = Math.floor(base / 2 ** split);
    const last = Math.floor((base + span - 1) / 2 ** split);
    this.l1std.invalidateWhere((d) => d >= first && d <= last);
  }

  /** Everything in the configuration caches (CMD_CFGI_ALL). */
  invalidateAllConfig(): void {
    this.ste.invalidateAll();
    this.l1std.invalidateAll();
    this.cd.invalidateAll();
    this.l1cd.invalidateAll();
  }

  /** CMD_CFGI_CD: the CD at index `ssid` of the StreamID's table, and with Leaf == 0 the L1CD locating it (§4.3.3). */
  invalidateCd(sid: number, ssid: number, leaf: boolean): void {
    this.cd.invalidateEntry(sid, ssid);
    if (!leaf) {
      this.l1cd.invalidateEntry(sid, l1cdKey(1, ssid));
      this.l1cd.invalidateEntry(sid, l1cdKey(2, ssid));
    }
  }

  /** CMD_CFGI_CD_ALL: every CD and L1CD cached through the StreamID (§4.3.4). */
  invalidateCdAll(sid: number): void {
    this.cd.invalidateDevice(sid);
    this.l1cd.invalidateDevice(sid);
  }

  // ---- TLB invalidation (§4.4) ----

  /** Every entry of a domain tag (CMD_TLBI_NH_ALL, CMD_TLBI_EL2_ALL, half of CMD_TLBI_S12_VMALL). */
  invalidateTlbDomain(domain: number): void {
    this.tlb.invalidateDomain(domain);
  }

  /** The non-global entries of an ASID in a domain (CMD_TLBI_NH_ASID, CMD_TLBI_EL2_ASID). */
  invalidateTlbAsid(domain: number, asid: number): void {
    this.tlb.invalidateSubTag(domain, asid);
  }

  /**
   * Entries whose leaf (see {@link SmmuTlbEntry.leafBase}) overlaps an input range in a domain: of one
   * ASID plus the global entries (`asid` given: CMD_TLBI_NH_VA), or of every ASID (`asid` undefined:
   * CMD_TLBI_NH_VAA, CMD_TLBI_S2_IPA on the stage-2-only domain). `range.level` keeps only leaves of that
   * level (the TTL hint).
   */
  invalidateTlbRange(domain: number, asid: number | undefined, range: RangeInvalidation): void {
    const end = range.start + range.size;
    this.tlb.invalidateWhere((d, sub, e) => {
      if (d !== domain) return false;
      if (asid !== undefined && sub !== asid && sub !== GLOBAL_SUBTAG) return false;
      if (range.level !== undefined && e.level !== range.level) return false;
      return e.leafBase < end && e.leafBase + 2 ** e.leafShift > range.start;
    });
  }

  /** Every entry except the NS-EL2 ones (CMD_TLBI_NSNH_ALL, §4.4.4.1). */
  invalidateTlbAllNonHyp(): void {
    this.tlb.invalidateWhere((domain) => domain !== TlbDomain.EL2);
  }

  /** Drops everything (reset). */
  invalidateEverything(): void {
    this.invalidateAllConfig();
    this.tlb.invalidateAll();
  }
}

