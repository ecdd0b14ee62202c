import { IommuError } from '../errors';
import type { U64 } from '../u64';
import { EXTERNAL_ABORT, type PhysicalMemory } from './physical-memory';

/** Page size of the sparse store, 4 KiB. */
export const SPARSE_PAGE_SHIFT = 12;
const PAGE_SIZE = 1 << SPARSE_PAGE_SHIFT;
const PAGE_MASK = PAGE_SIZE - 1;

/** A backed byte range of a {@link SparseMemory}. */
export interface BackedRange {
  /** First byte. */
  base: number;
  /** Length in bytes. */
  size: number;
}

/** A backed range `[base, end)`. */
interface Region {
  base: number;
  end: number;
}

/**
 * Sparse, page-granular, little-endian physical memory. Ranges are declared backed with {@link back};
 * a backed page costs nothing until it is first written (reads of untouched backed pages return zero).
 * Accesses outside every backed range are external aborts.
 */
export class SparseMemory implements PhysicalMemory {
  private readonly pages = new Map<number, DataView>();
  private regions: Region[] = [];
  private lastPageNumber = -1;
  private lastPage: DataView | undefined;

  /** Declares `[base, base + size)` backed (zero-filled). Overlapping declarations merge. */
  back(base: number, size: number): this {
    checkRange(base, size);
    if (size === 0) return this;
    const merged: Region[] = [];
    let add: Region = { base, end: base + size };
    for (const r of this.regions) {
      if (r.end < add.base || r.base > add.end) merged.push(r);
      else add = { base: Math.min(r.base, add.base), end: Math.max(r.end, add.end) };
    }
    merged.push(add);
    merged.sort((a, b) => a.base - b.base);
    this.regions = merged;
    return this;
  }

  /** The backed ranges, sorted and merged. */
  backedRanges(): readonly BackedRange[] {
    return this.regions.map((r) => ({ base: r.base, size: r.end - r.base }));
  }

  /** Number of 4 KiB pages that hold data (have been written). */
  get materializedPages(): number {
    return this.pages.size;
  }

  isBacked(address: number, length: number): boolean {
    if (!Number.isSafeInteger(address) || address < 0 || length < 0) return false;
    const end = address + length;
    let cursor = address;
    // Regions are merged, so one region must cover the whole range.
    const r = this.findRegion(cursor);
    if (!r) return length === 0 ? true : false;
    cursor = r.end;
    return cursor >= end;
  }

