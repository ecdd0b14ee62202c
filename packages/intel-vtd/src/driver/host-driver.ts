/**
 * The host driver, in the manner of Linux intel-iommu: it reads CAP/ECAP, chooses scalable mode when
 * ECAP.SMTS (else legacy), owns the root, context and PASID tables and the invalidation queue in host
 * physical memory, programs RTADDR / GCMD, and issues the invalidations the architecture requires after
 * every change (VT-d spec §6.5: context-cache, PASID-cache, IOTLB and PASID-based IOTLB, each batch ended by
 * a wait descriptor). It reaches the hardware through registers and memory only.
 *
 * When invalidation is needed: an entry that was present may be cached, so replacing or clearing it is
 * always followed by invalidation; a not-present entry is never cached unless CAP.CM (caching mode) is set
 * (§6.1), so making one present needs invalidation only then — otherwise, with CAP.RWBF, a write-buffer
 * flush.
 * @packageDocumentation
 */
import { IommuError, type PhysicalMemory, type TableAllocator } from '@viommu/core';
import { Gcmd, Gsts, VtdRegister } from '../model/index';
import {
  agawOfAw,
  decodeVtdCapabilities,
  encodeRtaddr,
  hostAddressWidth,
  LEGACY_CONTEXT_ENTRY_LAYOUT,
  LegacyTranslationType,
  SCALABLE_CONTEXT_ENTRY_LAYOUT,
  type QiDescriptor,
  type VtdCapabilities,
} from '../structures/index';
import { ContextTables } from './context-tables';
import { DomainIdAllocator } from './domain-ids';
import { InvalidationQueueDriver } from './invalidation-queue';
import {
  contextCacheDevice,
  contextCacheGlobal,
  iotlbDomain,
  iotlbGlobal,
  iotlbRange,
  pasidCacheDomain,
  pasidCacheGlobal,
  pasidEntryFlush,
} from './invalidation-requests';
import { createSecondLevelPageTable, secondLevelAw, type SecondLevelPageTable } from './io-pgtable';
import { passThroughPasidEntry, secondLevelPasidEntry, summarizePasidEntry } from './pasid-entries';
import { PasidTables, pdtsForPasidBits } from './pasid-tables';
import { globalCommand, type VtdRegisterAccess } from './registers';

/** Options of a {@link VtdHostDriver}. */
export interface VtdHostDriverOptions {
  /** Host address width (the DMAR table's HAW + 1); default CAP.MGAW + 1 capped at 52, as the model assumes. */
  hostAddressWidth?: number;
  /** Use legacy mode even when ECAP.SMTS is set. */
  legacy?: boolean;
  /** Set PGSNP in second-level and nested PASID entries (a domain that forces snooping, in Linux's terms). */
  forceSnooping?: boolean;
  /** Invalidation queue size: 2^qs pages (default 0). */
  queueQs?: number;
}

/** What a device's requests without PASID are translated with (its context entry / RID_PASID entry). */
export type DeviceTranslation = SecondLevelTranslation | PassThroughTranslation | BlockedTranslation;

/** Second-level translation by `table`, tagged `did`. */
export interface SecondLevelTranslation {
  /** Discriminant. */
  readonly kind: 'second-level';
  /** Domain-id. */
  readonly did: number;
  /** The domain's second-level table. */
  readonly table: SecondLevelPageTable;
}

/** Pass-through (legacy TT = 10b, scalable PGTT = 100b), tagged `did`; needs ECAP.PT. */
export interface PassThroughTranslation {
  /** Discriminant. */
  readonly kind: 'pass-through';
  /** Domain-id. */
  readonly did: number;
}

/** No translation: the context entry is cleared, so every request faults. */
export interface BlockedTranslation {
  /** Discriminant. */
  readonly kind: 'blocked';
}

/** Above this many PASID entries changed at once, one domain-selective flush per DID replaces per-PASID ones. */
const PER_PASID_FLUSH_LIMIT = 16;

interface HostDevice {
  /** Scalable mode: the device's PASID directory and tables. */
  pasid: PasidTables | undefined;
  /** DID the context entry was last written for (legacy: its DID field). */
  did: number;
}

