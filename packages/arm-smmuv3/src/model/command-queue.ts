/**
 * The SMMU side of the Command queue (§4.1, §7.1): commands are consumed in order from CMDQ_CONS up to
 * CMDQ_PROD while CMDQEN == 1 and no CMDQ_ERR is active. A command that cannot be consumed leaves
 * CMDQ_CONS.RD pointing at it, sets CMDQ_CONS.ERR and activates GERROR.CMDQ_ERR; processing resumes
 * from that command when software acknowledges the error through GERRORN (§7.1).
 * @packageDocumentation
 */
import { readWords, type PhysicalMemory } from '@viommu/core';
import { queueEmpty, queueEntryAddress, queueGeometry, queueIncrement, type QueueGeometry } from './queue-index';
import { CMDQ_CONS_ERR_SHIFT, CmdqError, Cr0, Gerror, SmmuReg } from './register-map';
import type { SmmuRegisters } from './registers';

/** Size of a command in bytes (§4.1.1). */
export const COMMAND_BYTES = 16;

/**
 * Executes one command (4 little-endian words) and returns {@link CmdqError}.CERROR_NONE, or the error
 * code that stops the queue (CERROR_ILL for a malformed command).
 */
export type CommandExecutor = (words: Uint32Array) => number;

/** Command queue consumer over the register file and memory. */
export class CommandQueue {
  /**
   * @param regs the register file (CMDQ_BASE, CMDQ_PROD/CONS, CR0ACK, GERROR).
   * @param memory where the queue lives.
   * @param maxLog2Size IDR1.CMDQS, the cap on CMDQ_BASE.LOG2SIZE.
   * @param oasBits the physical address size, for truncating the base address.
   * @param execute runs one command.
   */
  constructor(
    private readonly regs: SmmuRegisters,
    private readonly memory: PhysicalMemory,
    private readonly maxLog2Size: number,
    private readonly oasBits: number,
    private readonly execute: CommandExecutor,
  ) {}

  /** The queue geometry from CMDQ_BASE. */
  geometry(): QueueGeometry {
    const r = this.regs;
    return queueGeometry(r.get(SmmuReg.CMDQ_BASE + 4), r.get(SmmuReg.CMDQ_BASE), this.maxLog2Size, COMMAND_BYTES, this.oasBits);
  }

  /**
   * Consumes every command between CONS and PROD, stopping at the first error (§7.1). Returns the number
   * of commands consumed. Does nothing while CMDQEN == 0 or CMDQ_ERR is active (§4.1.2).
   */
  process(): number {
    const r = this.regs;
    if ((r.cr0ack & Cr0.CMDQEN) === 0 || r.cmdqErrorActive()) return 0;
    const g = this.geometry();
    let consumed = 0;
    // A well-formed PROD is at most 2^QS entries ahead; the bound only guards a malformed PROD.
    for (let budget = 2 ** (g.log2Size + 1); budget > 0; budget--) {
      const prod = r.get(SmmuReg.CMDQ_PROD);
      const consReg = r.get(SmmuReg.CMDQ_CONS);
      if (queueEmpty(prod, consReg, g.log2Size)) break;
      const words = readWords(this.memory, queueEntryAddress(g, consReg), COMMAND_BYTES / 4);
      const error = words === undefined ? CmdqError.CERROR_ABT : this.execute(words);
      if (error !== CmdqError.CERROR_NONE) {
        this.fail(error);
        break;
      }
      // RD advances within [QS:0]; the bits above the wrap flag read as zero (§6.3.28); ERR is kept.
      const errField = consReg & (0x7f << CMDQ_CONS_ERR_SHIFT);
      r.set(SmmuReg.CMDQ_CONS, (errField | queueIncrement(consReg, g.log2Size)) >>> 0);
      consumed++;
    }
    return consumed;
  }

  /** Records a command error: CONS.ERR first, then GERROR.CMDQ_ERR (§7.1 ordering); RD stays put. */
  private fail(error: number): void {
    const r = this.regs;
    const cons = r.get(SmmuReg.CMDQ_CONS);
    r.set(SmmuReg.CMDQ_CONS, ((cons & ~(0x7f << CMDQ_CONS_ERR_SHIFT)) | ((error & 0x7f) << CMDQ_CONS_ERR_SHIFT)) >>> 0);
    r.raiseGlobalError(Gerror.CMDQ_ERR);
  }
}
