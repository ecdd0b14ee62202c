/**
 * A bounded IOTLB keyed by two vendor tags and the page: `domainTag` (SMMUv3 VMID, VT-d DID) and `subTag`
 * (SMMUv3 ASID, VT-d PASID; {@link GLOBAL_SUBTAG} for global entries). Entries hold the combined
 * (stage 1 + stage 2) translation. Entries live in per-tag buckets, so invalidating a tag costs in
 * proportion to the entries it drops, never to the size of the cache.
 * @packageDocumentation
 */

/** The sub-tag global entries (ARM nG = 0) are filed under; looked up for every sub-tag of a domain. */
export const GLOBAL_SUBTAG = -1;

/** What an IOTLB entry holds. Vendors may extend it. */
export interface IotlbEntry {
  /** Input address of the page (aligned to 2^pageShift). */
  input: number;
  /** Output address of the page. */
  output: number;
  /** log2 of the page size. */
  pageShift: number;
  /**
   * Permissions a hit may serve ({@link Perm} bits): a format clears rights whose use still needs a walk
   * (a write to a clean page needs a D update), so such an access misses and walks.
   */
  permitted: number;
  /**
   * Permissions the translation grants, reported to the requester on a hit (defaults to `permitted`); may
   * exceed `permitted` by the rights that still need a walk.
   */
  granted?: number;
  /** Architectural level of the leaf (for TTL-hinted and leaf-only invalidation); -1 unknown. */
  level: number;
  /** The IPA of the page (stage-1 output), for stage-2 invalidation by IPA. */
  ipa: number;
  /** Entry has a stage-2 part (nested or stage-2-only). */
  hasStage2: boolean;
  /** Entry has a stage-1 part. */
  hasStage1: boolean;
}

interface Bucket<E extends IotlbEntry> {
  entries: Map<number, E>;
  /** Page shifts present, ascending. */
  shifts: number[];
}

/** Options of a range invalidation. */
export interface RangeInvalidation {
  /** First byte of the range. */
  start: number;
  /** Length in bytes. */
  size: number;
  /** Drop only entries whose leaf level equals this (TTL hint); undefined drops any level. */
  level?: number;
  /** Match entries by their IPA instead of their input address (stage-2 invalidation by IPA). */
  byIpa?: boolean;
}

/** 2^-n for n = 0..64: multiplying by it divides exactly, without `Math.pow` (slow with a variable exponent). */
const INV_POW2 = Float64Array.from({ length: 65 }, (_, n) => 2 ** -n);

/** The map key of the page of size 2^shift holding `input`: its page number × 64 + shift. */
function keyOf(input: number, shift: number): number {
  const scale = shift <= 64 ? INV_POW2[shift]! : 2 ** -shift;
  return Math.floor(input * scale) * 64 + shift;
}

/** The entry of a bucket covering `address`, trying each page size present. */
function probe<E extends IotlbEntry>(b: Bucket<E>, address: number): E | undefined {
  const shifts = b.shifts;
  for (let i = 0; i < shifts.length; i++) {
    const e = b.entries.get(keyOf(address, shifts[i]!));
    if (e !== undefined) return e;
  }
  return undefined;
}

/** A bounded, tag-bucketed IOTLB. */
export class Iotlb<E extends IotlbEntry = IotlbEntry> {
  private readonly domains = new Map<number, Map<number, Bucket<E>>>();
  private count = 0;
  private lastDomain = NaN;
  private lastSub = NaN;
  private lastBucket: Bucket<E> | undefined;
  private lastGlobal: Bucket<E> | undefined;

  /** @param capacity maximum number of entries; the oldest bucket's oldest entry goes first when full. */
  constructor(readonly capacity = 65536) {}

  /** Number of entries held. */
  get size(): number {
    return this.count;
  }

