/**
 * The SMMU side of the Event queue (§7.2 recording, §7.4 overflow): 32-byte records written at
 * EVENTQ_PROD when the queue is writable, overflow flagged in EVENTQ_PROD.OVFLG, external aborts on the
 * queue reported as GERROR.EVENTQ_ABT_ERR (synchronously: PROD is not advanced past an aborted write,
 * §7.2.2).
 * @packageDocumentation
 */
import { readWords, writeWords, type PhysicalMemory } from '@viommu/core';
import { queueEmpty, queueEntryAddress, queueFull, queueGeometry, queueIncrement, type QueueGeometry } from './queue-index';
import { Cr0, Gerror, QUEUE_OVERFLOW_FLAG, SmmuReg } from './register-map';
import type { SmmuRegisters } from './registers';

/** Size of an event record in bytes (§7.3). */
export const EVENT_RECORD_BYTES = 32;

/** What happened to an event the SMMU tried to record. */
export type EventDelivery =
  /** Written to the queue and PROD advanced. */
  | 'recorded'
  /** EVENTQEN == 0: discarded without overflow (§7.4). */
  | 'disabled'
  /** The queue was full: discarded, overflow flagged (§7.4). */
  | 'overflow'
  /** An unacknowledged EVENTQ_ABT_ERR makes the queue unwritable (§7.2.1). */
  | 'aborted-queue'
  /** The write itself hit an external abort: EVENTQ_ABT_ERR raised (§7.2.2). */
  | 'write-abort';

/** Event queue producer over the register file and memory. */
export class EventQueue {
  /**
   * @param regs the register file (EVENTQ_BASE, EVENTQ_PROD/CONS, CR0ACK, GERROR).
   * @param memory where the queue lives.
   * @param maxLog2Size IDR1.EVENTQS, the cap on EVENTQ_BASE.LOG2SIZE.
   * @param oasBits the physical address size, for truncating the base address.
   */
  constructor(
    private readonly regs: SmmuRegisters,
    private readonly memory: PhysicalMemory,
    private readonly maxLog2Size: number,
    private readonly oasBits: number,
  ) {}

  /** The queue geometry from EVENTQ_BASE. */
  geometry(): QueueGeometry {
    const r = this.regs;
    return queueGeometry(r.get(SmmuReg.EVENTQ_BASE + 4), r.get(SmmuReg.EVENTQ_BASE), this.maxLog2Size, EVENT_RECORD_BYTES, this.oasBits);
  }

  /** Tries to record one 32-byte event record (8 words). */
  record(words: Uint32Array): EventDelivery {
    const r = this.regs;
    if ((r.cr0ack & Cr0.EVENTQEN) === 0) return 'disabled';
    if (r.eventqAbortActive()) return 'aborted-queue';
    const g = this.geometry();
    const prod = r.get(SmmuReg.EVENTQ_PROD);
    const cons = r.get(SmmuReg.EVENTQ_CONS);
    if (queueFull(prod, cons, g.log2Size)) {
      // Toggle OVFLG only when no overflow condition is present (OVFLG == OVACKFLG), §7.4.
      if (((prod ^ cons) & QUEUE_OVERFLOW_FLAG) === 0) r.set(SmmuReg.EVENTQ_PROD, (prod ^ QUEUE_OVERFLOW_FLAG) >>> 0);
      return 'overflow';
    }
    if (!writeWords(this.memory, queueEntryAddress(g, prod), words)) {
      r.raiseGlobalError(Gerror.EVENTQ_ABT_ERR);
      return 'write-abort';
    }
    r.set(SmmuReg.EVENTQ_PROD, ((prod & QUEUE_OVERFLOW_FLAG) | queueIncrement(prod, g.log2Size)) >>> 0);
    return 'recorded';
  }

  /**
   * Reads the records between EVENTQ_CONS and EVENTQ_PROD, oldest first, as software would; with
   * `consume` it then advances EVENTQ_CONS.RD to PROD (keeping OVACKFLG). Unreadable entries are skipped.
   */
  drain(consume: boolean): Uint32Array[] {
    const r = this.regs;
    const g = this.geometry();
    const prod = r.get(SmmuReg.EVENTQ_PROD);
    let cons = r.get(SmmuReg.EVENTQ_CONS);
    const out: Uint32Array[] = [];
    let guard = 2 ** g.log2Size;
    while (!queueEmpty(prod, cons, g.log2Size) && guard-- > 0) {
      const words = readWords(this.memory, queueEntryAddress(g, cons), EVENT_RECORD_BYTES / 4);
      if (words) out.push(words);
      cons = queueIncrement(cons, g.log2Size);
    }
    if (consume) r.set(SmmuReg.EVENTQ_CONS, ((r.get(SmmuReg.EVENTQ_CONS) & QUEUE_OVERFLOW_FLAG) | cons) >>> 0);
    return out;
  }
}
