/**
 * What the driver side of every SMMU queue shares (Arm IHI0070 §3.5): a circular buffer of fixed-size
 * entries at a base aligned to its size, programmed through a `*_BASE` register (bit 62 the RA / WA hint,
 * ADDR, LOG2SIZE, §6.3.26 / §6.3.29) with PROD and CONS reset to 0, and indexes that carry a wrap bit just
 * above the index bits.
 * @packageDocumentation
 */
import type { PhysicalMemory } from '@viommu/core';
import type { SmmuRegisterPort } from './register-port';

/** The registers of one queue. */
export interface QueueRegisters {
  /** The 64-bit `*_BASE` register. */
  readonly base: number;
  /** The `*_PROD` register. */
  readonly prod: number;
  /** The `*_CONS` register. */
  readonly cons: number;
}

/** Geometry and programming of one queue owned by the driver. */
export abstract class QueueDriver {
  /** Number of entries, 2^log2Size. */
  protected readonly entries: number;
  /** Index bits plus the wrap bit. */
  protected readonly wrapMask: number;

  /**
   * @param regs the SMMU registers.
   * @param memory where the queue lives.
   * @param base queue base PA, aligned to the queue size (and at least 32 bytes).
   * @param log2Size log2 of the number of entries (≤ the SMMU_IDR1 limit for the queue).
   * @param entryBytes bytes per entry (16 for commands, 32 for event records).
   * @param registers the queue's BASE / PROD / CONS register offsets.
   */
  constructor(
    protected readonly regs: SmmuRegisterPort,
    protected readonly memory: PhysicalMemory,
    readonly base: number,
    readonly log2Size: number,
    private readonly entryBytes: number,
    private readonly registers: QueueRegisters,
  ) {
    this.entries = 1 << log2Size;
    this.wrapMask = this.entries * 2 - 1;
  }

  /** Bytes of memory the queue occupies. */
  get bytes(): number {
    return this.entries * this.entryBytes;
  }

  /** Programs `*_BASE` (RA / WA = 1, ADDR, LOG2SIZE) and resets PROD and CONS; call while the queue is disabled. */
  program(): void {
    const value = (1n << 62n) | BigInt(this.base) | BigInt(this.log2Size);
    this.regs.writeRegister(this.registers.base, value, 8);
    this.regs.writeRegister(this.registers.prod, 0, 4);
    this.regs.writeRegister(this.registers.cons, 0, 4);
  }

  /** Address of the entry a (wrap-bit-carrying) index names. */
  protected entryAddress(index: number): number {
    return this.base + (index & (this.entries - 1)) * this.entryBytes;
  }
}
