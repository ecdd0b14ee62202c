/**
 * The SMMUv3 device model: what the hardware does. It exposes the architected register interface
 * (§6.2–§6.3, offsets from the base of register page 0), reads Stream tables, CDs and translation tables
 * from a core {@link PhysicalMemory}, caches them (dropping entries only on invalidation commands or
 * capacity eviction), consumes the Command queue and records events in the Event queue.
 * @packageDocumentation
 */
import { IommuError, NestedTranslator, type PhysicalMemory } from '@viommu/core';
import { DEFAULT_SMMU_IDR, decodeCapabilities, decodeStreamTableConfig, type SmmuCapabilities, type StreamTableConfig } from '../structures/index';
import { SmmuCaches } from './caches';
import { CommandQueue } from './command-queue';
import { executeCommand, type CommandLogEntry } from './command-exec';
import type { PipelineEnv } from './env';
import { EVENT_CODES as EventCode } from '../structures/index';
import { EventQueue, type EventDelivery } from './event-queue';
import { decodeEventRecord, encodeEventSpec, type SmmuEvent } from './event-record';
import { translateEnabled } from './pipeline';
import { Cr0, Cr2, Gbpa, SmmuReg } from './register-map';
import { SmmuRegisters, WriteEffect, is64BitRegister } from './registers';
import { Transaction, type SmmuTransaction, type SmmuTranslateOptions } from './transaction';
import type { SilentAbortReason } from './outcome';

/** SMMU_IDR0.HTTU field (bits [7:6]). */
const IDR0_HTTU_MASK = 0b11 << 6;

/**
 * The model's default SMMU_IDR0: the structures' fully-featured {@link DEFAULT_SMMU_IDR} with HTTU
 * limited to 0b01 (Access flag only), because stage-1 hardware dirty-state management (CD.HD, which
 * clears AP[2]) is not modelled; with HTTU = 0b01 a CD with HD = 1 is ILLEGAL (C_BAD_CD) as the
 * architecture requires.
 */
export const DEFAULT_MODEL_IDR0 = ((DEFAULT_SMMU_IDR.idr0 & ~IDR0_HTTU_MASK) | (0b01 << 6)) >>> 0;

/**
 * The model's default SMMU_IDR3 (§6.3.4), what an SMMUv3.2 with both stages implements: HAD [2] (CD.HADx),
 * XNX [4] (stage-2 XN[1:0]), FWB [8], RIL [10] (range invalidation and TTL hints), BBML [12:11] = 0b01,
 * E0PD [13] (CD.E0PDx).
 */
export const DEFAULT_MODEL_IDR3 = (1 << 2) | (1 << 4) | (1 << 8) | (1 << 10) | (0b01 << 11) | (1 << 13);

/** The model's SMMU_AIDR (§6.3.8): ArchMajorRev 0, ArchMinorRev 2 — SMMUv3.2. */
export const MODEL_AIDR = 0x02;

/** Options of {@link SmmuV3Model}. */
export interface SmmuV3ModelOptions {
  /** SMMU_IDR0 (default {@link DEFAULT_MODEL_IDR0}). */
  readonly idr0?: number;
  /** SMMU_IDR1 (default the structures' {@link DEFAULT_SMMU_IDR}.idr1: 16-bit StreamIDs, 20-bit SubstreamIDs, 256-entry queues). */
  readonly idr1?: number;
  /** SMMU_IDR3 (default {@link DEFAULT_MODEL_IDR3}): HAD [2], XNX [4], RIL [10] and E0PD [13] change behaviour. */
  readonly idr3?: number;
  /** SMMU_IDR5 (default {@link DEFAULT_SMMU_IDR}.idr5: 48-bit OAS, all three granules). */
  readonly idr5?: number;
  /** SMMU_GBPA reset value (default 0: bypass while SMMUEN == 0; set bit 20 for a default-deny SMMU). */
  readonly gbpa?: number;
  /** Entries of the IOTLB (default 4096; 0 disables it). */
  readonly iotlbCapacity?: number;
  /** Entries of each configuration cache: STE, L1STD, CD, L1CD (default 1024; 0 disables them). */
  readonly configCacheCapacity?: number;
}