  private findRegion(address: number): Region | undefined {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = rs[mid]!;
      if (address < r.base) hi = mid - 1;
      else if (address >= r.end) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  /**
   * The page holding `[address, address + size)` (one page) for reading: a view, `null` for a backed untouched
   * page, `undefined` if any byte is unbacked. Backing is byte-granular but pages are 4 KiB, so only fully
   * backed pages take the no-check fast path (and the one-page cache); a partially backed page is checked
   * byte-exactly on every access.
   */
  private pageForRead(address: number, size: number): DataView | null | undefined {
    const pn = Math.floor(address / PAGE_SIZE);
    if (pn === this.lastPageNumber) return this.lastPage;
    const page = this.pages.get(pn);
    if (page && this.isBacked(pn * PAGE_SIZE, PAGE_SIZE)) {
      this.lastPageNumber = pn;
      this.lastPage = page;
      return page;
    }
    if (!this.isBacked(address, size)) return undefined;
    return page ?? null;
  }

  /** The page holding `[address, address + size)` (one page) for writing, materialized; `undefined` if unbacked. */
  private pageForWrite(address: number, size: number): DataView | undefined {
    const pn = Math.floor(address / PAGE_SIZE);
    if (pn === this.lastPageNumber && this.lastPage) return this.lastPage;
    if (!this.isBacked(address, size)) return undefined;
    let page = this.pages.get(pn);
    if (!page) {
      page = new DataView(new ArrayBuffer(PAGE_SIZE));
      this.pages.set(pn, page);
    }
    if (this.isBacked(pn * PAGE_SIZE, PAGE_SIZE)) {
      this.lastPageNumber = pn;
      this.lastPage = page;
    }
    return page;
  }

  read8(address: number): number {
    const page = this.pageForRead(address, 1);
    if (page === undefined) return EXTERNAL_ABORT;
    return page === null ? 0 : page.getUint8(address & PAGE_MASK);
  }

  read16(address: number): number {
    if ((address & PAGE_MASK) > PAGE_SIZE - 2) return this.readSlow(address, 2);
    const page = this.pageForRead(address, 2);
    if (page === undefined) return EXTERNAL_ABORT;
    return page === null ? 0 : page.getUint16(address & PAGE_MASK, true);
  }

  read32(address: number): number {
    if ((address & PAGE_MASK) > PAGE_SIZE - 4) return this.readSlow(address, 4);
    const page = this.pageForRead(address, 4);
    if (page === undefined) return EXTERNAL_ABORT;
    return page === null ? 0 : page.getUint32(address & PAGE_MASK, true);
  }

  read64(address: number, out: U64): boolean {
    const offset = address & PAGE_MASK;
    if (offset > PAGE_SIZE - 8) {
      const lo = this.readSlow(address, 4);
      const hi = this.readSlow(address + 4, 4);
      if (lo === EXTERNAL_ABORT || hi === EXTERNAL_ABORT) return false;
      out.lo = lo;
      out.hi = hi;
      return true;
    }
    const page = this.pageForRead(address, 8);
    if (page === undefined) return false;
    if (page === null) {
      out.lo = 0;
      out.hi = 0;
    } else {
      out.lo = page.getUint32(offset, true);
      out.hi = page.getUint32(offset + 4, true);
    }
    return true;
  }

  private readSlow(address: number, size: number): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const b = this.read8(address + i);
      if (b === EXTERNAL_ABORT) return EXTERNAL_ABORT;
      value += b * 2 ** (8 * i);
    }
    return value;
  }

  write8(address: number, value: number): boolean {
    const page = this.pageForWrite(address, 1);
    if (!page) return false;
    page.setUint8(address & PAGE_MASK, value);
    return true;
  }

  write16(address: number, value: number): boolean {
    if ((address & PAGE_MASK) > PAGE_SIZE - 2) return this.writeSlow(address, 2, value);
    const page = this.pageForWrite(address, 2);
    if (!page) return false;
    page.setUint16(address & PAGE_MASK, value, true);
    return true;
  }

  write32(address: number, value: number): boolean {
    if ((address & PAGE_MASK) > PAGE_SIZE - 4) return this.writeSlow(address, 4, value);
    const page = this.pageForWrite(address, 4);
    if (!page) return false;
    page.setUint32(address & PAGE_MASK, value >>> 0, true);
    return true;
  }

  write64(address: number, hi: number, lo: number): boolean {
    const offset = address & PAGE_MASK;
    if (offset > PAGE_SIZE - 8) {
      if (!this.isBacked(address, 8)) return false;
      return this.writeSlow(address, 4, lo) && this.writeSlow(address + 4, 4, hi);
    }
    const page = this.pageForWrite(address, 8);
    if (!page) return false;
    page.setUint32(offset, lo >>> 0, true);
    page.setUint32(offset + 4, hi >>> 0, true);
    return true;
  }

  private writeSlow(address: number, size: number, value: number): boolean {
    if (!this.isBacked(address, size)) return false;
    for (let i = 0; i < size; i++) this.write8(address + i, Math.floor(value / 2 ** (8 * i)) & 0xff);
    return true;
  }

  readBytes(address: number, length: number): Uint8Array | undefined {
    if (!this.isBacked(address, length)) return undefined;
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = address + done;
      const offset = a & PAGE_MASK;
      const take = Math.min(PAGE_SIZE - offset, length - done);
      const page = this.pages.get(Math.floor(a / PAGE_SIZE));
      if (page) out.set(new Uint8Array(page.buffer, offset, take), done);
      done += take;
    }
    return out;
  }

  writeBytes(address: number, bytes: Uint8Array): boolean {
    if (!this.isBacked(address, bytes.length)) return false;
    let done = 0;
    while (done < bytes.length) {
      const a = address + done;
      const offset = a & PAGE_MASK;
      const take = Math.min(PAGE_SIZE - offset, bytes.length - done);
      const page = this.pageForWrite(a, take)!;
      new Uint8Array(page.buffer, offset, take).set(bytes.subarray(done, done + take));
      done += take;
    }
    return true;
  }
}

function checkRange(base: number, size: number): void {
  if (!Number.isSafeInteger(base) || base < 0 || !Number.isSafeInteger(size) || size < 0) {
    throw new IommuError('MEMORY_ARGUMENT', `bad memory range base=${base} size=${size}`);
  }
  if (base + size > Number.MAX_SAFE_INTEGER) {
    throw new IommuError('MEMORY_ARGUMENT', `memory range ${base}+${size} exceeds 2^53`);
  }
}
