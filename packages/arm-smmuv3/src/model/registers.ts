/**
 * The register file of the SMMUv3 Non-secure programming interface (§6.2, §6.3), as SMMUv3.2 behaves:
 * reserved bits read as zero, ID registers are read-only, and a write to a Guarded register while its
 * guard is enabled is IGNORED (§6.2, e.g. §6.3.26 "In SMMUv3.2 and later, a write while CMDQEN == 1 is
 * IGNORED"). CR0 updates complete at once, so CR0ACK always equals the implemented CR0 fields; GBPA
 * updates complete at once, so GBPA.Update always reads 0.
 * @packageDocumentation
 */
import { Cr0, Cr2, Gbpa, Gerror, IRQ_CTRL_FIELDS, SmmuReg, StrtabBaseCfg } from './register-map';

/** The implemented features the register file needs to know which fields exist (from IDR0/IDR1). */
export interface RegisterFeatures {
  /** IDR0.PRI: PRIQEN and the PRI queue registers exist. */
  readonly pri: boolean;
  /** IDR0.ATS: CR0.ATSCHK exists. */
  readonly ats: boolean;
  /** IDR0.VMW: CR0.VMW exists. */
  readonly vmw: boolean;
  /** IDR0.Hyp: CR2.E2H exists. */
  readonly hyp: boolean;
  /** IDR0.BTM: CR2.PTM exists. */
  readonly btm: boolean;
  /** IDR0.MSI: the *_IRQ_CFG0..2 registers exist. */
  readonly msi: boolean;
  /** IDR0.ATSRECERR: CR2.REC_CFG_ATS exists. */
  readonly atsRecErr: boolean;
}

/** What a register write asks the device to do next. */
export const WriteEffect = {
  /** Nothing. */
  NONE: 0,
  /** Consider the Command queue for processing (CMDQ_PROD written, CMDQEN set, CMDQ_ERR acknowledged). */
  COMMAND_QUEUE: 1,
} as const;
/** One of {@link WriteEffect}'s values. */
export type WriteEffectValue = (typeof WriteEffect)[keyof typeof WriteEffect];

/** A 64-bit register offset set (both halves are addressable by 32-bit accesses). */
const REG64 = new Set<number>([
  SmmuReg.GERROR_IRQ_CFG0,
  SmmuReg.STRTAB_BASE,
  SmmuReg.CMDQ_BASE,
  SmmuReg.EVENTQ_BASE,
  SmmuReg.EVENTQ_IRQ_CFG0,
  SmmuReg.PRIQ_BASE,
  SmmuReg.PRIQ_IRQ_CFG0,
]);

/** True when `offset` is the base of a 64-bit register (so a 64-bit access there is architected). */
export function is64BitRegister(offset: number): boolean {
  return REG64.has(offset);
}

/** ADDR [55:5] + RA/WA [62] of a queue base register's high half. */
const QUEUE_BASE_HI = 0x40ff_ffff;
/** ADDR [55:2] of an MSI address register's high half (bits [55:32]). */
const MSI_ADDR_HI = 0x00ff_ffff;
/** Index and wrap [19:0] plus the overflow flag [31] of an output queue's PROD/CONS. */
const OUT_QUEUE_INDEX = 0x800f_ffff;
/** RD [19:0] and ERR [30:24] of CMDQ_CONS. */
const CMDQ_CONS_FIELDS = 0x7f0f_ffff;

/**
 * Register storage and access rules. Values are unsigned 32-bit words keyed by byte offset; a 64-bit
 * register occupies `offset` (bits [31:0]) and `offset + 4` (bits [63:32]), as §6.2 lays them out.
 */
export class SmmuRegisters {
  private readonly words = new Map<number, number>();

  /**
   * @param ids the ID register values: IDR0..IDR5, IIDR, AIDR (read-only).
   * @param features which optional fields exist.
   * @param gbpaReset the reset value of SMMU_GBPA (its fields reset to IMPLEMENTATION DEFINED values).
   */
  constructor(
    ids: { idr0: number; idr1: number; idr2: number; idr3: number; idr4: number; idr5: number; iidr: number; aidr: number },
    readonly features: RegisterFeatures,
    gbpaReset: number,
  ) {
    this.words.set(SmmuReg.IDR0, ids.idr0 >>> 0);
    this.words.set(SmmuReg.IDR1, ids.idr1 >>> 0);
    this.words.set(SmmuReg.IDR2, ids.idr2 >>> 0);
    this.words.set(SmmuReg.IDR3, ids.idr3 >>> 0);
    this.words.set(SmmuReg.IDR4, ids.idr4 >>> 0);
    this.words.set(SmmuReg.IDR5, ids.idr5 >>> 0);
    this.words.set(SmmuReg.IIDR, ids.iidr >>> 0);
    this.words.set(SmmuReg.AIDR, ids.aidr >>> 0);
    this.words.set(SmmuReg.GBPA, (gbpaReset & Gbpa.FIELDS) >>> 0);
  }