/** A successful translation. */
export interface SmmuTranslateSuccess {
  /** Discriminant. */
  readonly ok: true;
  /** Output physical address. */
  readonly output: number;
  /** The stage-1 output (IPA); the input address when stage 1 is bypassed. */
  readonly ipa: number;
  /** log2 of the page the translation holds for (the smaller of the two stages' leaves; 12 when bypassed). */
  readonly pageShift: number;
  /** Permissions granted, core Perm bits (stage 1 ∩ stage 2; all when bypassed). */
  readonly permitted: number;
  /** Served from the IOTLB. */
  readonly cached: boolean;
}

/** A terminated transaction. */
export interface SmmuTranslateFault {
  /** Discriminant. */
  readonly ok: false;
  /** The architected event, decoded (undefined for a silent termination). */
  readonly event: SmmuEvent | undefined;
  /** The 32-byte event record as 8 little-endian words (undefined for a silent termination). */
  readonly record: Uint32Array | undefined;
  /** True when the record was written to the Event queue. */
  readonly recorded: boolean;
  /**
   * What happened to the record: see {@link EventDelivery}; `suppressed` when the architecture says not to
   * record it (C_BAD_STREAMID with CR2.RECINVSID == 0; a translation-related fault of a stage whose CD.R /
   * STE.S2R is 0).
   */
  readonly delivery: EventDelivery | 'suppressed' | undefined;
  /** For a termination without an event, why. */
  readonly abort?: SilentAbortReason | undefined;
}

/** The outcome of {@link SmmuV3Model.translate}. */
export type SmmuTranslateResult = SmmuTranslateSuccess | SmmuTranslateFault;

/** An SMMUv3 (Non-secure programming interface) over a physical memory. */
export class SmmuV3Model {
  /** The decoded IDR0/IDR1/IDR5. */
  readonly caps: SmmuCapabilities;
  /** The caches (exposed for inspection and tests). */
  readonly caches: SmmuCaches;
  /** Commands consumed that have no effect on this model's state but are worth knowing about (PRI_RESP, RESUME, STALL_TERM, ATC_INV, SYNC…), oldest first. */
  readonly commandLog: CommandLogEntry[] = [];
  private readonly regs: SmmuRegisters;
  private readonly env: PipelineEnv;
  private readonly eventQueue: EventQueue;
  private readonly commandQueue: CommandQueue;
  private readonly translator: NestedTranslator;

