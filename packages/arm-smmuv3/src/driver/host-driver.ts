/**
 * The host SMMUv3 driver (what Linux's arm-smmu-v3 does at probe and reset): read the ID registers,
 * allocate and program the Stream table, the Command queue and the Event queue, invalidate everything the
 * SMMU may have cached, and enable it (Arm IHI0070 §6.3.9 CR0 and CR0ACK, §3.21 reset). Afterwards it
 * offers the primitives the domain code uses: STE writes, command submission, event draining, VMID/ASID
 * allocation. It reaches the SMMU only through registers and memory.
 * @packageDocumentation
 */
import { IommuError, type PhysicalMemory, type TableAllocator } from '@viommu/core';
import { Cr0, Cr2, SmmuReg } from '../model/register-map';
import { decodeCapabilities, encodeCommand, type SmmuCapabilities } from '../structures/index';
import { CommandQueueDriver } from './command-queue';
import type { EntryUpdate } from './entry-writer';
import { EventQueueDriver } from './event-queue';
import { IdAllocator } from './id-allocator';
import { RecordingAllocator, type MemoryRange } from './recording-allocator';
import { read32, type SmmuRegisterPort } from './register-port';
import { StreamTableDriver } from './stream-table';

/** SMMU_IDR3.RIL, bit 10: range invalidation and TTL hints in TLBI commands [SPEC 6.3.4]. */
const IDR3_RIL = 1 << 10;
/** SMMU_CR1 as Linux programs it: tables and queues inner-shareable, write-back (§6.3.11). */
const CR1_WB_ISH = (3 << 10) | (1 << 8) | (1 << 6) | (3 << 4) | (1 << 2) | 1;
/** Queue sizes the driver asks for (capped by IDR1.CMDQS / EVENTQS). */
const DEFAULT_QUEUE_LOG2 = 8;

/** Options of {@link SmmuV3HostDriver}. */
export interface HostDriverOptions {
  /** log2 of the Command queue entries (default 8, capped at SMMU_IDR1.CMDQS). */
  cmdqLog2Size?: number;
  /** log2 of the Event queue entries (default 8, capped at SMMU_IDR1.EVENTQS). */
  eventqLog2Size?: number;
  /** Use a linear Stream table even when a 2-level one is possible. */
  forceLinearStreamTable?: boolean;
}

/** The host driver of one SMMU. */
export class SmmuV3HostDriver {
  /** Capabilities read from SMMU_IDR0/1/5. */
  readonly caps: SmmuCapabilities;
  /** SMMU_IDR3.RIL: range TLBIs are available. */
  readonly rangeInvalidation: boolean;
  /** The Stream table. */
  readonly streamTable: StreamTableDriver;
  /** The Command queue. */
  readonly cmdq: CommandQueueDriver;
  /** The Event queue. */
  readonly eventq: EventQueueDriver;
  /** VMIDs (STE.S2VMID), 1 and up (0 tags host stage-1 contexts). */
  readonly vmids: IdAllocator;
  /** ASIDs of host stage-1 contexts, 1 and up. */
  readonly asids: IdAllocator;
  /** Everything the driver allocated, for ownership checks. */
  readonly allocator: RecordingAllocator;

