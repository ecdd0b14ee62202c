/**
 * The VT-d remapping hardware unit — the device model: its register file (VT-d spec §10.4) at the
 * architected offsets, the translation of DMA requests through the tables in host memory, fault recording,
 * the context/PASID/IOTLB caches and the invalidation interfaces (register-based and queued).
 *
 * A driver programs it exactly as it would a real unit, through {@link VtdModel.readRegister} and
 * {@link VtdModel.writeRegister}: write RTADDR_REG, set GCMD.SRTP, enable queued invalidation, set GCMD.TE…
 * @packageDocumentation
 */
import { IommuError, NestedTranslator, Perm, type PhysicalMemory, type TraceEntry, type TranslationFault } from '@viommu/core';
import {
  assertHostAddressWidth,
  decodeRtaddr,
  decodeVtdCapabilities,
  DEFAULT_VTD_CAP,
  DEFAULT_VTD_ECAP,
  faultReasonInfo,
  hostAddressWidth,
  isQualifiedFault,
  writeRtaddr,
  type VtdCapabilities,
} from '../structures/index';
import { VtdCaches, type VtdCacheCapacities } from './caches';
import { executeDescriptor, type PageGroupResponse } from './descriptors';
import { FaultLog, type PendingFault } from './fault-log';
import { faultRecordFor } from './fault-record';
import { InvalidationQueue } from './invalidation-queue';
import {
  Ccmd,
  EventControl,
  Gcmd,
  Gsts,
  IotlbReg,
  IvaReg,
  QUEUE_POINTER_MASK,
  RegisterGranularity,
  VtdRegister,
  faultRecordingOffset,
  iotlbRegisterOffset,
} from './registers';
import { normalizeRequest, type VtdRequest } from './request';
import { runPipeline, type TranslationUnit } from './translate';
import type { ContextView, PasidView } from './views';

/** Options of a {@link VtdModel}. */
export interface VtdModelOptions {
  /** CAP_REG value (default: the structures' fully featured {@link DEFAULT_VTD_CAP}). */
  cap?: bigint;
  /** ECAP_REG value (default {@link DEFAULT_VTD_ECAP}). */
  ecap?: bigint;
  /**
   * Host address width in bits (13..52): the DMAR ACPI table's HAW + 1, which no register reports. Default:
   * CAP.MGAW + 1 capped at 52 (the structures' `hostAddressWidth`).
   */
  hostAddressWidth?: number;
  /** VER_REG value: Max [7:4], Min [3:0] (default 0x30, architecture revision 3.0, the first with scalable mode). */
  version?: number;
  /** Capacities of the context cache, PASID cache and IOTLB (entries). */
  cacheCapacities?: VtdCacheCapacities;
  /** Called when a fault event interrupt is delivered (FECTL.IM clear). */
  onFaultEvent?: () => void;
  /** Called when an invalidation completion interrupt is delivered (IECTL.IM clear). */
  onInvalidationEvent?: () => void;
}

/** Options of {@link VtdModel.translate}. */
export interface VtdTranslateOptions {
  /**
   * Appends every memory read, in order: the configuration structures as stage-0 entries labelled
   * `root entry`, `context entry`, `PASID directory entry`, `PASID entry` (one entry per 64-bit word, depth
   * 0–3 in that order), then the page walk as core's walker records it (stage 1 first level, stage 2 second
   * level). Reads served from a cache do not appear.
   */
  trace?: TraceEntry[];
  /** Bypass every cache for this request, and fill none. */
  uncached?: boolean;
}

/** A successful translation. */
export interface VtdTranslateSuccess {
  /** Discriminant. */
  readonly ok: true;
  /** Host physical address (the input when translation is disabled or passed through). */
  readonly output: number;
  /** log2 of the page the translation is valid for (12 for untranslated and pass-through requests). */
  readonly pageShift: number;
  /** Core `Perm` bits the translation grants (Perm.ALL when untranslated or passed through). */
  readonly permitted: number;
  /** Served from the IOTLB. */
  readonly cached: boolean;
}

