/**
 * A scalable-mode PASID directory with its PASID tables (VT-d spec §9.5, §9.6), as a driver keeps them: the
 * directory is allocated whole (2^(PDTS+7) 8-byte entries), a 4 KiB PASID table of 64 × 64-byte entries is
 * allocated the first time one of its PASIDs gets an entry. The same class writes the host's tables (host
 * physical memory) and a guest's (a guest memory view through stage 2).
 * @packageDocumentation
 */
import { IommuError, readWords, writeWords, type PhysicalMemory, type TableAllocator } from '@viommu/core';
import {
  MAX_PASID_BITS,
  PASID_DIRECTORY_ENTRY_BYTES,
  PASID_DIRECTORY_ENTRY_LAYOUT,
  PASID_ENTRY_BYTES,
  PASID_ENTRY_LAYOUT,
  PASID_TABLE_ENTRIES,
} from '../structures/index';

/** Bytes of one PASID table (64 entries of 64 bytes). */
export const PASID_TABLE_BYTES = PASID_TABLE_ENTRIES * PASID_ENTRY_BYTES;

/** The PDTS value (context entry bits 11:9) whose directory covers `pasidBits` PASID bits: max(0, bits − 13), at most 7. */
export function pdtsForPasidBits(pasidBits: number): number {
  return Math.min(7, Math.max(0, pasidBits - 13));
}

/** What a directory entry says, in the driver's terms. */
export interface PasidDirectorySlot {
  /** P (bit 0). */
  readonly present: boolean;
  /** FPD (bit 1). */
  readonly fpd: boolean;
  /** SMPTBLPTR: the PASID table address (in the memory's address space). */
  readonly table: number;
}

function unbacked(what: string, address: number): never {
  throw new IommuError('MEMORY_UNBACKED', `${what} at 0x${address.toString(16)} is not backed`);
}

/** One PASID directory and its tables in a memory. */
export class PasidTables {
  /** Directory address (4 KiB aligned). */
  readonly directory: number;
  /** Directory entries: 2^(PDTS+7). */
  readonly directoryEntries: number;
  private readonly tables = new Map<number, number>();

  /**
   * @param memory where the directory and tables live.
   * @param allocator where they come from (zeroed, 4 KiB aligned).
   * @param pdts directory size: 2^(pdts+7) entries (0..7).
   * @throws IommuError `ARGUMENT` for a bad PDTS, `OUT_OF_MEMORY` from the allocator.
   */
  constructor(
    readonly memory: PhysicalMemory,
    readonly allocator: TableAllocator,
    readonly pdts: number,
  ) {
    if (!Number.isInteger(pdts) || pdts < 0 || pdts > 7) throw new IommuError('ARGUMENT', `PDTS ${pdts} is not 0..7`);
    this.directoryEntries = 2 ** (pdts + 7);
    this.directory = allocator.allocate(Math.max(4096, this.directoryEntries * PASID_DIRECTORY_ENTRY_BYTES), 4096);
  }

  /** One more than the largest PASID the directory covers. */
  get pasidLimit(): number {
    return Math.min(2 ** MAX_PASID_BITS, this.directoryEntries * PASID_TABLE_ENTRIES);
  }

  private checkPasid(pasid: number): void {
    if (!Number.isInteger(pasid) || pasid < 0 || pasid >= this.pasidLimit) {
      throw new IommuError('ARGUMENT', `PASID ${pasid} is outside the directory's ${this.pasidLimit} PASIDs`, { pasid });
    }
  }

  /** The PASID table serving directory index `index`, if the driver allocated one. */
  tableOf(index: number): number | undefined {
    return this.tables.get(index);
  }

  /** Directory indices with a table. */
  tableIndices(): number[] {
    return [...this.tables.keys()];
  }

  /** The table for directory index `index`, allocating it (not yet pointed to by the directory) if needed. */
  ensureTable(index: number): number {
    let table = this.tables.get(index);
    if (table === undefined) {
      table = this.allocator.allocate(PASID_TABLE_BYTES, 4096);
      this.tables.set(index, table);
    }
    return table;
  }

  /** Address of directory entry `index`. */
  directoryEntryAddress(index: number): number {
    return this.directory + index * PASID_DIRECTORY_ENTRY_BYTES;
  }

  /**
   * Writes directory entry `index`: P and FPD as given, SMPTBLPTR the driver's table for that index
   * (allocated when `present` is set).
   */
  writeDirectoryEntry(index: number, present: boolean, fpd = false): void {
    const table = present ? this.ensureTable(index) : (this.tables.get(index) ?? 0);
    const words = PASID_DIRECTORY_ENTRY_LAYOUT.encode({ P: present ? 1 : 0, FPD: fpd ? 1 : 0, SMPTBLPTR: present ? table : 0 });
    if (!writeWords(this.memory, this.directoryEntryAddress(index), words)) unbacked('PASID directory entry', this.directoryEntryAddress(index));
  }

  /** Reads directory entry `index` (as the driver wrote it). */
  readDirectoryEntry(index: number): PasidDirectorySlot {
    const words = readWords(this.memory, this.directoryEntryAddress(index), 2) ?? unbacked('PASID directory entry', this.directoryEntryAddress(index));
    return {
      present: PASID_DIRECTORY_ENTRY_LAYOUT.get(words, 'P') === 1,
      fpd: PASID_DIRECTORY_ENTRY_LAYOUT.get(words, 'FPD') === 1,
      table: Number(PASID_DIRECTORY_ENTRY_LAYOUT.getBig(words, 'SMPTBLPTR')),
    };
  }

  /** Address of a PASID's entry, or undefined when its table does not exist yet. */
  entryAddress(pasid: number): number | undefined {
    this.checkPasid(pasid);
    const table = this.tables.get(pasid >>> 6);
    return table === undefined ? undefined : table + (pasid & 63) * PASID_ENTRY_BYTES;
  }

  /**
   * Writes a PASID's 512-bit entry. The first entry written in a table allocates the table and makes its
   * directory entry present; later writes leave the directory entry as it is (see
   * {@link PasidTables.writeDirectoryEntry}).
   * @throws IommuError `ARGUMENT` for a PASID beyond the directory or words that are not 16 long.
   */
  writeEntry(pasid: number, words: ArrayLike<number>): void {
    this.checkPasid(pasid);
    if (words.length !== PASID_ENTRY_LAYOUT.wordCount) throw new IommuError('ARGUMENT', `a PASID entry is ${PASID_ENTRY_LAYOUT.wordCount} words`);
    const index = pasid >>> 6;
    if (!this.tables.has(index)) this.writeDirectoryEntry(index, true);
    const address = this.entryAddress(pasid)!;
    if (!writeWords(this.memory, address, words)) unbacked('PASID entry', address);
  }

  /** Reads a PASID's entry; all zero when its table does not exist. */
  readEntry(pasid: number): Uint32Array {
    const address = this.entryAddress(pasid);
    if (address === undefined) return PASID_ENTRY_LAYOUT.create();
    return readWords(this.memory, address, PASID_ENTRY_LAYOUT.wordCount) ?? unbacked('PASID entry', address);
  }

  /** Zeroes a PASID's entry (when its table exists). */
  clearEntry(pasid: number): void {
    const address = this.entryAddress(pasid);
    if (address !== undefined && !writeWords(this.memory, address, PASID_ENTRY_LAYOUT.create())) unbacked('PASID entry', address);
  }
}
