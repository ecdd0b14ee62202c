/**
 * The driver side of the Command queue (Arm IHI0070 §3.5, §4.1, §6.3.26–§6.3.28): a circular buffer of
 * 16-byte commands in memory, produced at CMDQ_PROD by software and consumed at CMDQ_CONS by the SMMU.
 * The driver writes commands, publishes them with one CMDQ_PROD write, and waits for CMDQ_CONS to pass
 * them; completion of everything before a CMD_SYNC is known once CONS has moved past the CMD_SYNC
 * (§4.7.3, polled completion with CS = SIG_NONE). A command error (GERROR.CMDQ_ERR, reason in
 * CMDQ_CONS.ERR, §7.1) is handled as Linux does: the faulty command is replaced by a CMD_SYNC, the error
 * acknowledged in GERRORN so the queue restarts, and the caller told.
 * @packageDocumentation
 */
import { IommuError, type PhysicalMemory } from '@viommu/core';
import { CMDQ_CONS_ERR_SHIFT, CmdqError, Gerror, SmmuReg } from '../model/register-map';
import { encodeCommand } from '../structures/index';
import { QueueDriver } from './queue-driver';
import { read32, type SmmuRegisterPort } from './register-port';

/** Bytes per command (§4.1.1). */
const COMMAND_BYTES = 16;

/** Names of CMDQ_CONS.ERR codes, for messages. */
const CERROR_NAMES: Record<number, string> = {
  [CmdqError.CERROR_ILL]: 'CERROR_ILL',
  [CmdqError.CERROR_ABT]: 'CERROR_ABT',
  [CmdqError.CERROR_ATC_INV_SYNC]: 'CERROR_ATC_INV_SYNC',
};

/** One Command queue owned by the driver. */
export class CommandQueueDriver extends QueueDriver {
  /** Commands published so far (CMD_SYNCs included). */
  issued = 0;
  /** CMD_SYNCs published so far. */
  syncs = 0;
  /** Called with each command as it is written to the queue (for traces and tests). */
  observer: ((words: Uint32Array) => void) | undefined;
  private prod = 0;
  private readonly sync: Uint32Array = encodeCommand({ name: 'CMD_SYNC', fields: { CS: 0 } });

  /**
   * @param regs the SMMU registers.
   * @param memory where the queue lives.
   * @param base queue base PA, aligned to the queue size (and at least 32 bytes).
   * @param log2Size log2 of the number of entries (≤ SMMU_IDR1.CMDQS).
   */
  constructor(regs: SmmuRegisterPort, memory: PhysicalMemory, base: number, log2Size: number) {
    super(regs, memory, base, log2Size, COMMAND_BYTES, { base: SmmuReg.CMDQ_BASE, prod: SmmuReg.CMDQ_PROD, cons: SmmuReg.CMDQ_CONS });
  }

  /**
   * Programs CMDQ_BASE (RA = 1, ADDR, LOG2SIZE) and resets PROD and CONS; call while CMDQEN == 0
   * (§6.3.26: the registers are Guarded by CMDQEN).
   */
  override program(): void {
    super.program();
    this.prod = 0;
  }

  private free(cons: number): number {
    const used = (this.prod - (cons & this.wrapMask) + 2 * this.entries) % (2 * this.entries);
    return this.entries - used;
  }

  /**
   * Publishes `commands` followed by a CMD_SYNC (unless `sync` is false) and waits until the SMMU has
   * consumed them all.
   * @throws IommuError `ARGUMENT` when the SMMU stopped on a command (CERROR_*); the queue is restarted
   * first, so later commands work.
   */
  submit(commands: readonly Uint32Array[], sync = true): void {
    const all = sync ? [...commands, this.sync] : [...commands];
    let i = 0;
    while (i < all.length) {
      const cons = read32(this.regs, SmmuReg.CMDQ_CONS);
      let room = this.free(cons);
      if (room === 0) throw new IommuError('ARGUMENT', 'the SMMU is not consuming the Command queue (is CMDQEN set?)');
      while (room > 0 && i < all.length) {
        const words = all[i]!;
        const at = this.entryAddress(this.prod);
        for (let w = 0; w < 4; w++) this.memory.write32(at + 4 * w, words[w]! >>> 0);
        this.prod = (this.prod + 1) & this.wrapMask;
        if (words === this.sync) this.syncs++;
        this.observer?.(words);
        this.issued++;
        room--;
        i++;
      }
      this.regs.writeRegister(SmmuReg.CMDQ_PROD, this.prod, 4);
      this.checkError();
    }
    const cons = read32(this.regs, SmmuReg.CMDQ_CONS) & this.wrapMask;
    if (cons !== this.prod) throw new IommuError('ARGUMENT', `the SMMU stopped consuming commands at index ${cons} (PROD ${this.prod})`);
  }

  /** Handles an active CMDQ_ERR: replace the faulty command by CMD_SYNC, acknowledge, throw. */
  private checkError(): void {
    const gerror = read32(this.regs, SmmuReg.GERROR);
    const gerrorn = read32(this.regs, SmmuReg.GERRORN);
    if (((gerror ^ gerrorn) & Gerror.CMDQ_ERR) === 0) return;
    const cons = read32(this.regs, SmmuReg.CMDQ_CONS);
    const code = (cons >>> CMDQ_CONS_ERR_SHIFT) & 0x7f;
    const at = this.entryAddress(cons);
    const opcode = this.memory.read32(at) & 0xff;
    for (let w = 0; w < 4; w++) this.memory.write32(at + 4 * w, this.sync[w]!);
    this.regs.writeRegister(SmmuReg.GERRORN, (gerrorn ^ Gerror.CMDQ_ERR) >>> 0, 4);
    throw new IommuError('ARGUMENT', `the SMMU rejected command opcode 0x${opcode.toString(16)} with ${CERROR_NAMES[code] ?? `error ${code}`}`, { opcode, error: code });
  }
}
