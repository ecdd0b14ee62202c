import type { U64 } from '../u64';
import { EXTERNAL_ABORT, type PhysicalMemory } from './physical-memory';

/** One recorded memory access. */
export interface MemoryAccess {
  /** `read` or `write`. */
  kind: 'read' | 'write';
  /** Byte address. */
  address: number;
  /** Access size in bytes (1, 2, 4, 8, or a byte-range length). */
  size: number;
  /** The value read or written (for byte ranges, undefined); undefined too on an external abort. */
  value: bigint | undefined;
  /** True when the access was an external abort. */
  aborted: boolean;
}

/**
 * Wraps a {@link PhysicalMemory} and records every access in order while {@link TracingMemory.enabled} is
 * true, for walk traces and tests ("which descriptor did the walker read?").
 */
export class TracingMemory implements PhysicalMemory {
  /** The recorded accesses, oldest first. */
  readonly accesses: MemoryAccess[] = [];
  /** Recording switch; accesses pass through either way. */
  enabled = true;

  constructor(
    /** The memory whose accesses are recorded. */
    readonly inner: PhysicalMemory,
  ) {}

  /** Forgets the recorded accesses. */
  clear(): void {
    this.accesses.length = 0;
  }

  private note(kind: 'read' | 'write', address: number, size: number, value: bigint | undefined, ok: boolean) {
    if (this.enabled) this.accesses.push({ kind, address, size, value: ok ? value : undefined, aborted: !ok });
  }

  private narrowRead(address: number, size: number, v: number): number {
    this.note('read', address, size, BigInt(v < 0 ? 0 : v), v !== EXTERNAL_ABORT);
    return v;
  }

  read8(address: number): number {
    return this.narrowRead(address, 1, this.inner.read8(address));
  }
  read16(address: number): number {
    return this.narrowRead(address, 2, this.inner.read16(address));
  }
  read32(address: number): number {
    return this.narrowRead(address, 4, this.inner.read32(address));
  }
  read64(address: number, out: U64): boolean {
    const ok = this.inner.read64(address, out);
    this.note('read', address, 8, (BigInt(out.hi >>> 0) << 32n) | BigInt(out.lo >>> 0), ok);
    return ok;
  }
  write8(address: number, value: number): boolean {
    const ok = this.inner.write8(address, value);
    this.note('write', address, 1, BigInt(value & 0xff), ok);
    return ok;
  }
  write16(address: number, value: number): boolean {
    const ok = this.inner.write16(address, value);
    this.note('write', address, 2, BigInt(value & 0xffff), ok);
    return ok;
  }
  write32(address: number, value: number): boolean {
    const ok = this.inner.write32(address, value);
    this.note('write', address, 4, BigInt(value >>> 0), ok);
    return ok;
  }
  write64(address: number, hi: number, lo: number): boolean {
    const ok = this.inner.write64(address, hi, lo);
    this.note('write', address, 8, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), ok);
    return ok;
  }
  readBytes(address: number, length: number): Uint8Array | undefined {
    const r = this.inner.readBytes(address, length);
    this.note('read', address, length, undefined, r !== undefined);
    return r;
  }
  writeBytes(address: number, bytes: Uint8Array): boolean {
    const ok = this.inner.writeBytes(address, bytes);
    this.note('write', address, bytes.length, undefined, ok);
    return ok;
  }
  isBacked(address: number, length: number): boolean {
    return this.inner.isBacked(address, length);
  }
}
