/**
 * The driver side of the Stream table (Arm IHI0070 §3.3, §5.1, §6.3.24–§6.3.25): linear for small
 * StreamID spaces, else 2-level with SPLIT = 8 and level-2 arrays allocated on first use, each described
 * by an L1STD with Span = SPLIT + 1 — the choices the Linux driver makes. Every STE starts valid with
 * Config = abort (V = 1, Config = 0b000: traffic terminates without events), so a StreamID nobody
 * configured is blocked. STE changes go through the hitless writer ({@link writeEntry}).
 * @packageDocumentation
 */
import { readWords, type PhysicalMemory, type TableAllocator } from '@viommu/core';
import { SmmuReg } from '../model/register-map';
import { encodeCommand, L1STD, STE, STE_BYTES, STE_WORDS, type SmmuCapabilities } from '../structures/index';
import { writeEntry, type EntryUpdate, type UpdateCounts } from './entry-writer';
import type { SmmuRegisterPort } from './register-port';
import type { MemoryRange } from './recording-allocator';
import { steUsedBits } from './used-bits';

/** SPLIT of a 2-level Stream table: 8, as Linux uses (16 KB level-2 arrays of 256 STEs). */
export const STREAM_TABLE_SPLIT = 8;
/** Largest level-1 table the driver allocates: 2^17 L1STDs (1 MB), as Linux caps it. */
const MAX_L1_LOG2_ENTRIES = 17;

/** Submits commands to the Command queue, followed by a CMD_SYNC. */
export type CommandSubmitter = (commands: Uint32Array[]) => void;

/** The abort STE every entry starts as: V = 1, Config = 0b000. */
export function abortSte(): Uint32Array {
  return STE.encode({ V: 1, Config: 0 });
}

/** Options of {@link StreamTableDriver}. */
export interface StreamTableOptions {
  /** Use a linear table even when 2-level tables are supported (they are used only above SPLIT bits anyway). */
  forceLinear?: boolean;
}

/** The Stream table of one SMMU. */
export class StreamTableDriver {
  /** `linear` or `2-level`. */
  readonly format: 'linear' | '2-level';
  /** STRTAB_BASE_CFG.LOG2SIZE: StreamIDs ≥ 2^log2Size are out of range. */
  readonly log2Size: number;
  /** STRTAB_BASE_CFG.SPLIT (meaningful for 2-level tables). */
  readonly split = STREAM_TABLE_SPLIT;
  /** PA of the linear table or the level-1 table. */
  readonly base: number;
  /** Memory the table occupies (level 1 and every level-2 array), for ownership checks. */
  readonly ranges: MemoryRange[] = [];
  /** STE writes done, by kind. */
  readonly updates: UpdateCounts = { none: 0, hitless: 0, breaking: 0 };
  private readonly l2 = new Map<number, number>();

  /**
   * @param memory host memory.
   * @param allocator host table allocator.
   * @param caps the SMMU's capabilities (SIDSIZE, ST_LEVEL).
   * @param submit issues commands (followed by CMD_SYNC).
   */
  constructor(
    private readonly memory: PhysicalMemory,
    private readonly allocator: TableAllocator,
    caps: SmmuCapabilities,
    private readonly submit: CommandSubmitter,
    options: StreamTableOptions = {},
  ) {
    const twoLevel = !options.forceLinear && caps.stLevel === 1 && caps.sidSize > STREAM_TABLE_SPLIT;
    this.format = twoLevel ? '2-level' : 'linear';
    if (twoLevel) {
      this.log2Size = Math.min(caps.sidSize, MAX_L1_LOG2_ENTRIES + this.split);
      const bytes = Math.max(64, 8 * 2 ** (this.log2Size - this.split));
      this.base = allocator.allocate(bytes, bytes);
      this.ranges.push({ base: this.base, size: bytes });
    } else {
      this.log2Size = caps.sidSize;
      const bytes = STE_BYTES * 2 ** this.log2Size;
      this.base = allocator.allocate(bytes, bytes);
      this.ranges.push({ base: this.base, size: bytes });
      this.fillAbort(this.base, 2 ** this.log2Size);
    }
  }