  /**
   * Probes and resets the SMMU and enables it.
   * @param regs the SMMU register interface.
   * @param memory host memory (tables and queues live here).
   * @param allocator host table allocator.
   * @throws IommuError `CONFIG_UNSUPPORTED` when the SMMU lacks AArch64 tables or a 4 KB granule.
   */
  constructor(
    readonly regs: SmmuRegisterPort,
    readonly memory: PhysicalMemory,
    allocator: TableAllocator,
    options: HostDriverOptions = {},
  ) {
    this.allocator = allocator instanceof RecordingAllocator ? allocator : new RecordingAllocator(allocator);
    this.caps = decodeCapabilities({
      idr0: read32(regs, SmmuReg.IDR0),
      idr1: read32(regs, SmmuReg.IDR1),
      idr5: read32(regs, SmmuReg.IDR5),
    });
    const c = this.caps;
    if (!c.ttfAArch64 || !c.gran4k) {
      throw new IommuError('CONFIG_UNSUPPORTED', 'the driver needs VMSAv8-64 tables (IDR0.TTF) with the 4 KB granule (IDR5.GRAN4K)');
    }
    this.rangeInvalidation = (read32(regs, SmmuReg.IDR3) & IDR3_RIL) !== 0;
    this.vmids = new IdAllocator('VMID', c.vmid16 ? 16 : 8);
    this.asids = new IdAllocator('ASID', c.asid16 ? 16 : 8);

    // Reset: everything off, then queues, caches, Stream table, and finally SMMUEN (§3.21, §6.3.9).
    this.setCr0(0);
    regs.writeRegister(SmmuReg.CR1, CR1_WB_ISH, 4);
    regs.writeRegister(SmmuReg.CR2, Cr2.RECINVSID | (c.btm ? Cr2.PTM : 0), 4);
    const cmdqLog2 = Math.min(options.cmdqLog2Size ?? DEFAULT_QUEUE_LOG2, c.cmdqs);
    const evtqLog2 = Math.min(options.eventqLog2Size ?? DEFAULT_QUEUE_LOG2, c.eventqs);
    this.cmdq = new CommandQueueDriver(regs, memory, this.allocateQueue(16, cmdqLog2), cmdqLog2);
    this.eventq = new EventQueueDriver(regs, memory, this.allocateQueue(32, evtqLog2), evtqLog2);
    this.streamTable = new StreamTableDriver(memory, this.allocator, c, (cmds) => this.submit(cmds), { forceLinear: !!options.forceLinearStreamTable });
    this.streamTable.program(regs);
    this.cmdq.program();
    let cr0 = Cr0.CMDQEN;
    this.setCr0(cr0);
    const flush = [
      encodeCommand({ name: 'CMD_CFGI_STE_RANGE', fields: { Range: 31 } }), // CMD_CFGI_ALL
      encodeCommand({ name: 'CMD_TLBI_NSNH_ALL' }),
    ];
    if (c.hyp) flush.push(encodeCommand({ name: 'CMD_TLBI_EL2_ALL' }));
    this.submit(flush);
    this.eventq.program();
    cr0 |= Cr0.EVENTQEN;
    this.setCr0(cr0);
    cr0 |= Cr0.SMMUEN;
    this.setCr0(cr0);
  }

  private allocateQueue(entryBytes: number, log2: number): number {
    const bytes = Math.max(32, entryBytes * 2 ** log2);
    return this.allocator.allocate(bytes, bytes);
  }

  /** Writes SMMU_CR0 and waits for SMMU_CR0ACK to follow (§6.3.9). */
  private setCr0(value: number): void {
    this.regs.writeRegister(SmmuReg.CR0, value, 4);
    const ack = read32(this.regs, SmmuReg.CR0ACK);
    if ((ack & (Cr0.SMMUEN | Cr0.CMDQEN | Cr0.EVENTQEN)) !== (value & (Cr0.SMMUEN | Cr0.CMDQEN | Cr0.EVENTQEN))) {
      throw new IommuError('CONFIG_UNSUPPORTED', `SMMU_CR0ACK 0x${ack.toString(16)} did not follow CR0 0x${value.toString(16)}`);
    }
  }

  /** Submits commands followed by CMD_SYNC and waits for completion. */
  submit(commands: readonly Uint32Array[]): void {
    this.cmdq.submit(commands, true);
  }

  /** Rewrites the STE of `sid` hitlessly where possible (see {@link StreamTableDriver.writeSte}). */
  writeSte(sid: number, target: Uint32Array): EntryUpdate {
    if (!Number.isInteger(sid) || sid < 0 || sid >= 2 ** this.streamTable.log2Size) {
      throw new IommuError('DEVICE_UNKNOWN', `StreamID ${sid} is outside this SMMU's ${this.streamTable.log2Size}-bit Stream table`, { device: sid });
    }
    return this.streamTable.writeSte(sid, target);
  }

  /** Reads and consumes the pending event records. */
  drainEvents(): Uint32Array[] {
    return this.eventq.drain();
  }

  /** Memory the driver owns: Stream table, queues and every table it allocated (stage-2 tables, CD tables). */
  ownedRanges(): MemoryRange[] {
    return this.allocator.ranges();
  }
}
