/**
 * The driver side of the Event queue (Arm IHI0070 §3.5, §7.2, §7.4, §6.3.29): a circular buffer of
 * 32-byte event records the SMMU produces at EVENTQ_PROD and software consumes at EVENTQ_CONS. The
 * driver reads the records between CONS and PROD, then writes CONS past them (what an event-queue
 * interrupt handler does); an overflow (EVENTQ_PROD.OVFLG ≠ EVENTQ_CONS.OVACKFLG, §7.4) is counted and
 * acknowledged.
 * @packageDocumentation
 */
import { readWords, type PhysicalMemory } from '@viommu/core';
import { QUEUE_OVERFLOW_FLAG, SmmuReg } from '../model/register-map';
import { read32, type SmmuRegisterPort } from './register-port';

/** Bytes per event record (§7.3). */
const EVENT_BYTES = 32;

/** One Event queue owned by the driver. */
export class EventQueueDriver {
  /** Overflows seen (events the SMMU had to discard). */
  overflows = 0;
  private readonly entries: number;

  /**
   * @param regs the SMMU registers.
   * @param memory where the queue lives.
   * @param base queue base PA, aligned to the queue size.
   * @param log2Size log2 of the number of entries (≤ SMMU_IDR1.EVENTQS).
   */
  constructor(
    private readonly regs: SmmuRegisterPort,
    private readonly memory: PhysicalMemory,
    readonly base: number,
    readonly log2Size: number,
  ) {
    this.entries = 2 ** log2Size;
  }

  /** Bytes of memory the queue occupies. */
  get bytes(): number {
    return this.entries * EVENT_BYTES;
  }

  /** Programs EVENTQ_BASE (WA = 1, ADDR, LOG2SIZE) and resets PROD and CONS; call while EVENTQEN == 0. */
  program(): void {
    const value = (1n << 62n) | BigInt(this.base) | BigInt(this.log2Size);
    this.regs.writeRegister(SmmuReg.EVENTQ_BASE, value, 8);
    this.regs.writeRegister(SmmuReg.EVENTQ_PROD, 0, 4);
    this.regs.writeRegister(SmmuReg.EVENTQ_CONS, 0, 4);
  }

  /** Reads and consumes every pending record (8 words each), oldest first. */
  drain(): Uint32Array[] {
    const mask = this.entries * 2 - 1;
    const prodReg = read32(this.regs, SmmuReg.EVENTQ_PROD);
    const consReg = read32(this.regs, SmmuReg.EVENTQ_CONS);
    const prod = prodReg & mask;
    let cons = consReg & mask;
    const out: Uint32Array[] = [];
    while (cons !== prod) {
      const words = readWords(this.memory, this.base + (cons % this.entries) * EVENT_BYTES, EVENT_BYTES / 4);
      if (words) out.push(words);
      cons = (cons + 1) & mask;
    }
    let ack = consReg & QUEUE_OVERFLOW_FLAG;
    if (((prodReg ^ consReg) & QUEUE_OVERFLOW_FLAG) !== 0) {
      this.overflows++;
      ack = prodReg & QUEUE_OVERFLOW_FLAG;
    }
    if (out.length > 0 || ack !== (consReg & QUEUE_OVERFLOW_FLAG)) {
      this.regs.writeRegister(SmmuReg.EVENTQ_CONS, (ack | cons) >>> 0, 4);
    }
    return out;
  }
}