  /**
   * @param memory the physical memory holding tables, structures and queues.
   * @throws IommuError `ARGUMENT` for option values that are not 32-bit unsigned integers or negative capacities.
   */
  constructor(
    readonly memory: PhysicalMemory,
    options: SmmuV3ModelOptions = {},
  ) {
    const u32 = (name: string, v: number | undefined, def: number): number => {
      if (v === undefined) return def;
      if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new IommuError('ARGUMENT', `${name} must be a 32-bit unsigned integer, got ${v}`);
      return v >>> 0;
    };
    const count = (name: string, v: number | undefined, def: number): number => {
      if (v === undefined) return def;
      if (!Number.isInteger(v) || v < 0) throw new IommuError('ARGUMENT', `${name} must be a non-negative integer, got ${v}`);
      return v;
    };
    const idr0 = u32('idr0', options.idr0, DEFAULT_MODEL_IDR0);
    const idr1 = u32('idr1', options.idr1, DEFAULT_SMMU_IDR.idr1);
    const idr3 = u32('idr3', options.idr3, DEFAULT_MODEL_IDR3);
    const idr5 = u32('idr5', options.idr5, DEFAULT_SMMU_IDR.idr5);
    this.caps = decodeCapabilities({ idr0, idr1, idr5 });
    const c = this.caps;
    this.regs = new SmmuRegisters(
      { idr0, idr1, idr2: 0, idr3, idr4: 0, idr5, iidr: 0, aidr: MODEL_AIDR },
      { pri: c.pri, ats: c.ats, vmw: c.vmw, hyp: c.hyp, btm: c.btm, msi: c.msi, atsRecErr: c.atsRecErr },
      u32('gbpa', options.gbpa, 0),
    );
    this.caches = new SmmuCaches(count('configCacheCapacity', options.configCacheCapacity, 1024), count('iotlbCapacity', options.iotlbCapacity, 4096));
    this.translator = new NestedTranslator(memory);
    const regs = this.regs;
    const caches = this.caches;
    const translator = this.translator;
    this.env = {
      memory,
      caps: c,
      xnx: (idr3 & (1 << 4)) !== 0,
      had: (idr3 & (1 << 2)) !== 0,
      e0pd: (idr3 & (1 << 13)) !== 0,
      caches,
      translator,
      get e2h() {
        return (regs.get(SmmuReg.CR2) & Cr2.E2H) !== 0;
      },
    };
    this.eventQueue = new EventQueue(regs, memory, c.eventqs, c.oasBits);
    this.commandQueue = new CommandQueue(regs, memory, c.cmdqs, c.oasBits, (words) =>
      executeCommand(words, { caps: c, idr3, caches, regs, memory, log: this.commandLog }),
    );
  }

  // ---- registers ----

  /**
   * Reads a register as software would (§6.2): a 32-bit access at a 4-byte aligned offset, or a 64-bit
   * access at the base of a 64-bit register (`size` defaults to 8 there and 4 elsewhere). Undefined
   * offsets read as zero. A 64-bit access to two 32-bit registers reads both (one of the CONSTRAINED
   * UNPREDICTABLE behaviours §6.2 allows).
   * @param offset byte offset from the base of page 0 (page 1 registers at +0x10000).
   * @throws IommuError `ARGUMENT` for a misaligned offset or a size other than 4 or 8.
   */
  readRegister(offset: number, size?: 4 | 8): bigint {
    const s = this.accessSize(offset, size);
    const lo = this.regs.read32(offset);
    if (s === 4) return BigInt(lo);
    return (BigInt(this.regs.read32(offset + 4)) << 32n) | BigInt(lo);
  }

  /**
   * Writes a register as software would (§6.2), with the architected side effects: writing CMDQ_PROD
   * (or enabling CMDQEN, or acknowledging CMDQ_ERR in GERRORN) runs the Command queue to completion or
   * to the first command error. A 64-bit write writes bits [31:0] then [63:32].
   * @param offset byte offset from the base of page 0 (page 1 registers at +0x10000).
   * @param value the value; bits above the access size must be zero.
   * @throws IommuError `ARGUMENT` for a misaligned offset, a bad size or a value that does not fit.
   */
  writeRegister(offset: number, value: bigint | number, size?: 4 | 8): void {
    const s = this.accessSize(offset, size);
    const v = typeof value === 'number' ? BigInt(value) : value;
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new IommuError('ARGUMENT', `register value ${value} is not an integer`);
    if (v < 0n || v >= 1n << BigInt(8 * s)) throw new IommuError('ARGUMENT', `value 0x${v.toString(16)} does not fit a ${8 * s}-bit access`);
    let effect: number = this.regs.write32(offset, Number(v & 0xffff_ffffn));
    if (s === 8) effect |= this.regs.write32(offset + 4, Number(v >> 32n));
    if (effect & WriteEffect.COMMAND_QUEUE) this.commandQueue.process();
  }