  /** The stored word at `offset` (0 when never written). For the model's own use: no access rules. */
  get(offset: number): number {
    return this.words.get(offset) ?? 0;
  }

  /** Stores a word at `offset` without access rules: the SMMU updating its own registers (PROD, CONS, GERROR). */
  set(offset: number, value: number): void {
    this.words.set(offset, value >>> 0);
  }

  /** SMMU_CR0ACK, the Updated control bits. */
  get cr0ack(): number {
    return this.get(SmmuReg.CR0ACK);
  }

  /** True when the given CR0 bit is set in both CR0 and CR0ACK (enabled and not in transition). */
  private enabled(bit: number): boolean {
    return ((this.get(SmmuReg.CR0) | this.get(SmmuReg.CR0ACK)) & bit) !== 0;
  }

  /** A 32-bit read at a 4-byte aligned offset, as software sees it. Undefined offsets read as zero (RES0). */
  read32(offset: number): number {
    if (offset === SmmuReg.GBPA) return this.get(offset) & Gbpa.FIELDS;
    return this.get(offset);
  }

  /**
   * A 32-bit write at a 4-byte aligned offset, as software makes it, applying read-only, reserved-bit and
   * guard rules. Returns what the device must do next.
   */
  write32(offset: number, value: number): WriteEffectValue {
    const v = value >>> 0;
    const f = this.features;
    switch (offset) {
      case SmmuReg.CR0: {
        let mask = Cr0.SMMUEN | Cr0.EVENTQEN | Cr0.CMDQEN;
        if (f.pri) mask |= Cr0.PRIQEN;
        if (f.ats) mask |= Cr0.ATSCHK;
        if (f.vmw) mask |= Cr0.VMW_MASK;
        const old = this.get(SmmuReg.CR0);
        const next = (v & mask) >>> 0;
        this.set(SmmuReg.CR0, next);
        this.set(SmmuReg.CR0ACK, next); // Update completes immediately (§6.3.9 "finite time").
        return (next & Cr0.CMDQEN) !== 0 && (old & Cr0.CMDQEN) === 0 ? WriteEffect.COMMAND_QUEUE : WriteEffect.NONE;
      }
      case SmmuReg.CR1: {
        // QUEUE_* [5:0] are Guarded by the queue enables, TABLE_* [11:6] by SMMUEN (§6.3.11).
        let mask = 0;
        if (!this.enabled(Cr0.CMDQEN | Cr0.EVENTQEN | Cr0.PRIQEN)) mask |= 0x3f;
        if (!this.enabled(Cr0.SMMUEN)) mask |= 0xfc0;
        this.set(offset, ((this.get(offset) & ~mask) | (v & mask)) >>> 0);
        return WriteEffect.NONE;
      }
      case SmmuReg.CR2: {
        if (this.enabled(Cr0.SMMUEN)) return WriteEffect.NONE;
        let mask = Cr2.RECINVSID;
        if (f.hyp) mask |= Cr2.E2H;
        if (f.btm) mask |= Cr2.PTM;
        if (f.atsRecErr) mask |= 1 << 3;
        this.set(offset, v & mask);
        return WriteEffect.NONE;
      }
      case SmmuReg.GBPA:
        // §6.3.14.1 (SMMUv3.2): a write without Update == 1 is IGNORED; the update completes at once.
        if ((v & Gbpa.UPDATE) !== 0) this.set(offset, v & Gbpa.FIELDS);
        return WriteEffect.NONE;
      case SmmuReg.IRQ_CTRL: {
        const mask = f.pri ? IRQ_CTRL_FIELDS : IRQ_CTRL_FIELDS & ~0b10;
        this.set(offset, v & mask);
        this.set(SmmuReg.IRQ_CTRLACK, v & mask);
        return WriteEffect.NONE;
      }
      case SmmuReg.GERRORN: {
        const was = this.cmdqErrorActive();
        this.set(offset, v & Gerror.FIELDS);
        return was && !this.cmdqErrorActive() ? WriteEffect.COMMAND_QUEUE : WriteEffect.NONE;
      }
      case SmmuReg.STRTAB_BASE:
        if (!this.enabled(Cr0.SMMUEN)) this.set(offset, v & 0xffff_ffc0);
        return WriteEffect.NONE;
      case SmmuReg.STRTAB_BASE + 4:
        if (!this.enabled(Cr0.SMMUEN)) this.set(offset, v & QUEUE_BASE_HI);
        return WriteEffect.NONE;
      case SmmuReg.STRTAB_BASE_CFG:
        if (!this.enabled(Cr0.SMMUEN)) this.set(offset, v & StrtabBaseCfg.FIELDS);
        return WriteEffect.NONE;
      case SmmuReg.CMDQ_BASE:
        if (!this.enabled(Cr0.CMDQEN)) this.set(offset, v);
        return WriteEffect.NONE;
      case SmmuReg.CMDQ_BASE + 4:
        if (!this.enabled(Cr0.CMDQEN)) this.set(offset, v & QUEUE_BASE_HI);
        return WriteEffect.NONE;
      case SmmuReg.CMDQ_PROD:
        this.set(offset, v & 0xf_ffff);
        return WriteEffect.COMMAND_QUEUE;
      case SmmuReg.CMDQ_CONS:
        if (!this.enabled(Cr0.CMDQEN)) this.set(offset, v & CMDQ_CONS_FIELDS);
        return WriteEffect.NONE;
      case SmmuReg.EVENTQ_BASE:
        if (!this.enabled(Cr0.EVENTQEN)) this.set(offset, v);
        return WriteEffect.NONE;
      case SmmuReg.EVENTQ_BASE + 4:
        if (!this.enabled(Cr0.EVENTQEN)) this.set(offset, v & QUEUE_BASE_HI);
        return WriteEffect.NONE;
      case SmmuReg.EVENTQ_PROD:
        if (!this.enabled(Cr0.EVENTQEN)) this.set(offset, v & OUT_QUEUE_INDEX);
        return WriteEffect.NONE;
      case SmmuReg.EVENTQ_CONS:
        this.set(offset, v & OUT_QUEUE_INDEX);
        return WriteEffect.NONE;
      case SmmuReg.PRIQ_BASE:
        if (f.pri && !this.enabled(Cr0.PRIQEN)) this.set(offset, v);
        return WriteEffect.NONE;
      case SmmuReg.PRIQ_BASE + 4:
        if (f.pri && !this.enabled(Cr0.PRIQEN)) this.set(offset, v & QUEUE_BASE_HI);
        return WriteEffect.NONE;
      case SmmuReg.PRIQ_PROD:
        if (f.pri && !this.enabled(Cr0.PRIQEN)) this.set(offset, v & OUT_QUEUE_INDEX);
        return WriteEffect.NONE;
      case SmmuReg.PRIQ_CONS:
        if (f.pri) this.set(offset, v & OUT_QUEUE_INDEX);
        return WriteEffect.NONE;
      default:
        this.writeIrqConfig(offset, v);
        return WriteEffect.NONE;
    }
  }