/** A translation fault. */
export interface VtdTranslateFault {
  /** Discriminant. */
  readonly ok: false;
  /** Fault reason code (FR), e.g. 0x71. */
  readonly reason: number;
  /** The structures' stable name of the reason, e.g. `SM_FL_ENTRY_NOT_PRESENT`. */
  readonly name: string;
  /** The 128-bit fault record (four 32-bit words, least significant first, F = 1) as hardware logs it. */
  readonly record: Uint32Array;
  /**
   * True when the record was written to a fault recording register; false when FPD suppressed this
   * qualified fault, or when the fault log overflowed (FSTS.PFO) and dropped it.
   */
  readonly recorded: boolean;
  /** True when an FPD bit (context, PASID-directory or PASID entry) suppressed the record. */
  readonly suppressed: boolean;
  /** The page-walk fault behind the reason, when the fault came from a walk. */
  readonly walk?: TranslationFault | undefined;
}

/** The outcome of {@link VtdModel.translate}. */
export type VtdTranslateResult = VtdTranslateSuccess | VtdTranslateFault;

/** First offset above the fixed registers (PEUADDR_REG ends at 0xEF). */
const FIXED_REGISTERS_END = 0xf0;

const GSTS_PERSISTENT = Gsts.TES | Gsts.QIES | Gsts.IRES | Gsts.CFIS | Gsts.AFLS;

/** A register whose value is plain storage: software writes the `mask` bits. */
interface StorageRegister {
  value: bigint;
  readonly mask: bigint;
  readonly size: 4 | 8;
}

/**
 * One VT-d remapping hardware unit over host physical memory. Not re-entrant: one request or register
 * access at a time.
 */
export class VtdModel implements TranslationUnit {
  /** Decoded CAP/ECAP. */
  readonly caps: VtdCapabilities;
  /** CAP_REG. */
  readonly cap: bigint;
  /** ECAP_REG. */
  readonly ecap: bigint;
  /** Host address width in bits. */
  readonly haw: number;
  /** The caches (context, PASID, IOTLB). */
  readonly caches: VtdCaches<ContextView, PasidView>;
  /** The page walker (shared by every translation). */
  readonly translator: NestedTranslator;
  /** The fault recording registers, FSTS and FECTL. */
  readonly faultLog: FaultLog;
  /** The invalidation queue registers and engine. */
  readonly queue: InvalidationQueue;
  /** Page-group responses received through the invalidation queue, oldest first. */
  readonly pageGroupResponses: PageGroupResponse[] = [];
  private readonly version: number;
  private gsts = 0;
  private rtaddr = 0n;
  private latchedRoot = 0;
  private latchedTtm = 0;
  private ccmd = 0n;
  private iva = 0n;
  private iotlbReg = 0n;
  private readonly storage = new Map<number, StorageRegister>();
  private readonly iotlbOffset: number;
  private readonly frcdOffset: number;
  private readonly execute = (words: Uint32Array, wide: boolean): number => executeDescriptor(this.descriptorTarget, words, wide);
  private readonly descriptorTarget;