  private accessSize(offset: number, size: number | undefined): 4 | 8 {
    if (!Number.isInteger(offset) || offset < 0 || offset > 0x1_ffff) {
      throw new IommuError('ARGUMENT', `register offset ${offset} is outside the two 64 KB register pages`);
    }
    const s = size ?? (is64BitRegister(offset) ? 8 : 4);
    if ((s !== 4 && s !== 8) || offset % s !== 0) {
      throw new IommuError('ARGUMENT', `a ${String(size)}-byte register access at offset 0x${offset.toString(16)} is not aligned or not supported`);
    }
    return s;
  }

  // ---- transactions ----

  /**
   * Translates one transaction (§3.3): the answer, or the event the transaction raised (written to the
   * Event queue when it is writable).
   * @throws IommuError `ARGUMENT` for a malformed transaction.
   */
  translate(req: SmmuTransaction, options: SmmuTranslateOptions = {}): SmmuTranslateResult {
    const txn = new Transaction(req);
    const regs = this.regs;
    if ((regs.cr0ack & Cr0.SMMUEN) === 0) {
      // §6.3.9.6: GBPA decides; a bypassed address beyond the OAS is aborted without an event (§3.4).
      if ((regs.get(SmmuReg.GBPA) & Gbpa.ABORT) !== 0) return silent('GBPA_ABORT');
      if (txn.addressAtOrAbove(this.caps.oasBits)) return silent('DISABLED_ADDRESS_SIZE');
      const a = txn.addressNumber;
      return { ok: true, output: a, ipa: a, pageShift: 12, permitted: 63, cached: false };
    }
    const table = this.streamTable();
    this.translator.trace = options.trace;
    let r;
    try {
      r = translateEnabled(this.env, table, txn, !options.uncached);
    } finally {
      this.translator.trace = undefined;
    }
    if ('ok' in r) return r;
    if (r.failed === 'abort') return silent(r.reason);
    const record = encodeEventSpec(r.event);
    let delivery: EventDelivery | 'suppressed';
    if (r.unrecorded || (r.event.code === EventCode.C_BAD_STREAMID && (regs.get(SmmuReg.CR2) & Cr2.RECINVSID) === 0)) delivery = 'suppressed';
    else delivery = this.eventQueue.record(record);
    return { ok: false, event: decodeEventRecord(record), record, recorded: delivery === 'recorded', delivery };
  }

  private tableHi = -1;
  private tableLo = -1;
  private tableCfg = -1;
  private table: StreamTableConfig | undefined;

  /** The effective Stream table configuration, decoded again only when STRTAB_BASE / _CFG change. */
  private streamTable(): StreamTableConfig {
    const r = this.regs;
    const hi = r.get(SmmuReg.STRTAB_BASE + 4);
    const lo = r.get(SmmuReg.STRTAB_BASE);
    const cfg = r.get(SmmuReg.STRTAB_BASE_CFG);
    // Compare the three register values (no string key on every request).
    if (this.table === undefined || hi !== this.tableHi || lo !== this.tableLo || cfg !== this.tableCfg) {
      this.table = decodeStreamTableConfig({ hi, lo }, cfg, this.caps);
      this.tableHi = hi;
      this.tableLo = lo;
      this.tableCfg = cfg;
    }
    return this.table;
  }

  // ---- event queue (software side, for tests and tools) ----

  /**
   * Reads the event records between EVENTQ_CONS and EVENTQ_PROD as a driver would, decoded, oldest
   * first; with `consume` (default true) advances EVENTQ_CONS past them (OVACKFLG is left alone).
   */
  readEvents(consume = true): SmmuEvent[] {
    return this.eventQueue.drain(consume).map((w) => decodeEventRecord(w));
  }

  /** Runs the Command queue now (normally a CMDQ_PROD write does this). Returns the number of commands consumed. */
  processCommands(): number {
    return this.commandQueue.process();
  }
}

function silent(reason: SilentAbortReason): SmmuTranslateFault {
  return { ok: false, event: undefined, record: undefined, recorded: false, delivery: undefined, abort: reason };
}
