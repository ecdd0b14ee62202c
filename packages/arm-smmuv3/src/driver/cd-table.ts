/**
 * The driver side of a Context Descriptor table (Arm IHI0070 §5.2 S1Fmt/S1CDMax, §5.3, §5.4): a single
 * CD, a linear table, or a 2-level table whose level-2 tables (64 KB of 1024 CDs, or 4 KB of 64) are
 * allocated on first use behind an L1CD. Linux's rule picks the format by default: linear up to 1024
 * CDs or without SMMU_IDR0.CD2L, else 2-level with 64 KB leaves.
 *
 * The same code serves the host (its own stage-1 contexts, in host memory) and a guest (its CD table in
 * guest memory, seen through stage 2): memory, allocator and invalidation are the caller's.
 * @packageDocumentation
 */
import { IommuError, readWords, type PhysicalMemory, type TableAllocator } from '@viommu/core';
import { CD_BYTES, CD_WORDS, L1CD, L1CD_BYTES } from '../structures/index';
import { writeEntry, type EntryUpdate, type UpdateCounts } from './entry-writer';
import type { MemoryRange } from './recording-allocator';
import { cdUsedBits } from './used-bits';
import { S1FmtValue } from './vendor-config';

/** How a CD-table owner makes the SMMU observe CD changes. */
export interface CdInvalidator {
  /**
   * CD `ssid` changed (with `leaf` false: its L1CD too): issue CMD_CFGI_CD for every StreamID using the
   * table (Leaf = `leaf`) and CMD_SYNC.
   */
  invalidateCd(ssid: number, leaf: boolean): void;
}

/** CD-table formats: STE.S1Fmt values ({@link S1FmtValue}). */
export type CdTableFormatChoice = 'linear' | '2-level-4k' | '2-level-64k';

/** Options of {@link CdTableDriver}. */
export interface CdTableOptions {
  /** STE.S1CDMax: the table holds 2^cdMax CDs (0: a single CD, no substreams). */
  cdMax: number;
  /** The format; default: Linux's rule (linear up to 1024 CDs or without CD2L, else 2-level 64 KB). */
  format?: CdTableFormatChoice;
  /** SMMU_IDR0.CD2L: 2-level tables allowed. */
  cd2l: boolean;
}

/** The format Linux would choose for 2^cdMax CDs. */
export function defaultCdTableFormat(cdMax: number, cd2l: boolean): CdTableFormatChoice {
  return !cd2l || cdMax <= 10 ? 'linear' : '2-level-64k';
}

/** One CD table and its level-2 tables. */
export class CdTableDriver {
  /** STE.S1ContextPtr: the address of the CD, linear table or level-1 table (in `memory`'s address space). */
  readonly base: number;
  /** STE.S1CDMax. */
  readonly cdMax: number;
  /** The format. */
  readonly format: CdTableFormatChoice;
  /** Memory the table occupies (all levels), in `memory`'s address space. */
  readonly ranges: MemoryRange[] = [];
  /** CD writes done, by kind. */
  readonly updates: UpdateCounts = { none: 0, hitless: 0, breaking: 0 };
  private readonly l2 = new Map<number, number>();
  private readonly l2Bits: number;

  /**
   * @param memory where the table lives.
   * @param allocator where its memory comes from (same address space).
   * @param invalidator publishes changes.
   * @throws IommuError `CONFIG_UNSUPPORTED` for a 2-level format without CD2L, `ARGUMENT` for a bad cdMax.
   */
  constructor(
    private readonly memory: PhysicalMemory,
    private readonly allocator: TableAllocator,
    private readonly invalidator: CdInvalidator,
    options: CdTableOptions,
  ) {
    if (!Number.isInteger(options.cdMax) || options.cdMax < 0 || options.cdMax > 20) {
      throw new IommuError('ARGUMENT', `S1CDMax ${options.cdMax} is not in 0..20`);
    }
    this.cdMax = options.cdMax;
    this.format = options.format ?? defaultCdTableFormat(options.cdMax, options.cd2l);
    if (this.format !== 'linear' && !options.cd2l) {
      throw new IommuError('CONFIG_UNSUPPORTED', `a ${this.format} CD table needs SMMU_IDR0.CD2L`);
    }
    this.l2Bits = this.format === '2-level-4k' ? 6 : 10;
    let bytes: number;
    if (this.format === 'linear' || this.cdMax === 0) {
      bytes = CD_BYTES * 2 ** this.cdMax;
    } else {
      bytes = Math.max(64, L1CD_BYTES * 2 ** Math.max(0, this.cdMax - this.l2Bits));
    }
    // Tables are aligned to their size [SPEC 5.2 S1ContextPtr, S1Fmt].
    this.base = allocator.allocate(bytes, bytes);
    this.ranges.push({ base: this.base, size: bytes });
  }