  /**
   * @param memory host physical memory holding the tables, the invalidation queue and status words.
   * @throws IommuError `ARGUMENT` for a host address width outside 13..52, a VER value outside 0..0xFF, or a
   *   CAP whose IOTLB or fault recording registers would overlap the fixed registers.
   */
  constructor(
    readonly memory: PhysicalMemory,
    options: VtdModelOptions = {},
  ) {
    this.cap = BigInt.asUintN(64, options.cap ?? DEFAULT_VTD_CAP);
    this.ecap = BigInt.asUintN(64, options.ecap ?? DEFAULT_VTD_ECAP);
    this.caps = decodeVtdCapabilities(this.cap, this.ecap);
    this.haw = options.hostAddressWidth ?? hostAddressWidth(this.caps);
    assertHostAddressWidth(this.haw);
    this.version = options.version ?? 0x30;
    if (!Number.isInteger(this.version) || this.version < 0 || this.version > 0xff) {
      throw new IommuError('ARGUMENT', `VER_REG value ${this.version} is not 0..0xFF`, { version: this.version });
    }
    this.iotlbOffset = this.caps.iotlbRegisterOffset;
    this.frcdOffset = this.caps.faultRecordOffset;
    // The fixed registers end at PEUADDR_REG (0xEC); the two variable blocks must lie above and apart.
    const frcdEnd = this.frcdOffset + this.caps.faultRecordCount * 16;
    if (this.iotlbOffset < FIXED_REGISTERS_END || this.frcdOffset < FIXED_REGISTERS_END || (this.iotlbOffset + 16 > this.frcdOffset && this.iotlbOffset < frcdEnd)) {
      throw new IommuError(
        'ARGUMENT',
        `ECAP.IRO (0x${this.iotlbOffset.toString(16)}) and CAP.FRO (0x${this.frcdOffset.toString(16)}) must place the IOTLB and fault recording registers at or above 0xF0 without overlapping`,
        { iotlbOffset: this.iotlbOffset, faultRecordOffset: this.frcdOffset },
      );
    }
    this.caches = new VtdCaches<ContextView, PasidView>(options.cacheCapacities);
    this.translator = new NestedTranslator(memory);
    this.faultLog = new FaultLog(this.caps.faultRecordCount, options.onFaultEvent);
    this.queue = new InvalidationQueue(memory, this.faultLog, options.onInvalidationEvent);
    this.descriptorTarget = {
      memory,
      caps: this.caps,
      caches: this.caches,
      signalCompletion: () => this.queue.signalCompletion(),
      pageGroupResponse: (r: PageGroupResponse) => this.pageGroupResponses.push(r),
    };
    const store = (offset: number, size: 4 | 8, mask: bigint, value = 0n) => this.storage.set(offset, { value, mask, size });
    store(VtdRegister.FEDATA, 4, 0xffffn);
    store(VtdRegister.FEADDR, 4, 0xffff_fffcn);
    store(VtdRegister.FEUADDR, 4, 0xffff_ffffn);
    store(VtdRegister.AFLOG, 8, 0xffff_ffff_ffff_fe00n);
    store(VtdRegister.PLMBASE, 4, 0xffff_ffffn);
    store(VtdRegister.PLMLIMIT, 4, 0xffff_ffffn);
    store(VtdRegister.PHMBASE, 8, 0xffff_ffff_ffff_ffffn);
    store(VtdRegister.PHMLIMIT, 8, 0xffff_ffff_ffff_ffffn);
    store(VtdRegister.IEDATA, 4, 0xffffn);
    store(VtdRegister.IEADDR, 4, 0xffff_fffcn);
    store(VtdRegister.IEUADDR, 4, 0xffff_ffffn);
    store(VtdRegister.IRTA, 8, 0xffff_ffff_ffff_f80fn);
    store(VtdRegister.PQH, 8, 0x7ffe0n);
    store(VtdRegister.PQT, 8, 0x7ffe0n);
    store(VtdRegister.PQA, 8, 0xffff_ffff_ffff_f007n);
    store(VtdRegister.PRS, 4, 0n);
    store(VtdRegister.PECTL, 4, BigInt(EventControl.IM), BigInt(EventControl.IM));
    store(VtdRegister.PEDATA, 4, 0xffffn);
    store(VtdRegister.PEADDR, 4, 0xffff_fffcn);
    store(VtdRegister.PEUADDR, 4, 0xffff_ffffn);
  }

  /** Root table address latched by the last GCMD.SRTP (0 before any). */
  get rootTable(): number {
    return this.latchedRoot;
  }

  /** RTADDR_REG.TTM latched by the last GCMD.SRTP. */
  get ttm(): number {
    return this.latchedTtm;
  }

