/**
 * The queued invalidation interface's mechanics (VT-d spec §6.5.2 and §10.4 IQH_REG, IQT_REG, IQA_REG,
 * ICS_REG, IECTL_REG, IQERCD_REG): a circular queue of 128- or 256-bit descriptors in memory, consumed by
 * hardware from the head (IQH) up to the tail (IQT) that software advances. This model is synchronous:
 * a write of IQT processes every descriptor up to the new tail before the write returns.
 *
 * On a malformed descriptor hardware sets FSTS.IQE, leaves IQH pointing at the offending descriptor and
 * stops; processing resumes once software clears IQE.
 * @packageDocumentation
 */
import type { PhysicalMemory } from '@viommu/core';
import { EXTERNAL_ABORT } from '@viommu/core';
import type { FaultLog } from './fault-log';
import { EventControl, ICS_IWC, Iqa, QUEUE_POINTER_MASK, QueueErrorInfo } from './registers';

/**
 * Executes one fetched descriptor. `words` holds its 32-bit words (4 for 128-bit, 8 for 256-bit
 * descriptors), least significant first. Returns 0 when it was executed, else the IQERCD.IQEI value
 * ({@link QueueErrorInfo}) explaining why it is invalid.
 */
export type DescriptorExecutor = (words: Uint32Array, wide: boolean) => number;

/** IQA, IQH, IQT, ICS, IECTL and IQERCD, and the processing loop. */
export class InvalidationQueue {
  /** IQA_REG as written (writable bits only). */
  iqa = 0n;
  /** IQH_REG.QH as a byte offset into the queue. */
  head = 0;
  /** IQT_REG.QT as a byte offset into the queue. */
  tail = 0;
  /** IQERCD_REG.IQEI of the last queue error. */
  errorInfo = 0;
  /** Descriptors executed since creation (for tests and statistics). */
  executed = 0;
  /** Invalidation completion interrupts delivered. */
  interruptsDelivered = 0;
  private enabled = false;
  private ics = 0;
  private iectl: number = EventControl.IM;

  /**
   * @param memory where the queue and wait-descriptor status addresses live (host physical memory).
   * @param faults the fault log, which owns FSTS.IQE.
   * @param onInterrupt called when an invalidation completion interrupt is delivered.
   */
  constructor(
    private readonly memory: PhysicalMemory,
    private readonly faults: FaultLog,
    private readonly onInterrupt?: () => void,
  ) {}

  /** Queue base address, IQA_REG.IQA [63:12]. */
  get base(): number {
    return Number(this.iqa & 0xffff_ffff_ffff_f000n);
  }

  /** True for 256-bit descriptors (IQA_REG.DW). */
  get wide(): boolean {
    return (this.iqa & BigInt(Iqa.DW)) !== 0n;
  }

  /** Queue size in bytes: 2^QS pages of 4 KiB. */
  get sizeBytes(): number {
    return 2 ** (Number(this.iqa & BigInt(Iqa.QS_MASK)) + 12);
  }

  /** Descriptor size in bytes (16 or 32). */
  get descriptorBytes(): number {
    return this.wide ? 32 : 16;
  }

  /** Enables or disables queued invalidation (GCMD.QIE); disabling resets IQH to 0 (§10.4 IQH_REG). */
  setEnabled(on: boolean, execute: DescriptorExecutor): void {
    this.enabled = on;
    if (!on) this.head = 0;
    else this.process(execute);
  }

  /** True while queued invalidation is enabled (GSTS.QIES). */
  get isEnabled(): boolean {
    return this.enabled;
  }

  /** A software write of IQA_REG (`wideAllowed`: ECAP.SMTS, without which DW is reserved and reads 0). */
  writeIqa(value: bigint, wideAllowed: boolean): void {
    let v = value & Iqa.WRITE_MASK;
    if (!wideAllowed) v &= ~BigInt(Iqa.DW);
    this.iqa = v;
  }

  /** A software write of IQT_REG: stores QT and processes the queue. */
  writeIqt(value: bigint, execute: DescriptorExecutor): void {
    this.tail = Number(value & BigInt(QUEUE_POINTER_MASK));
    this.process(execute);
  }

  /** Processes descriptors from IQH up to IQT while enabled and FSTS.IQE is clear. */
  process(execute: DescriptorExecutor): void {
    if (!this.enabled) return;
    const size = this.sizeBytes;
    const step = this.descriptorBytes;
    while (!this.faults.queueError && this.head !== this.tail) {
      if (this.wide && this.tail % 32 !== 0) {
        this.fail(QueueErrorInfo.TAIL_MISALIGNED);
        return;
      }
      if (this.tail >= size) {
        this.fail(QueueErrorInfo.INVALID_TAIL);
        return;
      }
      // A head beyond the queue (QS shrunk under it) wraps as hardware's modulo counter would.
      if (this.head >= size) this.head %= size;
      const words = this.fetch(this.base + this.head, step / 4);
      if (!words) {
        this.fail(QueueErrorInfo.FETCH_ERROR);
        return;
      }
      const error = execute(words, this.wide);
      if (error !== 0) {
        this.fail(error);
        return;
      }
      this.executed++;
      this.head = (this.head + step) % size;
    }
  }

  private fetch(address: number, count: number): Uint32Array | undefined {
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const v = this.memory.read32(address + i * 4);
      if (v === EXTERNAL_ABORT) return undefined;
      out[i] = v;
    }
    return out;
  }

  private fail(info: number): void {
    this.errorInfo = info;
    this.faults.setQueueError();
  }

  /**
   * Completes an invalidation wait descriptor with IF = 1: sets ICS.IWC and raises an invalidation
   * completion event, unless IWC was already set (a previous event not yet serviced).
   */
  signalCompletion(): void {
    if (this.ics & ICS_IWC) return;
    this.ics |= ICS_IWC;
    this.iectl |= EventControl.IP;
    if (!(this.iectl & EventControl.IM)) this.deliver();
  }

  private deliver(): void {
    this.iectl &= ~EventControl.IP;
    this.interruptsDelivered++;
    this.onInterrupt?.();
  }

  /** The value of ICS_REG. */
  readIcs(): number {
    return this.ics;
  }

  /** A software write of ICS_REG: IWC is RW1C; clearing it clears IECTL.IP. */
  writeIcs(value: number): void {
    if (value & ICS_IWC) {
      this.ics &= ~ICS_IWC;
      this.iectl &= ~EventControl.IP;
    }
  }

  /** The value of IECTL_REG. */
  readIectl(): number {
    return this.iectl >>> 0;
  }

  /** A software write of IECTL_REG: only IM is writable; unmasking with IP set delivers the interrupt. */
  writeIectl(value: number): void {
    this.iectl = (this.iectl & ~EventControl.IM) | (value & EventControl.IM);
    if (!(this.iectl & EventControl.IM) && this.iectl & EventControl.IP) this.deliver();
  }
}
