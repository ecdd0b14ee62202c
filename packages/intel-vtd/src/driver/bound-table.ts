/**
 * A guest PASID table bound to a device (the seed's `bind_pasid_table` on VT-d): the host reads the guest's
 * scalable-mode PASID directory and tables through the nesting domain's second level (GPA → HPA, the view a
 * VMM has of guest RAM) and shadows every guest PASID p into host PASID p of the device (see
 * {@link shadowPasidEntry}). Host PASID-directory entry d mirrors guest directory entry d: present (with the
 * guest's FPD) exactly when the guest's is present and valid, so a PASID the guest has no table for faults
 * 0x51 on the host as it would on the vIOMMU. Requests without PASID use guest PASID `ridPasid` through the
 * host context entry's RID_PASID.
 *
 * The shadow is refreshed when the guest invalidates its PASID cache (the vIOMMU reports caching mode, so
 * the guest does so after every PASID-entry change): one PASID, or all of them. A guest directory entry
 * found changed re-shadows the 64 PASIDs it covers.
 * @packageDocumentation
 */
import { IommuError, readWords, TranslatedMemory } from '@viommu/core';
import { checkPasidDirectoryEntry, PASID_ENTRY_BYTES, type VtdCapabilities } from '../structures/index';
import type { VtdHostDriver } from './host-driver';
import { iotlbDomain, pasidCacheDomain, pasidEntryFlush } from './invalidation-requests';
import type { SecondLevelPageTable } from './io-pgtable';
import { summarizePasidEntry } from './pasid-entries';
import { shadowPasidEntry, unsupportedGuestFeature, type ShadowContext } from './pasid-shadow';
import type { PasidTables } from './pasid-tables';

/** What a bind needs. */
export interface BindSetup {
  /** The host driver. */
  readonly driver: VtdHostDriver;
  /** The device's source-id. */
  readonly sid: number;
  /** The nesting domain's DID. */
  readonly did: number;
  /** The nesting domain's second level. */
  readonly table: SecondLevelPageTable;
  /** GPA of the guest's PASID directory (`config.basePtr`). */
  readonly basePtr: number;
  /** PASID bits the guest table covers (`config.pasidBits`). */
  readonly pasidBits: number;
  /** Guest PASID for requests without PASID (vendor block). */
  readonly ridPasid: number;
  /** The vIOMMU's capabilities. */
  readonly guestCaps: VtdCapabilities;
  /** Guest-physical address width. */
  readonly guestAddressBits: number;
}

/** A guest directory entry as last read: valid and present, or not (with its FPD). */
interface GuestDirectorySlot {
  readonly present: boolean;
  readonly fpd: boolean;
  readonly table: number;
}

function sameSlot(a: GuestDirectorySlot | undefined, b: GuestDirectorySlot): boolean {
  return a !== undefined && a.present === b.present && a.fpd === b.fpd && a.table === b.table;
}

/** One bound guest PASID table and its host shadow. */
export class BoundPasidTable {
  /** Guest RAM as the host sees it: GPA → HPA through the nesting domain's second level. */
  readonly guestMemory: TranslatedMemory;
  /** Guest PASID-directory entries covered: 2^max(0, pasidBits − 6). */
  readonly directoryEntries: number;
  /** Guest PASIDs covered: 2^pasidBits. */
  readonly pasidCount: number;
  private readonly ctx: ShadowContext;
  private readonly seen = new Map<number, GuestDirectorySlot>();
  private readonly tables: PasidTables;
  private preBindTables: ReadonlySet<number> = new Set();

  /** Prepares (does not install) a bind. */
  constructor(
    /** What the bind is of. */
    readonly setup: BindSetup,
  ) {
    const { driver, table } = setup;
    this.guestMemory = new TranslatedMemory(driver.memory, (gpa) => table.builder.iovaToPhys(gpa));
    this.directoryEntries = 2 ** Math.max(0, setup.pasidBits - 6);
    this.pasidCount = 2 ** setup.pasidBits;
    this.tables = driver.pasidTables(setup.sid);
    this.ctx = {
      secondLevel: { did: setup.did, slptptr: table.builder.root, aw: table.aw, pwsnp: driver.caps.smpwc, pgsnp: driver.options.forceSnooping ?? false },
      guestCaps: setup.guestCaps,
      guestAddressBits: setup.guestAddressBits,
    };
  }

  private readDirectory(index: number): GuestDirectorySlot {
    const words = readWords(this.guestMemory, this.setup.basePtr + index * 8, 2);
    if (!words) return { present: false, fpd: false, table: 0 };
    const c = checkPasidDirectoryEntry(words, this.setup.guestAddressBits);
    return c.ok ? { present: true, fpd: c.value.fpd, table: c.value.pasidTableAddress } : { present: false, fpd: c.fpd, table: 0 };
  }

  private readGuestEntry(slot: GuestDirectorySlot, pasid: number): Uint32Array | undefined {
    return readWords(this.guestMemory, slot.table + (pasid & 63) * PASID_ENTRY_BYTES, PASID_ENTRY_BYTES / 4);
  }