/** One update of a PASID entry. */
export interface PasidEntryUpdate {
  /** The PASID. */
  readonly pasid: number;
  /** Its new 16 words. */
  readonly words: Uint32Array;
}

/** The host driver of one remapping unit. */
export class VtdHostDriver {
  /** CAP/ECAP as read from the registers. */
  readonly caps: VtdCapabilities;
  /** Scalable mode (RTADDR.TTM = 01b) rather than legacy. */
  readonly scalable: boolean;
  /** Host address width in bits. */
  readonly haw: number;
  /** PDTS of every context entry: the directory covers ECAP.PSS + 1 PASID bits. */
  readonly pdts: number;
  /** The PASID requests without PASID use on the host (context RID_PASID when not bound; Linux's IOMMU_NO_PASID). */
  readonly defaultRidPasid = 0;
  /** Root and context tables. */
  readonly contexts: ContextTables;
  /** The invalidation queue. */
  readonly queue: InvalidationQueueDriver;
  /** Domain-id allocator. */
  readonly dids: DomainIdAllocator;
  private readonly devices = new Map<number, HostDevice>();

  /**
   * Brings the unit up: reads CAP/ECAP; allocates the root table and the invalidation queue; enables queued
   * invalidation (IQA with DW in scalable mode, IQT, GCMD.QIE); programs RTADDR and latches it with
   * GCMD.SRTP; invalidates the context cache, PASID cache and IOTLB globally; sets GCMD.TE.
   * @throws IommuError `PLUGIN` without ECAP.QI (register-based invalidation cannot express PASID-granular
   *   invalidation, so this driver requires the queue) or when the hardware refuses a command.
   */
  constructor(
    /** The unit's registers. */
    readonly regs: VtdRegisterAccess,
    /** Host physical memory (tables, queue). */
    readonly memory: PhysicalMemory,
    /** Allocator of host-owned tables. */
    readonly allocator: TableAllocator,
    /** The driver's choices. */
    readonly options: VtdHostDriverOptions = {},
  ) {
    this.caps = decodeVtdCapabilities(regs.readRegister(VtdRegister.CAP), regs.readRegister(VtdRegister.ECAP));
    if (!this.caps.qi) throw new IommuError('PLUGIN', 'the VT-d host driver needs queued invalidation (ECAP.QI)');
    this.scalable = this.caps.smts && !options.legacy;
    this.haw = options.hostAddressWidth ?? hostAddressWidth(this.caps);
    this.pdts = this.caps.pasid ? pdtsForPasidBits(this.caps.pasidBits) : 0;
    this.dids = new DomainIdAllocator(this.caps.nd);
    this.queue = new InvalidationQueueDriver(regs, memory, allocator, { wide: this.scalable, qs: options.queueQs ?? 0 });
    this.contexts = new ContextTables(memory, allocator, this.scalable);
    this.queue.enable();
    regs.writeRegister(VtdRegister.RTADDR, encodeRtaddr({ rootTableAddress: this.contexts.root, scalable: this.scalable }));
    globalCommand(regs, { oneShot: Gcmd.SRTP, expect: Gsts.RTPS });
    this.queue.submit(this.scalable ? [contextCacheGlobal(), pasidCacheGlobal(), iotlbGlobal()] : [contextCacheGlobal(), iotlbGlobal()]);
    globalCommand(regs, { set: Gcmd.TE });
  }

  /** Input (IOVA / GPA) width of the driver's second-level tables: min(AGAW of {@link secondLevelAw}, CAP.MGAW + 1). */
  get inputBits(): number {
    return Math.min(agawOfAw(secondLevelAw(this.caps)), this.caps.mgawBits);
  }

  /** A new second-level table for a domain, in host memory. */
  createSecondLevel(): SecondLevelPageTable {
    return createSecondLevelPageTable(this.caps, this.haw, this.memory, this.allocator, this.scalable || this.caps.sc);
  }

  private device(sid: number): HostDevice {
    let d = this.devices.get(sid);
    if (!d) {
      d = { pasid: undefined, did: 0 };
      this.devices.set(sid, d);
    }
    return d;
  }

