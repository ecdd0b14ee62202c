/**
 * The root table and the context tables a host driver owns (VT-d spec §3.4, §9.1–§9.4): a 4 KiB root table
 * of 256 bus entries; per bus one legacy context table (256 × 16-byte entries), or in scalable mode a lower
 * (devfn 0–127) and an upper (devfn 128–255) table of 128 × 32-byte entries. Context tables are allocated
 * when a device on that bus (half) first gets an entry, and the root entry is written then.
 * @packageDocumentation
 */
import { IommuError, readWords, writeWords, type PhysicalMemory, type TableAllocator } from '@viommu/core';
import {
  LEGACY_CONTEXT_ENTRY_BYTES,
  LEGACY_ROOT_ENTRY_LAYOUT,
  SCALABLE_CONTEXT_ENTRY_BYTES,
  SCALABLE_ROOT_ENTRY_LAYOUT,
} from '../structures/index';
import type { HostRange } from './registers';

function unbacked(what: string, address: number): never {
  throw new IommuError('MEMORY_UNBACKED', `${what} at 0x${address.toString(16)} is not backed`);
}

/** Root and context tables of one remapping unit, in legacy or scalable format. */
export class ContextTables {
  /** Root table address (what RTADDR_REG.RTA holds). */
  readonly root: number;
  /** Context tables by bus × 2 + upper half (legacy uses the lower key only). */
  private readonly tables = new Map<number, number>();

  /**
   * @param memory host physical memory.
   * @param allocator allocator of host-owned tables.
   * @param scalable write scalable-mode root/context entries (RTADDR.TTM = 01b).
   */
  constructor(
    /** Host physical memory. */
    readonly memory: PhysicalMemory,
    /** Allocator of host-owned tables. */
    readonly allocator: TableAllocator,
    /** Scalable-mode format. */
    readonly scalable: boolean,
  ) {
    this.root = allocator.allocate(4096, 4096);
  }

  /** Bytes of one context entry: 16 legacy, 32 scalable. */
  get entryBytes(): number {
    return this.scalable ? SCALABLE_CONTEXT_ENTRY_BYTES : LEGACY_CONTEXT_ENTRY_BYTES;
  }

  /** 32-bit words of one context entry. */
  get entryWords(): number {
    return this.entryBytes / 4;
  }

  private checkSid(sid: number): void {
    if (!Number.isInteger(sid) || sid < 0 || sid > 0xffff) throw new IommuError('DEVICE_UNKNOWN', `source-id ${sid} is not 0..0xFFFF`, { sid });
  }

  private key(sid: number): number {
    const upper = this.scalable && (sid & 0xff) > 0x7f;
    return (sid >>> 8) * 2 + (upper ? 1 : 0);
  }

  /** The address of a source-id's context entry, or undefined while its context table does not exist. */
  entryAddress(sid: number): number | undefined {
    this.checkSid(sid);
    const table = this.tables.get(this.key(sid));
    if (table === undefined) return undefined;
    const devfn = sid & 0xff;
    return table + (this.scalable ? devfn & 0x7f : devfn) * this.entryBytes;
  }

  /** Allocates the context table serving `sid` and points the root entry at it, if not done yet. */
  private ensureTable(sid: number): void {
    const key = this.key(sid);
    if (this.tables.has(key)) return;
    this.tables.set(key, this.allocator.allocate(4096, 4096));
    this.writeRootEntry(sid >>> 8);
  }

  private writeRootEntry(bus: number): void {
    let words: Uint32Array;
    if (this.scalable) {
      const lower = this.tables.get(bus * 2);
      const upper = this.tables.get(bus * 2 + 1);
      words = SCALABLE_ROOT_ENTRY_LAYOUT.encode({
        ...(lower === undefined ? {} : { LP: 1, LCTP: lower }),
        ...(upper === undefined ? {} : { UP: 1, UCTP: upper }),
      });
    } else {
      const table = this.tables.get(bus * 2);
      words = LEGACY_ROOT_ENTRY_LAYOUT.encode(table === undefined ? {} : { P: 1, CTP: table });
    }
    const address = this.root + bus * 16;
    if (!writeWords(this.memory, address, words)) unbacked('root entry', address);
  }

  /**
   * Writes a device's context entry (4 words legacy, 8 scalable), creating its context table on first use.
   * @throws IommuError `DEVICE_UNKNOWN` for a source-id outside 16 bits, `ARGUMENT` for a wrong size.
   */
  writeEntry(sid: number, words: ArrayLike<number>): void {
    this.checkSid(sid);
    if (words.length !== this.entryWords) throw new IommuError('ARGUMENT', `a context entry is ${this.entryWords} words here`);
    this.ensureTable(sid);
    const address = this.entryAddress(sid)!;
    if (!writeWords(this.memory, address, words)) unbacked('context entry', address);
  }

  /** Reads a device's context entry; all zero when its table does not exist. */
  readEntry(sid: number): Uint32Array {
    const address = this.entryAddress(sid);
    if (address === undefined) return new Uint32Array(this.entryWords);
    return readWords(this.memory, address, this.entryWords) ?? unbacked('context entry', address);
  }

  /** Every host address range the tables occupy: the root table and each context table (4 KiB each). */
  ranges(): HostRange[] {
    return [{ base: this.root, size: 4096 }, ...[...this.tables.values()].map((base) => ({ base, size: 4096 }))];
  }
}
