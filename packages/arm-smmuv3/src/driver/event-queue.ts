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
import { QueueDriver } from './queue-driver';
import { read32, type SmmuRegisterPort } from './register-port';

/** Bytes per event record (§7.3). */
const EVENT_BYTES = 32;

/** One Event queue owned by the driver: {@link EventQueueDriver.drain} is what an event interrupt handler does. */
export class EventQueueDriver extends QueueDriver {
  /** Overflows seen (events the SMMU had to discard). */
  overflows = 0;

  /**
   * @param regs the SMMU registers.
   * @param memory where the queue lives.
   * @param base queue base PA, aligned to the queue size.
   * @param log2Size log2 of the number of entries (≤ SMMU_IDR1.EVENTQS).
   */
  constructor(regs: SmmuRegisterPort, memory: PhysicalMemory, base: number, log2Size: number) {
    super(regs, memory, base, log2Size, EVENT_BYTES, { base: SmmuReg.EVENTQ_BASE, prod: SmmuReg.EVENTQ_PROD, cons: SmmuReg.EVENTQ_CONS });
  }

  /** Reads and consumes every pending record (8 words each), oldest first. */
  drain(): Uint32Array[] {
    const mask = this.wrapMask;
    const prodReg = read32(this.regs, SmmuReg.EVENTQ_PROD);
    const consReg = read32(this.regs, SmmuReg.EVENTQ_CONS);
    const prod = prodReg & mask;
    let cons = consReg & mask;
    const out: Uint32Array[] = [];
    while (cons !== prod) {
      const words = readWords(this.memory, this.entryAddress(cons), EVENT_BYTES / 4);
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
