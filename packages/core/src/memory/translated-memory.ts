import type { U64 } from '../u64';
import { EXTERNAL_ABORT, type PhysicalMemory } from './physical-memory';

/**
 * Translates one address of a view to an address of the memory below, or returns `undefined` when the
 * address has no backing (for a guest view: the GPA is not mapped by stage 2).
 */
export type AddressTranslator = (address: number, write: boolean) => number | undefined;

/**
 * A memory view through a translation, page by page: a guest's physical memory seen through the host's
 * stage 2 (GPA → HPA). Guest driver code writes its tables through this view, so they land in host memory
 * exactly where a real machine would put them. Accesses are split at `pageShift` boundaries (4 KiB by
 * default), the smallest granule the translation may use.
 */
export class TranslatedMemory implements PhysicalMemory {
  private readonly pageSize: number;

  constructor(
    /** The memory below the view (host physical memory for a guest view). */
    readonly below: PhysicalMemory,
    /** Translates a view address to an address of {@link TranslatedMemory.below}. */
    readonly translate: AddressTranslator,
    /** log2 of the translation granule: accesses are split at this boundary. */
    readonly pageShift = 12,
  ) {
    this.pageSize = 2 ** pageShift;
  }

  private at(address: number, write: boolean): number | undefined {
    if (!Number.isSafeInteger(address) || address < 0) return undefined;
    return this.translate(address, write);
  }

  private fits(address: number, size: number): boolean {
    return address % this.pageSize <= this.pageSize - size;
  }

  read8(address: number): number {
    const pa = this.at(address, false);
    return pa === undefined ? EXTERNAL_ABORT : this.below.read8(pa);
  }
  read16(address: number): number {
    if (!this.fits(address, 2)) return this.readSplit(address, 2);
    const pa = this.at(address, false);
    return pa === undefined ? EXTERNAL_ABORT : this.below.read16(pa);
  }
  read32(address: number): number {
    if (!this.fits(address, 4)) return this.readSplit(address, 4);
    const pa = this.at(address, false);
    return pa === undefined ? EXTERNAL_ABORT : this.below.read32(pa);
  }
  read64(address: number, out: U64): boolean {
    if (!this.fits(address, 8)) {
      const lo = this.readSplit(address, 4);
      const hi = this.readSplit(address + 4, 4);
      if (lo === EXTERNAL_ABORT || hi === EXTERNAL_ABORT) return false;
      out.lo = lo;
      out.hi = hi;
      return true;
    }
    const pa = this.at(address, false);
    return pa !== undefined && this.below.read64(pa, out);
  }
  private readSplit(address: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) {
      const b = this.read8(address + i);
      if (b === EXTERNAL_ABORT) return EXTERNAL_ABORT;
      v += b * 2 ** (8 * i);
    }
    return v;
  }
  write8(address: number, value: number): boolean {
    const pa = this.at(address, true);
    return pa !== undefined && this.below.write8(pa, value);
  }
  write16(address: number, value: number): boolean {
    if (!this.fits(address, 2)) return this.writeBytes(address, leBytes(value, 2));
    const pa = this.at(address, true);
    return pa !== undefined && this.below.write16(pa, value);
  }
  write32(address: number, value: number): boolean {
    if (!this.fits(address, 4)) return this.writeBytes(address, leBytes(value, 4));
    const pa = this.at(address, true);
    return pa !== undefined && this.below.write32(pa, value);
  }
  write64(address: number, hi: number, lo: number): boolean {
    if (!this.fits(address, 8)) {
      const bytes = new Uint8Array(8);
      bytes.set(leBytes(lo, 4), 0);
      bytes.set(leBytes(hi, 4), 4);
      return this.writeBytes(address, bytes);
    }
    const pa = this.at(address, true);
    return pa !== undefined && this.below.write64(pa, hi, lo);
  }
  readBytes(address: number, length: number): Uint8Array | undefined {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = address + done;
      const take = Math.min(this.pageSize - (a % this.pageSize), length - done);
      const pa = this.at(a, false);
      if (pa === undefined) return undefined;
      const chunk = this.below.readBytes(pa, take);
      if (!chunk) return undefined;
      out.set(chunk, done);
      done += take;
    }
    return out;
  }
  writeBytes(address: number, bytes: Uint8Array): boolean {
    // Translate every page for writing before writing any: a page the translator refuses for writes (or that
    // is unbacked below) aborts the whole access with nothing written.
    const targets: number[] = [];
    let done = 0;
    while (done < bytes.length) {
      const a = address + done;
      const take = Math.min(this.pageSize - (a % this.pageSize), bytes.length - done);
      const pa = this.at(a, true);
      if (pa === undefined || !this.below.isBacked(pa, take)) return false;
      targets.push(pa);
      done += take;
    }
    done = 0;
    for (const pa of targets) {
      const take = Math.min(this.pageSize - ((address + done) % this.pageSize), bytes.length - done);
      this.below.writeBytes(pa, bytes.subarray(done, done + take));
      done += take;
    }
    return true;
  }
  isBacked(address: number, length: number): boolean {
    let done = 0;
    while (done < length) {
      const a = address + done;
      const take = Math.min(this.pageSize - (a % this.pageSize), length - done);
      const pa = this.at(a, false);
      if (pa === undefined || !this.below.isBacked(pa, take)) return false;
      done += take;
    }
    return true;
  }
}

function leBytes(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  return out;
}