  /**
   * A device's PASID directory and tables (scalable mode), allocated on first use.
   * @throws IommuError `PLUGIN` in legacy mode.
   */
  pasidTables(sid: number): PasidTables {
    if (!this.scalable) throw new IommuError('PLUGIN', 'PASID tables exist in scalable mode only');
    const d = this.device(sid);
    d.pasid ??= new PasidTables(this.memory, this.allocator, this.pdts);
    return d.pasid;
  }

  /** Writes the queued descriptors, or flushes the write buffer (CAP.RWBF) when there are none. */
  submit(descriptors: readonly QiDescriptor[]): void {
    if (descriptors.length > 0) this.queue.submit(descriptors);
    else if (this.caps.rwbf) globalCommand(this.regs, { oneShot: Gcmd.WBF, expect: Gsts.WBFS, expectSet: false });
  }

  /**
   * Writes PASID entries of a device and issues what the old entries need: per PASID the PASID-cache and
   * (PASID-based or domain-selective) IOTLB invalidations of `pasidEntryFlush`, or, for more than a few
   * entries, domain-selective PASID-cache and IOTLB invalidations of every DID involved.
   */
  writePasidEntries(sid: number, updates: readonly PasidEntryUpdate[]): void {
    const tables = this.pasidTables(sid);
    const flushes: { did: number; pasid: number; pgtt: number }[] = [];
    for (const u of updates) {
      const current = tables.readEntry(u.pasid);
      if (u.words.every((w, i) => w === current[i])) continue;
      const old = summarizePasidEntry(current);
      tables.writeEntry(u.pasid, u.words);
      if (old.present) flushes.push({ did: old.did, pasid: u.pasid, pgtt: old.pgtt });
      else if (this.caps.cm) {
        const next = summarizePasidEntry(u.words);
        flushes.push({ did: next.did, pasid: u.pasid, pgtt: next.pgtt });
      }
    }
    if (flushes.length > PER_PASID_FLUSH_LIMIT) {
      const dids = [...new Set(flushes.map((f) => f.did))];
      this.submit(dids.flatMap((did) => [pasidCacheDomain(did), iotlbDomain(did)]));
    } else {
      this.submit(flushes.flatMap((f) => pasidEntryFlush(f.did, f.pasid, f.pgtt)));
    }
  }

  /** Reads a device's PASID entry as the host wrote it (all zero when never written). */
  readPasidEntry(sid: number, pasid: number): Uint32Array {
    return this.pasidTables(sid).readEntry(pasid);
  }

  /** The scalable-mode context entry pointing at the device's PASID directory, with `ridPasid`. */
  private scalableContextWords(sid: number, ridPasid: number): Uint32Array {
    return SCALABLE_CONTEXT_ENTRY_LAYOUT.encode({
      P: 1,
      PASIDE: this.caps.pasid ? 1 : 0,
      PDTS: this.pdts,
      PASIDDIRPTR: this.pasidTables(sid).directory,
      RID_PASID: this.caps.rps ? ridPasid : 0,
    });
  }

  /**
   * Writes a device's context entry and issues what replacing a present one needs: a device-selective
   * context-cache invalidation, then (scalable mode) a domain-selective PASID-cache invalidation and
   * (both modes) a domain-selective IOTLB invalidation of `oldDids`.
   */
  private writeContext(sid: number, words: Uint32Array, oldDids: readonly number[], newDid: number): void {
    const old = this.contexts.readEntry(sid);
    if (old.every((w, i) => w === words[i])) return;
    const wasPresent = (old[0]! & 1) === 1;
    this.contexts.writeEntry(sid, words);
    const d = this.device(sid);
    const flush: QiDescriptor[] = [];
    if (wasPresent || this.caps.cm) {
      flush.push(contextCacheDevice(sid, wasPresent ? d.did : newDid));
      const dids = [...new Set(wasPresent ? oldDids : [newDid])];
      if (this.scalable) flush.push(...dids.map(pasidCacheDomain));
      flush.push(...dids.map(iotlbDomain));
    }
    d.did = newDid;
    this.submit(flush);
  }