  private fillAbort(base: number, count: number): void {
    const ste = abortSte();
    for (let i = 0; i < count; i++) this.memory.write32(base + i * STE_BYTES, ste[0]!);
  }

  /** SMMU_STRTAB_BASE: RA = 1 and the table address [SPEC 6.3.24]. */
  get strtabBase(): bigint {
    return (1n << 62n) | BigInt(this.base);
  }

  /** SMMU_STRTAB_BASE_CFG: FMT [17:16], SPLIT [10:6] (2-level only), LOG2SIZE [5:0] [SPEC 6.3.25]. */
  get strtabBaseCfg(): number {
    if (this.format === 'linear') return this.log2Size;
    return ((1 << 16) | (this.split << 6) | this.log2Size) >>> 0;
  }

  /** Programs STRTAB_BASE and STRTAB_BASE_CFG; call while SMMUEN == 0. */
  program(regs: SmmuRegisterPort): void {
    regs.writeRegister(SmmuReg.STRTAB_BASE, this.strtabBase, 8);
    regs.writeRegister(SmmuReg.STRTAB_BASE_CFG, this.strtabBaseCfg, 4);
  }

  private checkSid(sid: number): void {
    if (!Number.isInteger(sid) || sid < 0 || sid >= 2 ** this.log2Size) {
      throw new RangeError(`StreamID ${sid} is outside the ${this.log2Size}-bit Stream table`);
    }
  }

  /** The STE address of `sid` if its level-2 array exists (always, for a linear table). */
  steAddress(sid: number): number | undefined {
    this.checkSid(sid);
    if (this.format === 'linear') return this.base + sid * STE_BYTES;
    const l2 = this.l2.get(Math.floor(sid / 2 ** this.split));
    return l2 === undefined ? undefined : l2 + (sid % 2 ** this.split) * STE_BYTES;
  }

  /**
   * The STE address of `sid`, allocating its level-2 array first when needed: the array is filled with
   * abort STEs, then the L1STD is written (Span = SPLIT + 1) and published with CMD_CFGI_STE_RANGE over
   * the span and CMD_SYNC (an SMMU may have cached the invalid L1STD).
   */
  ensureSte(sid: number): number {
    const existing = this.steAddress(sid);
    if (existing !== undefined) return existing;
    const index = Math.floor(sid / 2 ** this.split);
    const count = 2 ** this.split;
    const bytes = count * STE_BYTES;
    const l2 = this.allocator.allocate(bytes, bytes);
    this.ranges.push({ base: l2, size: bytes });
    this.fillAbort(l2, count);
    const desc = L1STD.encode({ Span: this.split + 1, L2Ptr: BigInt(l2) });
    this.memory.write64(this.base + index * 8, desc[1]!, desc[0]!);
    this.l2.set(index, l2);
    this.submit([encodeCommand({ name: 'CMD_CFGI_STE_RANGE', fields: { StreamID: index * count, Range: this.split - 1 } })]);
    return l2 + (sid % count) * STE_BYTES;
  }

  /** The STE of `sid` as memory holds it (an abort STE for a StreamID never configured). */
  readSte(sid: number): Uint32Array {
    const at = this.steAddress(sid);
    return at === undefined ? abortSte() : (readWords(this.memory, at, STE_WORDS) ?? new Uint32Array(STE_WORDS));
  }

  /**
   * Rewrites the STE of `sid` into `target`, hitlessly when the change allows it, with CMD_CFGI_STE
   * (Leaf = 1) and CMD_SYNC after every step that changed memory.
   */
  writeSte(sid: number, target: Uint32Array): EntryUpdate {
    const at = this.ensureSte(sid);
    const current = this.readSte(sid);
    const cfgi = encodeCommand({ name: 'CMD_CFGI_STE', fields: { StreamID: sid, Leaf: 1 } });
    const result = writeEntry(current, target, {
      usedBits: steUsedBits,
      writeQword: (q, hi, lo) => void this.memory.write64(at + 8 * q, hi, lo),
      sync: () => this.submit([cfgi]),
    });
    this.updates[result.kind]++;
    return result;
  }
}