  /** GSTS_REG.TES: DMA remapping is enabled. */
  get translationEnabled(): boolean {
    return (this.gsts & Gsts.TES) !== 0;
  }

  // ---------------------------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------------------------

  private checkAccess(offset: number, size: number): void {
    if ((size !== 4 && size !== 8) || !Number.isInteger(offset) || offset < 0 || offset % size !== 0) {
      throw new IommuError('ARGUMENT', `register access of ${String(size)} bytes at offset ${String(offset)} is not a naturally aligned 4- or 8-byte access`, {
        offset,
        size,
      });
    }
  }

  /**
   * Reads a register: `size` 4 or 8 bytes at a naturally aligned byte `offset` from the register base. A
   * 4-byte read of a 64-bit register returns the addressed half; an 8-byte read of two 32-bit registers
   * returns both (the lower offset in bits 31:0). Unimplemented offsets read as 0. GCMD_REG is write-only
   * and reads 0.
   * @throws IommuError `ARGUMENT` for another size or a misaligned offset.
   */
  readRegister(offset: number, size: 4 | 8 = 8): bigint {
    this.checkAccess(offset, size);
    if (size === 8) {
      const r64 = this.read64(offset);
      if (r64 !== undefined) return r64;
      return BigInt(this.read32(offset)) | (BigInt(this.read32(offset + 4)) << 32n);
    }
    return BigInt(this.read32(offset));
  }

  /**
   * Writes a register: `size` 4 or 8 bytes at a naturally aligned `offset`, `value` taken modulo 2^(8·size).
   * A 4-byte write to half of a 64-bit register merges with the other half (and acts only on commands in
   * the half written: e.g. CCMD.ICC is bit 63, in the upper half). Writes to read-only fields and
   * unimplemented offsets are ignored. Side effects happen before the call returns: GCMD commands complete,
   * CCMD/IOTLB invalidations complete (ICC/IVT read back 0), a write of IQT_REG processes the queue.
   * @throws IommuError `ARGUMENT` for another size or a misaligned offset.
   */
  writeRegister(offset: number, value: bigint, size: 4 | 8 = 8): void {
    this.checkAccess(offset, size);
    const v = BigInt.asUintN(size * 8, value);
    if (size === 8) {
      if (this.is64(offset)) this.write64(offset, v, 0xffff_ffff_ffff_ffffn);
      else {
        this.write32(offset, Number(v & 0xffff_ffffn));
        this.write32(offset + 4, Number(v >> 32n));
      }
      return;
    }
    const base = offset & ~7;
    if (this.is64(base)) {
      const shift = BigInt((offset - base) * 8);
      const halfMask = 0xffff_ffffn << shift;
      const current = this.read64(base) ?? 0n;
      this.write64(base, (current & ~halfMask) | (v << shift), halfMask);
    } else {
      this.write32(offset, Number(v));
    }
  }

  private isIotlbReg(offset: number): boolean {
    return offset === this.iotlbOffset || offset === this.iotlbOffset + 8;
  }

  /** Fault recording register index and qword (0 low, 1 high) at `offset`, if it is one. */
  private frcdAt(offset: number): { index: number; qword: number } | undefined {
    const rel = offset - this.frcdOffset;
    if (rel < 0 || rel >= this.faultLog.count * 16) return undefined;
    return { index: Math.floor(rel / 16), qword: (rel % 16) >> 3 };
  }

  private is64(offset: number): boolean {
    if (this.isIotlbReg(offset) || this.frcdAt(offset)) return true;
    switch (offset) {
      case VtdRegister.CAP:
      case VtdRegister.ECAP:
      case VtdRegister.RTADDR:
      case VtdRegister.CCMD:
      case VtdRegister.IQH:
      case VtdRegister.IQT:
      case VtdRegister.IQA:
      case VtdRegister.IQERCD:
        return true;
      default:
        return this.storage.get(offset)?.size === 8;
    }
  }