  /** The MSI configuration registers (§6.3.21–§6.3.23, §6.3.30–§6.3.32): present when IDR0.MSI == 1, Guarded by their IRQEN. */
  private writeIrqConfig(offset: number, v: number): void {
    if (!this.features.msi) return;
    const irqen = this.get(SmmuReg.IRQ_CTRL);
    const groups: [number, number, boolean][] = [
      [SmmuReg.GERROR_IRQ_CFG0, 0b001, true],
      [SmmuReg.EVENTQ_IRQ_CFG0, 0b100, true],
      [SmmuReg.PRIQ_IRQ_CFG0, 0b010, this.features.pri],
    ];
    for (const [base, bit, present] of groups) {
      if (!present || offset < base || offset > base + 12) continue;
      if ((irqen & bit) !== 0) return;
      if (offset === base) this.set(offset, v & 0xffff_fffc);
      else if (offset === base + 4) this.set(offset, v & MSI_ADDR_HI);
      else if (offset === base + 8) this.set(offset, v);
      else if (offset === base + 12) this.set(offset, v & 0x3f);
      return;
    }
  }

  /** True while GERROR.CMDQ_ERR differs from GERRORN.CMDQ_ERR (§6.3.19). */
  cmdqErrorActive(): boolean {
    return ((this.get(SmmuReg.GERROR) ^ this.get(SmmuReg.GERRORN)) & Gerror.CMDQ_ERR) !== 0;
  }

  /** True while GERROR.EVENTQ_ABT_ERR differs from GERRORN.EVENTQ_ABT_ERR. */
  eventqAbortActive(): boolean {
    return ((this.get(SmmuReg.GERROR) ^ this.get(SmmuReg.GERRORN)) & Gerror.EVENTQ_ABT_ERR) !== 0;
  }

  /** Activates a global error by toggling its GERROR bit, unless it is already active (§6.3.19). */
  raiseGlobalError(bit: number): void {
    const active = ((this.get(SmmuReg.GERROR) ^ this.get(SmmuReg.GERRORN)) & bit) !== 0;
    if (!active) this.set(SmmuReg.GERROR, this.get(SmmuReg.GERROR) ^ bit);
  }
}
