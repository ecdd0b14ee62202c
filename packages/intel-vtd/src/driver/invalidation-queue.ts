/**
 * The driver half of queued invalidation (VT-d spec §6.5.2, §10.4 IQA/IQH/IQT): a host-owned circular queue
 * of descriptors, 256-bit (IQA.DW = 1) in scalable mode as Linux uses them, 128-bit otherwise. Every
 * submission ends with an invalidation wait descriptor (type 5, SW = 1, FN = 1) whose status write the
 * driver checks, the way Linux's `qi_submit_sync` waits for completion.
 * @packageDocumentation
 */
import { IommuError, type PhysicalMemory, type TableAllocator, writeWords } from '@viommu/core';
import { Fsts, Gcmd, Gsts, VtdRegister } from '../model/index';
import { encodeQiDescriptor, type QiDescriptor } from '../structures/index';
import { globalCommand, type HostRange, type VtdRegisterAccess } from './registers';

/** Options of an {@link InvalidationQueueDriver}. */
export interface InvalidationQueueOptions {
  /** 256-bit descriptors (IQA.DW); valid only with ECAP.SMTS. */
  wide: boolean;
  /** Queue size: 2^qs pages of 4 KiB (IQA.QS, 0..7; default 0). */
  qs?: number;
}

/** The host's invalidation queue and its completion status word. */
export class InvalidationQueueDriver {
  /** Queue base (host physical, 4 KiB aligned). */
  readonly base: number;
  /** Queue size in bytes. */
  readonly sizeBytes: number;
  /** Host-physical address of the 4-byte status word wait descriptors write. */
  readonly statusAddress: number;
  /** Descriptors submitted so far (wait descriptors included). */
  submitted = 0;
  /** The descriptors of the last {@link InvalidationQueueDriver.submit} call, waits excluded (for tests and traces). */
  lastBatch: QiDescriptor[] = [];
  private tail = 0;
  private sequence = 0;
  private readonly qs: number;

  /**
   * Allocates the queue and the status word.
   * @throws IommuError `ARGUMENT` for a bad QS, `OUT_OF_MEMORY` from the allocator.
   */
  constructor(
    private readonly regs: VtdRegisterAccess,
    private readonly memory: PhysicalMemory,
    allocator: TableAllocator,
    /** Descriptor width and queue size. */
    readonly options: InvalidationQueueOptions,
  ) {
    this.qs = options.qs ?? 0;
    if (!Number.isInteger(this.qs) || this.qs < 0 || this.qs > 7) throw new IommuError('ARGUMENT', `IQA.QS ${this.qs} is not 0..7`);
    this.sizeBytes = 4096 * 2 ** this.qs;
    this.base = allocator.allocate(this.sizeBytes, 4096);
    this.statusAddress = allocator.allocate(64, 64);
  }

  /** Bytes per descriptor: 32 with DW, else 16. */
  get descriptorBytes(): number {
    return this.options.wide ? 32 : 16;
  }

  /** Programs IQA (base, DW, QS) and IQT = 0, then enables queued invalidation (GCMD.QIE). */
  enable(): void {
    const iqa = BigInt(this.base) | (this.options.wide ? 0x800n : 0n) | BigInt(this.qs);
    this.regs.writeRegister(VtdRegister.IQT, 0n);
    this.regs.writeRegister(VtdRegister.IQA, iqa);
    this.tail = 0;
    globalCommand(this.regs, { set: Gcmd.QIE });
    if ((Number(this.regs.readRegister(VtdRegister.GSTS, 4)) & Gsts.QIES) === 0) {
      throw new IommuError('PLUGIN', 'queued invalidation did not enable');
    }
  }

  private write(desc: QiDescriptor): void {
    const words = encodeQiDescriptor(desc, this.options.wide);
    writeWords(this.memory, this.base + this.tail, words);
    this.tail = (this.tail + this.descriptorBytes) % this.sizeBytes;
    this.submitted++;
  }

  /**
   * Queues `descriptors` followed by a wait descriptor, rings IQT and checks completion, in chunks that fit
   * the queue. An empty list does nothing.
   * @throws IommuError `PLUGIN` when hardware reports an invalidation queue error (FSTS.IQE) or the wait
   *   descriptor's status write did not arrive — a driver bug, since the driver builds every descriptor.
   */
  submit(descriptors: readonly QiDescriptor[]): void {
    this.lastBatch = [...descriptors];
    const perChunk = this.sizeBytes / this.descriptorBytes - 2;
    for (let i = 0; i < descriptors.length; i += perChunk) {
      for (const d of descriptors.slice(i, i + perChunk)) this.write(d);
      this.sequence = (this.sequence + 1) >>> 0;
      this.memory.write32(this.statusAddress, 0);
      this.write({
        type: 5,
        interruptFlag: false,
        statusWrite: true,
        fence: true,
        pageRequestDrain: false,
        statusData: this.sequence,
        statusAddress: BigInt(this.statusAddress),
      });
      this.regs.writeRegister(VtdRegister.IQT, BigInt(this.tail));
      const fsts = Number(this.regs.readRegister(VtdRegister.FSTS, 4));
      if (fsts & Fsts.IQE) {
        const iqei = Number(this.regs.readRegister(VtdRegister.IQERCD) & 0xfn);
        throw new IommuError('PLUGIN', `invalidation queue error (IQERCD.IQEI ${iqei})`, { iqei });
      }
      if (this.memory.read32(this.statusAddress) !== this.sequence) {
        throw new IommuError('PLUGIN', 'invalidation wait descriptor did not complete');
      }
    }
  }

  /** Host ranges the queue owns: the queue and the status word. */
  ranges(): HostRange[] {
    return [
      { base: this.base, size: this.sizeBytes },
      { base: this.statusAddress, size: 64 },
    ];
  }
}