  /** The value of the 64-bit register at `offset`, or undefined if none is there. */
  private read64(offset: number): bigint | undefined {
    if (offset === this.iotlbOffset) return this.iva;
    if (offset === this.iotlbOffset + 8) return this.iotlbReg;
    const frcd = this.frcdAt(offset);
    if (frcd) {
      const lo = this.faultLog.readWord(frcd.index, frcd.qword * 2);
      const hi = this.faultLog.readWord(frcd.index, frcd.qword * 2 + 1);
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    switch (offset) {
      case VtdRegister.CAP:
        return this.cap;
      case VtdRegister.ECAP:
        return this.ecap;
      case VtdRegister.RTADDR:
        return this.rtaddr;
      case VtdRegister.CCMD:
        return this.ccmd;
      case VtdRegister.IQH:
        return BigInt(this.queue.head);
      case VtdRegister.IQT:
        return BigInt(this.queue.tail);
      case VtdRegister.IQA:
        return this.queue.iqa;
      case VtdRegister.IQERCD:
        return BigInt(this.queue.errorInfo);
      default: {
        const s = this.storage.get(offset);
        return s?.size === 8 ? s.value : undefined;
      }
    }
  }

  private read32(offset: number): number {
    const base = offset & ~7;
    if (this.is64(base)) {
      const v = this.read64(base)!;
      return Number(offset === base ? v & 0xffff_ffffn : v >> 32n);
    }
    switch (offset) {
      case VtdRegister.VER:
        return this.version;
      case VtdRegister.GCMD:
        return 0;
      case VtdRegister.GSTS:
        return this.gsts >>> 0;
      case VtdRegister.FSTS:
        return this.faultLog.readFsts();
      case VtdRegister.FECTL:
        return this.faultLog.readFectl();
      case VtdRegister.ICS:
        return this.queue.readIcs();
      case VtdRegister.IECTL:
        return this.queue.readIectl();
      case VtdRegister.PMEN: {
        const epm = Number(this.storage.get(VtdRegister.PMEN)?.value ?? 0n);
        return (epm | (epm ? 1 : 0)) >>> 0; // PRS follows EPM at once
      }
      default: {
        const s = this.storage.get(offset);
        return s?.size === 4 ? Number(s.value) : 0;
      }
    }
  }

  private write64(offset: number, value: bigint, written: bigint): void {
    if (offset === this.iotlbOffset) {
      this.iva = value & IvaReg.WRITE_MASK;
      return;
    }
    if (offset === this.iotlbOffset + 8) {
      this.writeIotlbReg(value, written);
      return;
    }
    const frcd = this.frcdAt(offset);
    if (frcd) {
      if (frcd.qword === 1 && written & (1n << 63n)) this.faultLog.writeWord(frcd.index, 3, Number(value >> 32n));
      return;
    }
    switch (offset) {
      case VtdRegister.RTADDR:
        this.rtaddr = writeRtaddr(value);
        return;
      case VtdRegister.CCMD:
        this.writeCcmd(value, written);
        return;
      case VtdRegister.IQT:
        if (written & BigInt(QUEUE_POINTER_MASK)) this.queue.writeIqt(value, this.execute);
        return;
      case VtdRegister.IQA:
        this.queue.writeIqa(value, this.caps.smts);
        return;
      default: {
        const s = this.storage.get(offset);
        if (s?.size === 8) s.value = (s.value & ~s.mask) | (value & s.mask);
      }
    }
  }

  private write32(offset: number, value: number): void {
    switch (offset) {
      case VtdRegister.GCMD:
        this.writeGcmd(value >>> 0);
        return;
      case VtdRegister.FSTS: {
        const hadIqe = this.faultLog.queueError;
        this.faultLog.writeFsts(value);
        // Hardware resumes fetching at IQH once software clears IQE.
        if (hadIqe && !this.faultLog.queueError) this.queue.process(this.execute);
        return;
      }
      case VtdRegister.FECTL:
        this.faultLog.writeFectl(value);
        return;
      case VtdRegister.ICS:
        this.queue.writeIcs(value);
        return;
      case VtdRegister.IECTL:
        this.queue.writeIectl(value);
        return;
      case VtdRegister.PMEN: {
        const s = this.storage.get(VtdRegister.PMEN);
        if (s) s.value = BigInt(value & 0x8000_0000);
        return;
      }
      case VtdRegister.PECTL: {
        const s = this.storage.get(offset)!;
        s.value = BigInt(value) & s.mask;
        return;
      }
      default: {
        const s = this.storage.get(offset);
        if (s?.size === 4) s.value = (s.value & ~s.mask) | (BigInt(value >>> 0) & s.mask);
      }
    }
  }

  /** GCMD_REG (§10.4): each write carries the persistent enables (TE, QIE, IRE, CFI) and one-shot commands. */
  private writeGcmd(value: number): void {
    const caps = this.caps;
    let gsts = this.gsts & GSTS_PERSISTENT;
    const te = (value & Gcmd.TE) !== 0;
    gsts = te ? gsts | Gsts.TES : gsts & ~Gsts.TES;
    if (value & Gcmd.SRTP) {
      const rt = decodeRtaddr(this.rtaddr, this.haw);
      this.latchedRoot = rt.rootTableAddress;
      this.latchedTtm = rt.ttm;
      this.gsts |= Gsts.RTPS;
    }
    if (caps.afl) {
      if (value & Gcmd.SFL) this.gsts |= Gsts.FLS;
      gsts = value & Gcmd.EAFL ? gsts | Gsts.AFLS : gsts & ~Gsts.AFLS;
    }
    if (caps.qi) {
      const qie = (value & Gcmd.QIE) !== 0;
      gsts = qie ? gsts | Gsts.QIES : gsts & ~Gsts.QIES;
      if (qie !== this.queue.isEnabled) this.queue.setEnabled(qie, this.execute);
    }
    if (caps.ir) {
      gsts = value & Gcmd.IRE ? gsts | Gsts.IRES : gsts & ~Gsts.IRES;
      gsts = value & Gcmd.CFI ? gsts | Gsts.CFIS : gsts & ~Gsts.CFIS;
      if (value & Gcmd.SIRTP) this.gsts |= Gsts.IRTPS;
    }
    this.gsts = ((this.gsts & (Gsts.RTPS | Gsts.FLS | Gsts.IRTPS)) | gsts) >>> 0;
    // The fault recording index resets when both DMA and interrupt remapping are off.
    if (!(this.gsts & (Gsts.TES | Gsts.IRES))) this.faultLog.resetIndex();
  }

  /** CCMD_REG (§10.4): register-based context-cache invalidation, completed at once. */
  private writeCcmd(value: bigint, written: bigint): void {
    let v = value & Ccmd.WRITE_MASK;
    if (written & Ccmd.ICC && v & Ccmd.ICC) {
      const cirg = Number((v >> BigInt(Ccmd.CIRG_SHIFT)) & 3n);
      const did = Number((v >> BigInt(Ccmd.DID_SHIFT)) & 0xffffn);
      const sid = Number((v >> BigInt(Ccmd.SID_SHIFT)) & 0xffffn);
      const fm = Number((v >> BigInt(Ccmd.FM_SHIFT)) & 3n);
      if (cirg === RegisterGranularity.GLOBAL) this.caches.invalidateContextGlobal();
      else if (cirg === RegisterGranularity.DOMAIN) this.caches.invalidateContextDomain(did);
      else if (cirg === RegisterGranularity.SELECTIVE) this.caches.invalidateContextDevice(sid, fm);
      v = (v & ~Ccmd.ICC) | (BigInt(cirg) << BigInt(Ccmd.CAIG_SHIFT));
    }
    this.ccmd = v;
  }

  /** IOTLB_REG (§10.4): register-based IOTLB invalidation with IVA_REG, completed at once. */
  private writeIotlbReg(value: bigint, written: bigint): void {
    let v = value & IotlbReg.WRITE_MASK;
    if (written & IotlbReg.IVT && v & IotlbReg.IVT) {
      const iirg = Number((v >> BigInt(IotlbReg.IIRG_SHIFT)) & 3n);
      const did = Number((v >> BigInt(IotlbReg.DID_SHIFT)) & 0xffffn);
      let done: number = RegisterGranularity.NONE;
      if (iirg === RegisterGranularity.GLOBAL) {
        this.caches.invalidateIotlbGlobal();
        done = RegisterGranularity.GLOBAL;
      } else if (iirg === RegisterGranularity.DOMAIN) {
        this.caches.invalidateIotlbDomain(did);
        done = RegisterGranularity.DOMAIN;
      } else if (iirg === RegisterGranularity.SELECTIVE) {
        const am = Number(this.iva & BigInt(IvaReg.AM_MASK));
        if (this.caps.psi && am <= this.caps.mamv) {
          this.caches.invalidateIotlbPage(did, Number(this.iva & 0xffff_ffff_ffff_f000n), am);
          done = RegisterGranularity.SELECTIVE;
        } else {
          // Without PSI, or with AM beyond MAMV, hardware invalidates the domain and reports that.
          this.caches.invalidateIotlbDomain(did);
          done = RegisterGranularity.DOMAIN;
        }
      }
      v = (v & ~IotlbReg.IVT) | (BigInt(done) << BigInt(IotlbReg.IAIG_SHIFT));
    }
    this.iotlbReg = v;
  }

  // ---------------------------------------------------------------------------------------------------
  // Translation and faults
  // ---------------------------------------------------------------------------------------------------

  /**
   * Translates one DMA request. With translation disabled (GSTS.TES = 0) the request is not remapped. A
   * fault is recorded in the fault recording registers as the hardware would (unless FPD suppresses it or
   * the log has overflowed) and returned as a value.
   * @throws IommuError `ARGUMENT` for a malformed request (see {@link VtdRequest}).
   */
  translate(request: VtdRequest, options: VtdTranslateOptions = {}): VtdTranslateResult {
    const req = normalizeRequest(request);
    if (!this.translationEnabled) {
      return { ok: true, output: req.page + req.offset, pageShift: 12, permitted: Perm.ALL, cached: false };
    }
    const r = runPipeline(this, req, options);
    if (r.ok) return r;
    const record = faultRecordFor(req, r.reason);
    const suppressed = r.fpd && isQualifiedFault(r.reason);
    const recorded = !suppressed && this.faultLog.record(record);
    const name = faultReasonInfo(r.reason)?.name ?? `FAULT_0x${r.reason.toString(16)}`;
    return { ok: false, reason: r.reason, name, record, recorded, suppressed, walk: r.walk };
  }

  /** The fault recording registers with F set, in index order (a convenience for tests and tools). */
  readFaults(): PendingFault[] {
    return this.faultLog.pending();
  }

  /** Clears every pending fault (F bits) and FSTS.PFO, as a driver's fault handler would. */
  clearFaults(): void {
    for (const f of this.faultLog.pending()) {
      this.writeRegister(faultRecordingOffset(this.frcdOffset / 16, f.index) + 8, 1n << 63n);
    }
    this.writeRegister(VtdRegister.FSTS, 1n, 4);
  }

  /** Byte offset of the IVA register (ECAP.IRO × 16); IOTLB_REG is 8 bytes above. */
  get ivaOffset(): number {
    return iotlbRegisterOffset(this.iotlbOffset / 16);
  }

  /** Byte offset of fault recording register `index` (CAP.FRO × 16 + 16·index). */
  faultRecordOffset(index: number): number {
    return faultRecordingOffset(this.frcdOffset / 16, index);
  }
}
