/** A memory wrapper that calls a hook after every successful write (to observe intermediate states). */
import type { PhysicalMemory, U64 } from '@viommu/core';

export class HookedMemory implements PhysicalMemory {
  /** Called after each successful write with its address and size. */
  onWrite: ((address: number, size: number) => void) | undefined;

  constructor(readonly inner: PhysicalMemory) {}

  private after(ok: boolean, address: number, size: number): boolean {
    if (ok) this.onWrite?.(address, size);
    return ok;
  }
  read8(a: number): number {
    return this.inner.read8(a);
  }
  read16(a: number): number {
    return this.inner.read16(a);
  }
  read32(a: number): number {
    return this.inner.read32(a);
  }
  read64(a: number, out: U64): boolean {
    return this.inner.read64(a, out);
  }
  write8(a: number, v: number): boolean {
    return this.after(this.inner.write8(a, v), a, 1);
  }
  write16(a: number, v: number): boolean {
    return this.after(this.inner.write16(a, v), a, 2);
  }
  write32(a: number, v: number): boolean {
    return this.after(this.inner.write32(a, v), a, 4);
  }
  write64(a: number, hi: number, lo: number): boolean {
    return this.after(this.inner.write64(a, hi, lo), a, 8);
  }
  readBytes(a: number, n: number): Uint8Array | undefined {
    return this.inner.readBytes(a, n);
  }
  writeBytes(a: number, b: Uint8Array): boolean {
    return this.after(this.inner.writeBytes(a, b), a, b.length);
  }
  isBacked(a: number, n: number): boolean {
    return this.inner.isBacked(a, n);
  }
}