  private bucket(domainTag: number, subTag: number, create: boolean): Bucket<E> | undefined {
    let subs = this.domains.get(domainTag);
    if (!subs) {
      if (!create) return undefined;
      subs = new Map();
      this.domains.set(domainTag, subs);
    }
    let b = subs.get(subTag);
    if (!b && create) {
      b = { entries: new Map(), shifts: [] };
      subs.set(subTag, b);
    }
    return b;
  }

  /** The entry translating `address` under the tags (checking global entries of the domain too). */
  lookup(domainTag: number, subTag: number, address: number): E | undefined {
    if (domainTag !== this.lastDomain || subTag !== this.lastSub) this.remember(domainTag, subTag);
    const b = this.lastBucket;
    if (b !== undefined) {
      const e = probe(b, address);
      if (e !== undefined) return e;
    }
    const g = this.lastGlobal;
    return g === undefined ? undefined : probe(g, address);
  }

  /** Memoises the buckets of a tag pair: lookups come in runs with the same tags. */
  private remember(domainTag: number, subTag: number): void {
    this.lastDomain = domainTag;
    this.lastSub = subTag;
    this.lastBucket = this.bucket(domainTag, subTag, false);
    this.lastGlobal = subTag === GLOBAL_SUBTAG ? undefined : this.bucket(domainTag, GLOBAL_SUBTAG, false);
  }

  /** Inserts (or replaces) an entry; evicts the oldest entry when full. */
  insert(domainTag: number, subTag: number, entry: E): void {
    if (this.capacity <= 0) return;
    const key = keyOf(entry.input, entry.pageShift);
    if (!this.bucket(domainTag, subTag, false)?.entries.has(key)) {
      // Evict before taking the bucket: eviction may empty and unlink the very bucket we insert into.
      if (this.count >= this.capacity) this.evictOne();
      this.count++;
    }
    const b = this.bucket(domainTag, subTag, true)!;
    b.entries.set(key, entry);
    if (!b.shifts.includes(entry.pageShift)) {
      b.shifts.push(entry.pageShift);
      b.shifts.sort((x, y) => x - y);
    }
    this.forgetMemo();
  }

  private forgetMemo(): void {
    this.lastDomain = NaN;
    this.lastSub = NaN;
  }

  private evictOne(): void {
    for (const [d, subs] of this.domains) {
      for (const [s, b] of subs) {
        const first = b.entries.keys().next();
        if (!first.done) {
          b.entries.delete(first.value);
          this.count--;
          if (b.entries.size === 0) this.dropBucket(d, s);
          return;
        }
      }
    }
  }

  private dropBucket(domainTag: number, subTag: number): void {
    const subs = this.domains.get(domainTag);
    if (!subs) return;
    const b = subs.get(subTag);
    if (b) this.count -= b.entries.size;
    subs.delete(subTag);
    if (subs.size === 0) this.domains.delete(domainTag);
    this.forgetMemo();
  }

  /** Drops everything. Returns the number of entries dropped. */
  invalidateAll(): number {
    const n = this.count;
    this.domains.clear();
    this.count = 0;
    this.forgetMemo();
    return n;
  }

  /** Drops every entry of a domain tag (all sub-tags, global included). Returns the number dropped. */
  invalidateDomain(domainTag: number): number {
    const subs = this.domains.get(domainTag);
    if (!subs) return 0;
    let n = 0;
    for (const b of subs.values()) n += b.entries.size;
    this.count -= n;
    this.domains.delete(domainTag);
    this.forgetMemo();
    return n;
  }

  /** Drops every entry of one sub-tag of a domain (not the global ones). Returns the number dropped. */
  invalidateSubTag(domainTag: number, subTag: number): number {
    const b = this.domains.get(domainTag)?.get(subTag);
    if (!b) return 0;
    const n = b.entries.size;
    this.dropBucket(domainTag, subTag);
    return n;
  }

