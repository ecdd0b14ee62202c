/**
 * A bounded configuration cache keyed by device and PASID/SubstreamID (SMMUv3 STE and CD caches, VT-d
 * context and PASID caches). Per-device buckets make device-scoped invalidation proportional to what it
 * drops.
 * @packageDocumentation
 */

/** The key used for the no-PASID (RID) entry of a device. */
export const NO_PASID = -1;

/** A bounded two-level cache: device → PASID → value. */
export class ConfigCache<V> {
  private readonly devices = new Map<number, Map<number, V>>();
  private count = 0;

  /** @param capacity maximum entries; the oldest device's oldest entry goes first when full. */
  constructor(readonly capacity = 4096) {}

  /** Number of entries held. */
  get size(): number {
    return this.count;
  }

  /** The cached value for a device and PASID ({@link NO_PASID} for the device-level entry). */
  get(device: number, pasid: number): V | undefined {
    return this.devices.get(device)?.get(pasid);
  }

  /** Caches a value. */
  set(device: number, pasid: number, value: V): void {
    if (this.capacity <= 0) return;
    if (!this.devices.get(device)?.has(pasid)) {
      // Evict before taking the device's map: eviction may empty and unlink the very map we insert into.
      if (this.count >= this.capacity) this.evictOne();
      this.count++;
    }
    let m = this.devices.get(device);
    if (!m) {
      m = new Map();
      this.devices.set(device, m);
    }
    m.set(pasid, value);
  }

  private evictOne(): void {
    for (const [d, m] of this.devices) {
      const first = m.keys().next();
      if (!first.done) {
        m.delete(first.value);
        this.count--;
        if (m.size === 0) this.devices.delete(d);
        return;
      }
    }
  }

  /** Drops everything. Returns the number dropped. */
  invalidateAll(): number {
    const n = this.count;
    this.devices.clear();
    this.count = 0;
    return n;
  }

  /** Drops every entry of a device. Returns the number dropped. */
  invalidateDevice(device: number): number {
    const m = this.devices.get(device);
    if (!m) return 0;
    this.devices.delete(device);
    this.count -= m.size;
    return m.size;
  }

  /** Drops one entry. Returns the number dropped (0 or 1). */
  invalidateEntry(device: number, pasid: number): number {
    const m = this.devices.get(device);
    if (!m || !m.delete(pasid)) return 0;
    this.count--;
    if (m.size === 0) this.devices.delete(device);
    return 1;
  }

  /** Drops the entries `predicate` selects (a scan, for scopes such as "every entry of domain 5"). */
  invalidateWhere(predicate: (device: number, pasid: number, value: V) => boolean): number {
    let n = 0;
    for (const [d, m] of this.devices) {
      for (const [p, v] of m) {
        if (predicate(d, p, v)) {
          m.delete(p);
          n++;
        }
      }
      if (m.size === 0) this.devices.delete(d);
    }
    this.count -= n;
    return n;
  }

  /** Iterates the cached entries. */
  *entries(): IterableIterator<[device: number, pasid: number, value: V]> {
    for (const [d, m] of this.devices) for (const [p, v] of m) yield [d, p, v];
  }
}