  /** STE.S1Fmt for this table (0 for a single CD, where S1Fmt is IGNORED). */
  get s1fmt(): number {
    if (this.cdMax === 0 || this.format === 'linear') return S1FmtValue.LINEAR;
    return this.format === '2-level-4k' ? S1FmtValue.TWO_LEVEL_4K : S1FmtValue.TWO_LEVEL_64K;
  }

  private get twoLevel(): boolean {
    return this.format !== 'linear' && this.cdMax > 0;
  }

  private checkSsid(ssid: number): void {
    if (!Number.isInteger(ssid) || ssid < 0 || ssid >= 2 ** this.cdMax) {
      throw new IommuError('ARGUMENT', `SubstreamID ${ssid} is outside a CD table of 2^${this.cdMax} CDs`);
    }
  }

  /** The address of CD `ssid` if its level-2 table exists (always for single and linear tables). */
  cdAddress(ssid: number): number | undefined {
    this.checkSsid(ssid);
    if (!this.twoLevel) return this.base + ssid * CD_BYTES;
    const l2 = this.l2.get(Math.floor(ssid / 2 ** this.l2Bits));
    return l2 === undefined ? undefined : l2 + (ssid % 2 ** this.l2Bits) * CD_BYTES;
  }

  /**
   * The address of CD `ssid`, allocating its level-2 table first when needed: the zeroed table (every CD
   * invalid), then the L1CD (V = 1, L2Ptr), published with CMD_CFGI_CD (Leaf = 0) and CMD_SYNC.
   */
  ensureCd(ssid: number): number {
    const existing = this.cdAddress(ssid);
    if (existing !== undefined) return existing;
    const index = Math.floor(ssid / 2 ** this.l2Bits);
    const bytes = CD_BYTES * 2 ** this.l2Bits;
    const l2 = this.allocator.allocate(bytes, bytes);
    this.ranges.push({ base: l2, size: bytes });
    const desc = L1CD.encode({ V: 1, L2Ptr: BigInt(l2) });
    if (!this.memory.write64(this.base + index * L1CD_BYTES, desc[1]!, desc[0]!)) {
      throw new IommuError('MEMORY_UNBACKED', `L1CD at 0x${(this.base + index * L1CD_BYTES).toString(16)} is not backed`);
    }
    this.l2.set(index, l2);
    this.invalidator.invalidateCd(ssid, false);
    return l2 + (ssid % 2 ** this.l2Bits) * CD_BYTES;
  }

  /** CD `ssid` as memory holds it (all zero, i.e. invalid, when its level-2 table does not exist). */
  readCd(ssid: number): Uint32Array {
    const at = this.cdAddress(ssid);
    if (at === undefined) return new Uint32Array(CD_WORDS);
    return readWords(this.memory, at, CD_WORDS) ?? new Uint32Array(CD_WORDS);
  }

  /**
   * Rewrites CD `ssid` into `target`, hitlessly when only one 64-bit word of a live CD changes, with
   * CMD_CFGI_CD (Leaf = 1) and CMD_SYNC after each step that changed memory.
   */
  writeCd(ssid: number, target: Uint32Array): EntryUpdate {
    const at = this.ensureCd(ssid);
    const current = this.readCd(ssid);
    const result = writeEntry(current, target, {
      usedBits: cdUsedBits,
      writeQword: (q, hi, lo) => {
        if (!this.memory.write64(at + 8 * q, hi, lo)) throw new IommuError('MEMORY_UNBACKED', `CD at 0x${at.toString(16)} is not backed`);
      },
      sync: () => this.invalidator.invalidateCd(ssid, true),
    });
    this.updates[result.kind]++;
    return result;
  }

  /** Makes CD `ssid` invalid (V = 0). */
  clearCd(ssid: number): EntryUpdate {
    return this.writeCd(ssid, new Uint32Array(CD_WORDS));
  }
}
