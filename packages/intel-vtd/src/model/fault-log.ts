/**
 * Primary fault logging: the fault recording registers, the fault-related bits of FSTS_REG and the fault
 * event interrupt controlled by FECTL_REG (VT-d spec §10.4 FSTS_REG / FECTL_REG / FRCD_REG, and the
 * "Primary Fault Logging" and "Fault Event Interrupt" sections of chapter 7).
 *
 * Recording follows the architecture step by step: a fault is dropped while FSTS.PFO is set; otherwise the
 * register at the internal index is used if its F bit is clear, else PFO is set and the fault dropped. The
 * first fault recorded while PPF is clear writes its index to FSTS.FRI and raises a fault event. This model
 * does not compress faults from the same requester (the architecture makes compression optional).
 * @packageDocumentation
 */
import { EventControl, Fsts } from './registers';

/** Bit 31 of the record's fourth 32-bit word: F, bit 127 of the fault recording register. */
const F_BIT = 0x8000_0000;

/** The FSTS bits whose being set blocks a new fault event until software clears them (chapter 7, fault events). */
const EVENT_STATUS = Fsts.PFO | Fsts.PPF | Fsts.AFO | Fsts.APF | Fsts.IQE | Fsts.ICE | Fsts.ITE;

/** A pending fault as {@link FaultLog.pending} lists it. */
export interface PendingFault {
  /** Index of the fault recording register holding it. */
  index: number;
  /** The register's 128 bits as four 32-bit words, least significant first (F = 1). */
  record: Uint32Array;
}

/**
 * The fault recording registers (CAP.NFR + 1 of them) with FSTS and FECTL. Owns FSTS entirely, so the
 * invalidation queue reports IQE through {@link FaultLog.setQueueError}.
 */
export class FaultLog {
  /** Number of fault recording registers (CAP.NFR + 1). */
  readonly count: number;
  private readonly words: Uint32Array;
  private nextIndex = 0;
  /** FSTS bits other than PPF (which is computed from the F bits). */
  private status = 0;
  private fectl: number = EventControl.IM;
  /** Fault events delivered as interrupts (FECTL.IM clear when raised or unmasked later). */
  interruptsDelivered = 0;

  /**
   * @param count number of fault recording registers (CAP.NFR + 1, 1..256).
   * @param onInterrupt called when a fault event interrupt is delivered (FEDATA/FEADDR message).
   */
  constructor(
    count: number,
    private readonly onInterrupt?: () => void,
  ) {
    this.count = count;
    this.words = new Uint32Array(count * 4);
  }

  private fBit(index: number): boolean {
    return (this.words[index * 4 + 3]! & F_BIT) !== 0;
  }

  /** FSTS.PPF: the OR of every register's F bit. */
  private get ppf(): boolean {
    for (let i = 0; i < this.count; i++) if (this.fBit(i)) return true;
    return false;
  }

  /**
   * Records a fault. `record` holds the 128-bit fault information (F is set here). Returns false when the
   * fault was dropped because of a primary fault overflow (FSTS.PFO already set, or the next register busy).
   */
  record(record: ArrayLike<number>): boolean {
    if (this.status & Fsts.PFO) return false;
    const before = this.readFsts();
    const index = this.nextIndex;
    if (this.fBit(index)) {
      this.status |= Fsts.PFO;
      this.raiseEvent(before);
      return false;
    }
    const base = index * 4;
    this.words[base] = record[0]! >>> 0;
    this.words[base + 1] = record[1]! >>> 0;
    this.words[base + 2] = record[2]! >>> 0;
    this.words[base + 3] = ((record[3]! | F_BIT) >>> 0);
    if (!(before & Fsts.PPF)) {
      this.status = (this.status & ~(0xff << Fsts.FRI_SHIFT)) | (index << Fsts.FRI_SHIFT);
      this.raiseEvent(before);
    }
    this.nextIndex = (index + 1) % this.count;
    return true;
  }

  /** Sets FSTS.IQE (an invalidation queue error) and raises a fault event. */
  setQueueError(): void {
    const before = this.readFsts();
    this.status |= Fsts.IQE;
    this.raiseEvent(before);
  }

  /** True while FSTS.IQE is set (queue processing is stopped). */
  get queueError(): boolean {
    return (this.status & Fsts.IQE) !== 0;
  }

  /** Resets the internal recording index (hardware does so when TES and IRES are both clear). */
  resetIndex(): void {
    this.nextIndex = 0;
  }

  /** The value of FSTS_REG. */
  readFsts(): number {
    return (this.status | (this.ppf ? Fsts.PPF : 0)) >>> 0;
  }

  /** A software write of FSTS_REG: the RW1C bits written as 1 are cleared; the rest is read-only. */
  writeFsts(value: number): void {
    this.status &= ~(value & Fsts.RW1C);
    this.afterStatusCleared();
  }

  /** The value of FECTL_REG. */
  readFectl(): number {
    return this.fectl >>> 0;
  }

  /** A software write of FECTL_REG: only IM is writable; unmasking with IP set delivers the interrupt. */
  writeFectl(value: number): void {
    this.fectl = (this.fectl & ~EventControl.IM) | (value & EventControl.IM);
    if (!(this.fectl & EventControl.IM) && this.fectl & EventControl.IP) this.deliver();
  }

  /** One 32-bit word (0..3) of fault recording register `index`. */
  readWord(index: number, word: number): number {
    return this.words[index * 4 + word]! >>> 0;
  }

  /** A software write of word `word` of register `index`: only F (bit 127, word 3 bit 31) is writable, RW1C. */
  writeWord(index: number, word: number, value: number): void {
    if (word !== 3 || !(value & F_BIT)) return;
    const i = index * 4 + 3;
    this.words[i] = (this.words[i]! & ~F_BIT) >>> 0;
    this.afterStatusCleared();
  }

  /** The registers with F set, in index order. */
  pending(): PendingFault[] {
    const out: PendingFault[] = [];
    for (let i = 0; i < this.count; i++) {
      if (this.fBit(i)) out.push({ index: i, record: this.words.slice(i * 4, i * 4 + 4) });
    }
    return out;
  }

  /** Raises a fault event unless one of the event status bits was already set before this change. */
  private raiseEvent(before: number): void {
    if (before & EVENT_STATUS) return;
    this.fectl |= EventControl.IP;
    if (!(this.fectl & EventControl.IM)) this.deliver();
  }

  private deliver(): void {
    this.fectl &= ~EventControl.IP;
    this.interruptsDelivered++;
    this.onInterrupt?.();
  }

  /** Hardware clears FECTL.IP once software has serviced every status bit. */
  private afterStatusCleared(): void {
    if (!(this.readFsts() & EVENT_STATUS)) this.fectl &= ~EventControl.IP;
  }
}