  /**
   * Vendor checks of the bind that read guest memory but change nothing: the guest directory must be backed
   * by the second level, and no present guest entry may ask for a feature the host lacks.
   * @throws IommuError `CONFIG_ADDRESS`, `CONFIG_UNSUPPORTED`
   */
  check(hostCaps: VtdCapabilities): void {
    if (!this.guestMemory.isBacked(this.setup.basePtr, this.directoryEntries * 8)) {
      throw new IommuError('CONFIG_ADDRESS', `the guest PASID directory at GPA 0x${this.setup.basePtr.toString(16)} is not mapped by the nesting domain`);
    }
    for (let d = 0; d < this.directoryEntries; d++) {
      const slot = this.readDirectory(d);
      if (!slot.present) continue;
      for (let i = 0; i < 64 && d * 64 + i < this.pasidCount; i++) {
        const pasid = d * 64 + i;
        const words = this.readGuestEntry(slot, pasid);
        const missing = words && unsupportedGuestFeature(words, hostCaps);
        if (missing) throw new IommuError('CONFIG_UNSUPPORTED', `guest PASID ${pasid}: ${missing}`, { pasid });
      }
    }
  }

  /** Re-shadows every PASID of guest directory entry `d` and mirrors the entry; returns true if anything changed. */
  private shadowDirectory(d: number): boolean {
    const slot = this.readDirectory(d);
    this.seen.set(d, slot);
    let changed = false;
    const hasTable = this.tables.tableOf(d) !== undefined;
    for (let i = 0; i < 64; i++) {
      const pasid = d * 64 + i;
      if (pasid >= this.tables.pasidLimit) break;
      const words = slot.present && pasid < this.pasidCount ? shadowPasidEntry(this.readGuestEntry(slot, pasid), this.ctx) : new Uint32Array(16);
      if (!hasTable && this.tables.tableOf(d) === undefined && words.every((w) => w === 0)) continue;
      changed = this.writeHost(pasid, words) || changed;
    }
    const host = this.tables.readDirectoryEntry(d);
    if (host.present !== slot.present || host.fpd !== slot.fpd) {
      this.tables.writeDirectoryEntry(d, slot.present, slot.fpd);
      changed = true;
    }
    return changed;
  }

  private writeHost(pasid: number, words: Uint32Array): boolean {
    const current = this.tables.readEntry(pasid);
    if (words.every((w, i) => w === current[i])) return false;
    this.tables.writeEntry(pasid, words);
    return true;
  }

  private flushDomain(): void {
    this.setup.driver.submit([pasidCacheDomain(this.setup.did), iotlbDomain(this.setup.did)]);
  }

  /**
   * Installs the shadow: every guest directory entry and PASID, then RID_PASID in the context entry, then a
   * domain-selective PASID-cache and IOTLB invalidation.
   */
  install(): void {
    this.preBindTables = new Set(this.tables.tableIndices().filter((d) => this.tables.readDirectoryEntry(d).present));
    for (let d = 0; d < this.directoryEntries && d * 64 < this.tables.pasidLimit; d++) this.shadowDirectory(d);
    const { driver, sid, ridPasid } = this.setup;
    if (ridPasid !== driver.defaultRidPasid) driver.setRidPasid(sid, ridPasid);
    this.flushDomain();
  }

  /**
   * Refreshes the shadow of one guest PASID after the guest invalidated its PASID cache for it: re-reads its
   * directory entry (all 64 PASIDs when that changed) and its entry, then invalidates what the old host entry
   * may have cached. PASIDs beyond the guest table are ignored.
   */
  refresh(pasid: number): void {
    if (pasid >= this.pasidCount || pasid >= this.tables.pasidLimit) return;
    const d = pasid >>> 6;
    const slot = this.readDirectory(d);
    if (!sameSlot(this.seen.get(d), slot)) {
      if (this.shadowDirectory(d)) this.flushDomain();
      return;
    }
    const old = summarizePasidEntry(this.tables.readEntry(pasid));
    const words = slot.present ? shadowPasidEntry(this.readGuestEntry(slot, pasid), this.ctx) : new Uint32Array(16);
    if (this.writeHost(pasid, words) && old.present) this.setup.driver.submit(pasidEntryFlush(old.did, pasid, old.pgtt));
  }

  /** Refreshes every PASID (a domain- or DID-selective guest PASID-cache invalidation). */
  refreshAll(): void {
    let changed = false;
    for (let d = 0; d < this.directoryEntries && d * 64 < this.tables.pasidLimit; d++) changed = this.shadowDirectory(d) || changed;
    if (changed) this.flushDomain();
  }

  /**
   * Removes the shadow, restoring the device's defaults: every PASID entry cleared, directory entries as
   * before the bind, the RID_PASID entry second-level only again, RID_PASID in the context entry back to the
   * host's, and the caches invalidated.
   */
  remove(): void {
    const { driver, sid } = this.setup;
    for (const d of this.tables.tableIndices()) {
      for (let i = 0; i < 64 && d * 64 + i < this.tables.pasidLimit; i++) this.writeHost(d * 64 + i, new Uint32Array(16));
      this.tables.writeDirectoryEntry(d, this.preBindTables.has(d), false);
    }
    this.tables.writeEntry(driver.defaultRidPasid, driver.ridPasidEntry({ kind: 'second-level', did: this.setup.did, table: this.setup.table }));
    if (this.setup.ridPasid !== driver.defaultRidPasid) driver.setRidPasid(sid, driver.defaultRidPasid);
    this.flushDomain();
  }
}