  /** DIDs of the device's present PASID entries (scalable) or of its context entry (legacy). */
  private presentDids(sid: number): number[] {
    const d = this.devices.get(sid);
    if (!d) return [];
    if (!this.scalable) return [d.did];
    const out = new Set<number>();
    const tables = d.pasid;
    if (tables) {
      for (const index of tables.tableIndices()) {
        for (let i = 0; i < 64; i++) {
          const pasid = index * 64 + i;
          if (pasid >= tables.pasidLimit) break;
          const s = summarizePasidEntry(tables.readEntry(pasid));
          if (s.present) out.add(s.did);
        }
      }
    }
    return [...out];
  }

  /**
   * Points a device's requests without PASID at a translation: legacy mode writes the context entry (TT,
   * AW, DID, SLPTPTR); scalable mode writes the RID_PASID PASID entry (PGTT second-level or pass-through)
   * and a context entry with PASIDE, PDTS, PASIDDIRPTR and RID_PASID = `ridPasid`. `blocked` clears the
   * device's PASID entries and its context entry. Invalidations follow every change.
   * @throws IommuError `DOMAIN_TYPE` for pass-through without ECAP.PT.
   */
  setDeviceTranslation(sid: number, t: DeviceTranslation, ridPasid = this.defaultRidPasid): void {
    if (t.kind === 'pass-through' && !this.caps.pt) throw new IommuError('DOMAIN_TYPE', 'pass-through needs ECAP.PT');
    const oldDids = this.presentDids(sid);
    if (t.kind === 'blocked') {
      if (this.scalable && this.devices.get(sid)?.pasid) this.clearAllPasidEntries(sid);
      this.writeContext(sid, new Uint32Array(this.contexts.entryWords), oldDids, 0);
      return;
    }
    if (!this.scalable) {
      const words = LEGACY_CONTEXT_ENTRY_LAYOUT.encode({
        P: 1,
        TT: t.kind === 'pass-through' ? LegacyTranslationType.PASS_THROUGH : LegacyTranslationType.MULTI_LEVEL,
        SLPTPTR: t.kind === 'second-level' ? t.table.builder.root : 0,
        AW: t.kind === 'second-level' ? t.table.aw : 0,
        DID: t.did,
      });
      this.writeContext(sid, words, oldDids, t.did);
      return;
    }
    this.writePasidEntries(sid, [{ pasid: ridPasid, words: this.ridPasidEntry(t) }]);
    this.writeContext(sid, this.scalableContextWords(sid, ridPasid), oldDids, t.did);
  }

  /** The RID_PASID entry for a translation (scalable mode). */
  ridPasidEntry(t: SecondLevelTranslation | PassThroughTranslation): Uint32Array {
    if (t.kind === 'pass-through') return passThroughPasidEntry(t.did);
    return secondLevelPasidEntry({
      did: t.did,
      slptptr: t.table.builder.root,
      aw: t.table.aw,
      pwsnp: this.caps.smpwc,
      pgsnp: this.options.forceSnooping ?? false,
    });
  }

  /** Rewrites a device's scalable context entry with another RID_PASID (the translation stays), with invalidations. */
  setRidPasid(sid: number, ridPasid: number): void {
    const did = this.device(sid).did;
    this.writeContext(sid, this.scalableContextWords(sid, ridPasid), this.presentDids(sid), did);
  }

  /** Clears every present PASID entry of a device, with invalidations. */
  clearAllPasidEntries(sid: number): void {
    const tables = this.pasidTables(sid);
    const updates: PasidEntryUpdate[] = [];
    for (const index of tables.tableIndices()) {
      for (let i = 0; i < 64 && index * 64 + i < tables.pasidLimit; i++) {
        const pasid = index * 64 + i;
        if (tables.readEntry(pasid).some((w) => w !== 0)) updates.push({ pasid, words: new Uint32Array(16) });
      }
    }
    this.writePasidEntries(sid, updates);
  }

  /** Invalidates the IOTLB after second-level entries of `did` covering `[address, address + size)` changed. */
  flushSecondLevel(did: number, address: number, size: number, leaf = false): void {
    this.submit([iotlbRange(this.caps, did, address, size, leaf)]);
  }

  /** Reads a device's context entry as written (all zero when none). */
  readContextEntry(sid: number): Uint32Array {
    return this.contexts.readEntry(sid);
  }
}