  /**
   * Drops entries overlapping a range. `subTag` undefined means every sub-tag of the domain (SMMUv3
   * TLBI_NH_VAA); otherwise that sub-tag and, when `includeGlobal`, the domain's global entries.
   * `domainTag` undefined means every domain. Returns the number dropped.
   */
  invalidateRange(
    domainTag: number | undefined,
    subTag: number | undefined,
    range: RangeInvalidation,
    includeGlobal = true,
  ): number {
    if (!(range.size > 0)) return 0;
    let n = 0;
    const domains = domainTag === undefined ? [...this.domains.keys()] : [domainTag];
    for (const d of domains) {
      const subs = this.domains.get(d);
      if (!subs) continue;
      const targets =
        subTag === undefined ? [...subs.keys()] : includeGlobal && subTag !== GLOBAL_SUBTAG ? [subTag, GLOBAL_SUBTAG] : [subTag];
      for (const s of targets) {
        const b = subs.get(s);
        if (!b) continue;
        n += this.dropRangeInBucket(b, range);
        if (b.entries.size === 0) subs.delete(s);
      }
      if (subs.size === 0) this.domains.delete(d);
    }
    this.count -= n;
    this.forgetMemo();
    return n;
  }

  private dropRangeInBucket(b: Bucket<E>, range: RangeInvalidation): number {
    const end = range.start + range.size;
    const matches = (e: E) => {
      const span = 2 ** e.pageShift;
      const base = range.byIpa ? alignDownPow(e.ipa, e.pageShift) : e.input;
      const inRange = base < end && base + span > range.start;
      return inRange && (range.level === undefined || e.level === range.level);
    };
    let dropped = 0;
    // Probe by page when the range is small relative to the bucket; scan the bucket otherwise.
    let probes = 0;
    if (!range.byIpa) for (const s of b.shifts) probes += Math.floor((end - 1) / 2 ** s) - Math.floor(range.start / 2 ** s) + 1;
    if (!range.byIpa && probes <= b.entries.size) {
      for (const s of b.shifts) {
        for (let p = Math.floor(range.start / 2 ** s); p <= Math.floor((end - 1) / 2 ** s); p++) {
          const key = p * 64 + s;
          const e = b.entries.get(key);
          if (e && matches(e)) {
            b.entries.delete(key);
            dropped++;
          }
        }
      }
    } else {
      for (const [key, e] of b.entries) {
        if (matches(e)) {
          b.entries.delete(key);
          dropped++;
        }
      }
    }
    return dropped;
  }

  /**
   * Drops the entries `predicate` selects. Without a `scope` this scans the whole cache (for rare,
   * unindexed scopes); with `scope.domainTag` (and `scope.subTag`) only that domain's (or that one tag's)
   * buckets are visited, so the cost follows the scope, not the cache size. Returns the number dropped.
   */
  invalidateWhere(predicate: (domainTag: number, subTag: number, entry: E) => boolean, scope: { domainTag?: number; subTag?: number } = {}): number {
    let n = 0;
    const domains: Iterable<[number, Map<number, Bucket<E>>]> =
      scope.domainTag === undefined ? this.domains : this.domains.has(scope.domainTag) ? [[scope.domainTag, this.domains.get(scope.domainTag)!]] : [];
    for (const [d, subs] of domains) {
      const buckets: Iterable<[number, Bucket<E>]> =
        scope.subTag === undefined ? subs : subs.has(scope.subTag) ? [[scope.subTag, subs.get(scope.subTag)!]] : [];
      for (const [s, b] of buckets) {
        for (const [key, e] of b.entries) {
          if (predicate(d, s, e)) {
            b.entries.delete(key);
            n++;
          }
        }
        if (b.entries.size === 0) subs.delete(s);
      }
      if (subs.size === 0) this.domains.delete(d);
    }
    this.count -= n;
    this.forgetMemo();
    return n;
  }

  /** Number of entries under a domain tag (all sub-tags). */
  countDomain(domainTag: number): number {
    let n = 0;
    for (const b of this.domains.get(domainTag)?.values() ?? []) n += b.entries.size;
    return n;
  }
}

function alignDownPow(v: number, shift: number): number {
  return Math.floor(v / 2 ** shift) * 2 ** shift;
}
