/**
 * One VT-d IOMMU behind the generic API: the device model ({@link VtdModel}) and the host driver
 * ({@link VtdHostDriver}) over host memory, implementing core's {@link VendorIommu}.
 *
 * - Domains: `paging` and `nesting` own a second-level table and a DID (requests without PASID: RID_PASID
 *   entry PGTT = 010b in scalable mode, TT = 00b in legacy mode); `identity` is pass-through (PGTT = 100b /
 *   TT = 10b, needs ECAP.PT); `blocked` clears the context entry.
 * - `bindPasidTable` shadows the guest's PASID table ({@link BoundPasidTable}); host PASID p serves guest
 *   PASID p; requests without PASID use guest PASID `ridPasid` (vendor block, default 0).
 * - `cacheInvalidate`: the PASID cache refreshes the shadow and issues PASID-cache + PASID-based IOTLB
 *   invalidations; the IOTLB maps to PASID-based IOTLB invalidations (type 6) for a PASID, IOTLB domain
 *   invalidations (type 2) otherwise. The device TLB is not modelled, so DEV_IOTLB issues nothing.
 * - `translate` runs the model; a recorded fault is read back from the fault recording registers (and
 *   cleared) the way a driver's fault handler does, then converted with {@link vtdRecordToFault}.
 * - The iommufd form: {@link VtdIommu.allocNestedDomain}, {@link VtdIommu.attachNestedDomain},
 *   {@link VtdIommu.invalidateNestedDomain}.
 * @packageDocumentation
 */
import {
  CacheType,
  IommuError,
  InvalidateFlags,
  basePtrOf,
  type CacheInvalidateInfo,
  type DmaRequest,
  type DmaResult,
  type DomainType,
  type GenericFault,
  type IommuCapabilities,
  type IommuHost,
  type PageResponse,
  type PasidTableConfig,
  type TranslateOptions,
  type VendorDomain,
  type VendorIommu,
  type VendorPlugin,
} from '@viommu/core';
import { VtdModel, type VtdModelOptions } from '../model/index';
import type { QiDescriptor, VtdCapabilities } from '../structures/index';
import { BoundPasidTable } from './bound-table';
import { vtdConfigBlockOf } from './config-codec';
import { vtdFaultToRecord, vtdRecordToFault } from './fault-conversion';
import { drainFaultRecords } from './fault-service';
import { vtdGuestCapabilities } from './guest-capabilities';
import { VtdHostDriver, type VtdHostDriverOptions } from './host-driver';
import {
  iotlbDomain,
  iotlbRange,
  pageGroupResponse,
  pasidCacheDomain,
  pasidIotlbAll,
  pasidIotlbRange,
} from './invalidation-requests';
import { checkHwptVtdS1, checkHwptVtdS1Invalidate, type IommuHwptVtdS1, type IommuHwptVtdS1Invalidate } from './iommufd';
import { nestedPasidEntry, type FirstLevelPasidFields } from './pasid-entries';
import { VtdDomain } from './vtd-domain';

/** Options of a VT-d IOMMU instance: the hardware's registers and the driver's choices. */
export interface VtdIommuOptions extends VtdHostDriverOptions {
  /** CAP_REG of the modelled hardware (default: the structures' fully featured DEFAULT_VTD_CAP). */
  cap?: bigint;
  /** ECAP_REG (default DEFAULT_VTD_ECAP). Without ECAP.SMTS the driver runs in legacy mode. */
  ecap?: bigint;
  /** Capacities of the model's caches. */
  cacheCapacities?: VtdModelOptions['cacheCapacities'];
}

/** A nested domain of the iommufd form: a guest first level over a nesting parent's second level. */
export class VtdNestedDomain {
  /** (device, PASID) pairs it is attached to; PASID undefined = requests without PASID (RID_PASID). */
  readonly attachments = new Set<string>();

  /** @internal made by {@link VtdIommu.allocNestedDomain}. */
  constructor(
    /** The nesting parent (its second level and DID). */
    readonly parent: VtdDomain,
    /** The first-level half of the PASID entries it programs. */
    readonly firstLevel: FirstLevelPasidFields,
  ) {}
}

interface DeviceState {
  domain: VtdDomain;
  bound: BoundPasidTable | undefined;
  nested: Map<number, VtdNestedDomain>;
}

const RESPONSE_CODES = { success: 0, invalid: 1, failure: 0xf } as const;

/** A VT-d IOMMU: device model plus host driver. */
export class VtdIommu implements VendorIommu {
  /** The remapping hardware (device model). */
  readonly model: VtdModel;
  /** The host driver. */
  readonly driver: VtdHostDriver;
  /** Generic capabilities. */
  readonly capabilities: IommuCapabilities;
  /** What the vIOMMU shows a guest whose table is bound ({@link vtdGuestCapabilities}). */
  readonly guestCapabilities: VtdCapabilities;
  private readonly devices = new Map<number, DeviceState>();

  /**
   * Builds the model over `host.memory` and brings the host driver up.
   * @throws IommuError `ARGUMENT` for bad register values, `PLUGIN` without ECAP.QI.
   */
  constructor(
    /** The plugin that made it. */
    readonly plugin: VendorPlugin,
    /** Host memory and the allocator of host-owned tables. */
    readonly host: IommuHost,
    options: VtdIommuOptions = {},
  ) {
    this.model = new VtdModel(host.memory, {
      ...(options.cap === undefined ? {} : { cap: options.cap }),
      ...(options.ecap === undefined ? {} : { ecap: options.ecap }),
      ...(options.hostAddressWidth === undefined ? {} : { hostAddressWidth: options.hostAddressWidth }),
      ...(options.cacheCapacities === undefined ? {} : { cacheCapacities: options.cacheCapacities }),
    });
    this.driver = new VtdHostDriver(this.model, host.memory, host.allocator, { ...options, hostAddressWidth: this.model.haw });
    const caps = this.driver.caps;
    this.capabilities = {
      pasidBits: this.driver.scalable && caps.pasid ? caps.pasidBits : 0,
      nesting: this.driver.scalable && caps.nest,
      pageShifts: [12, ...(caps.sl2MPages ? [21] : []), ...(caps.sl1GPages ? [30] : [])],
      inputBits: this.driver.inputBits,
      outputBits: this.driver.haw,
      pasidTableAlignShift: 12,
    };
    this.guestCapabilities = vtdGuestCapabilities(caps, this.capabilities.inputBits);
  }

  private state(device: number): DeviceState {
    const s = this.devices.get(device);
    if (!s) throw new IommuError('DEVICE_NOT_ATTACHED', `device ${device} is not attached`);
    return s;
  }

  private static domainOf(domain: VendorDomain): VtdDomain {
    if (!(domain instanceof VtdDomain)) throw new IommuError('DOMAIN_IOMMU', 'not a VT-d domain');
    return domain;
  }

  /**
   * Allocates a domain's DID and, for paging / nesting, its second-level table.
   * @throws IommuError `DOMAIN_TYPE` for identity without ECAP.PT or nesting without nested support.
   */
  /** Frees a detached domain's DID after a domain-selective IOTLB invalidation (and a wait descriptor). */
  freeDomain(domain: VendorDomain): void {
    const d = domain as VtdDomain;
    if (d.did === undefined) return;
    this.driver.submit([iotlbDomain(d.did)]);
    this.driver.dids.free(d.did);
  }

  createDomain(type: DomainType): VtdDomain {
    if (type === 'identity' && !this.driver.caps.pt) throw new IommuError('DOMAIN_TYPE', 'identity domains need ECAP.PT');
    if (type === 'nesting' && !this.capabilities.nesting) throw new IommuError('DOMAIN_TYPE', 'nesting needs scalable mode and ECAP.NEST');
    return new VtdDomain(type, this.driver);
  }

  /** Points the device's context entry (and RID_PASID entry) at the domain, with invalidations. */
  attachDevice(domain: VendorDomain, device: number): void {
    const d = VtdIommu.domainOf(domain);
    if (d.type === 'blocked') this.driver.setDeviceTranslation(device, { kind: 'blocked' });
    else if (d.type === 'identity') this.driver.setDeviceTranslation(device, { kind: 'pass-through', did: d.did! });
    else this.driver.setDeviceTranslation(device, { kind: 'second-level', did: d.did!, table: d.table! });
    this.devices.set(device, { domain: d, bound: undefined, nested: new Map() });
  }

  /**
   * Clears the device's PASID entries and context entry (every request then faults), with invalidations;
   * iommufd nested domains attached to the device are detached with it.
   */
  detachDevice(_domain: VendorDomain, device: number): void {
    this.driver.setDeviceTranslation(device, { kind: 'blocked' });
    for (const [slot, nested] of this.devices.get(device)?.nested ?? []) nested.attachments.delete(`${device}:${slot}`);
    this.devices.delete(device);
  }

  private prepareBind(domain: VendorDomain, device: number, config: PasidTableConfig): BoundPasidTable {
    const d = VtdIommu.domainOf(domain);
    const s = this.state(device);
    if (s.nested.size > 0) throw new IommuError('DEVICE_BOUND', `device ${device} has iommufd nested domains attached`);
    const block = vtdConfigBlockOf(config);
    if (block.ridPasid >= 2 ** config.pasidBits) {
      throw new IommuError('CONFIG_VENDOR', `ridPasid ${block.ridPasid} is outside the table's ${config.pasidBits} PASID bits`);
    }
    if (block.ridPasid !== this.driver.defaultRidPasid && !this.driver.caps.rps) {
      throw new IommuError('CONFIG_UNSUPPORTED', 'a ridPasid other than 0 needs ECAP.RPS');
    }
    return new BoundPasidTable({
      driver: this.driver,
      sid: device,
      did: d.did!,
      table: d.table!,
      basePtr: Number(basePtrOf(config)),
      pasidBits: config.pasidBits,
      ridPasid: block.ridPasid,
      guestCaps: this.guestCapabilities,
      guestAddressBits: this.capabilities.inputBits,
    });
  }

  /**
   * Vendor checks: the vendor block; `ridPasid` inside the table (and ECAP.RPS when not 0); the guest
   * directory mapped by the domain's second level; no present guest entry asking for a feature the host
   * lacks. Reads guest memory, changes nothing.
   * @throws IommuError `CONFIG_VENDOR`, `CONFIG_UNSUPPORTED`, `CONFIG_ADDRESS`, `DEVICE_BOUND`
   */
  checkBind(domain: VendorDomain, device: number, config: PasidTableConfig): void {
    this.prepareBind(domain, device, config).check(this.driver.caps);
  }

  /** Installs the shadow of the guest's PASID table. */
  bindPasidTable(domain: VendorDomain, device: number, config: PasidTableConfig): void {
    const bound = this.prepareBind(domain, device, config);
    bound.install();
    this.state(device).bound = bound;
  }

  /** Removes the shadow, restoring second-level-only translation. */
  unbindPasidTable(_domain: VendorDomain, device: number): void {
    const s = this.state(device);
    s.bound?.remove();
    s.bound = undefined;
  }

  /**
   * Executes a checked generic invalidation. With a bound table: PASID cache → refresh the shadow of the
   * PASID (or of every PASID) and issue PASID-cache + IOTLB invalidations for what changed; IOTLB → type 6
   * (PASID-based, page-selective or all of the PASID) when a PASID is given, else type 2 domain-selective.
   * Without one, everything becomes domain-selective (or, for an address range without PASID, a
   * second-level page-selective IOTLB invalidation). In legacy mode only IOTLB invalidations (type 2) are
   * issued. The `archid` (a guest DID) is not used: host DIDs differ.
   */
  cacheInvalidate(domain: VendorDomain, device: number, info: CacheInvalidateInfo): void {
    const d = VtdIommu.domainOf(domain);
    const s = this.state(device);
    if (d.did === undefined) return;
    const did = d.did;
    const pasidSel = info.granularity === 'pasid' && info.pasidInfo && info.pasidInfo.flags & InvalidateFlags.PASID ? info.pasidInfo.pasid : undefined;
    const out: QiDescriptor[] = [];
    if (!this.driver.scalable) {
      // Legacy mode has neither PASID caches nor PASID-tagged translations: IOTLB invalidation only.
      if (info.cache & CacheType.IOTLB) {
        const a = info.granularity === 'addr' ? info.addrInfo : undefined;
        out.push(a ? iotlbRange(this.driver.caps, did, a.addr, a.granuleSize * a.nbGranules, (a.flags & InvalidateFlags.LEAF) !== 0) : iotlbDomain(did));
      }
      if (out.length > 0) this.driver.submit(out);
      return;
    }
    if (info.cache & CacheType.PASID) {
      if (s.bound) {
        if (pasidSel !== undefined) s.bound.refresh(pasidSel);
        else s.bound.refreshAll();
      } else {
        out.push(pasidCacheDomain(did));
      }
    }
    if (info.cache & CacheType.IOTLB) {
      if (info.granularity === 'addr' && info.addrInfo) {
        const a = info.addrInfo;
        const size = a.granuleSize * a.nbGranules;
        const leaf = (a.flags & InvalidateFlags.LEAF) !== 0;
        if (a.flags & InvalidateFlags.PASID) out.push(pasidIotlbRange(this.driver.caps, did, a.pasid, a.addr, size, leaf));
        else if (!s.bound) out.push(iotlbRange(this.driver.caps, did, a.addr, size, leaf));
        else out.push(iotlbDomain(did));
      } else if (pasidSel !== undefined) {
        out.push(pasidIotlbAll(did, pasidSel));
      } else {
        out.push(iotlbDomain(did));
      }
    }
    if (out.length > 0) this.driver.submit(out);
  }

  /**
   * Translates through the model. A recorded fault is drained from the fault recording registers (clearing
   * them, so later faults are recorded too) and converted; a suppressed one (FPD) comes from the model's
   * result with `recorded: false`.
   */
  translate(request: DmaRequest, options: TranslateOptions = {}): DmaResult {
    const r = this.model.translate(
      { sourceId: request.device, pasid: request.pasid, address: request.address, access: request.access },
      { ...(options.trace ? { trace: options.trace } : {}), ...(options.uncached ? { uncached: true } : {}) },
    );
    if (r.ok) return { ok: true, output: r.output, pageShift: r.pageShift, permitted: r.permitted, cached: r.cached };
    const drained = drainFaultRecords(this.model, this.driver.caps);
    const record = r.recorded ? (drained[drained.length - 1] ?? r.record) : r.record;
    return { ok: false, fault: vtdRecordToFault(record), recorded: r.recorded, walk: r.walk };
  }

  /** {@link vtdFaultToRecord}. */
  faultToRecord(fault: GenericFault): Uint32Array {
    return vtdFaultToRecord(fault);
  }

  /** {@link vtdRecordToFault}. */
  recordToFault(record: Uint32Array): GenericFault {
    return vtdRecordToFault(record);
  }

  /** Sends a page-group response descriptor (type 9): success 0, invalid 1, failure 0xF. */
  pageResponse(device: number, response: PageResponse): void {
    this.driver.submit([pageGroupResponse(device, response.pasid, response.group, RESPONSE_CODES[response.code])]);
  }

  // ---------------------------------------------------------------------------------------------------
  // iommufd form
  // ---------------------------------------------------------------------------------------------------

  /**
   * `IOMMU_HWPT_ALLOC` of a nested domain with `iommu_hwpt_vtd_s1` data on a nesting parent.
   * @throws IommuError `DOMAIN_TYPE` when the parent is not a nesting domain, else as {@link checkHwptVtdS1}.
   */
  allocNestedDomain(parent: VendorDomain, data: IommuHwptVtdS1): VtdNestedDomain {
    const p = VtdIommu.domainOf(parent);
    if (p.type !== 'nesting') throw new IommuError('DOMAIN_TYPE', `a nested domain needs a nesting parent, not ${p.type}`);
    return new VtdNestedDomain(p, checkHwptVtdS1(data, this.driver.caps, this.capabilities.inputBits));
  }

  private pasidSlot(device: number, pasid: number | undefined): number {
    if (pasid === undefined) return this.driver.defaultRidPasid;
    const limit = Math.min(2 ** this.capabilities.pasidBits, this.driver.pasidTables(device).pasidLimit);
    if (!Number.isInteger(pasid) || pasid < 0 || pasid >= limit) throw new IommuError('ARGUMENT', `PASID ${pasid} is outside 0..${limit - 1}`);
    return pasid;
  }

  /**
   * Attaches a nested domain to a device (requests without PASID when `pasid` is undefined) whose parent it
   * is attached to: writes the nested PASID entry (PGTT = 011b) and invalidates the old one.
   * @throws IommuError `DEVICE_NOT_ATTACHED`, `DEVICE_BOUND` (a PASID table is bound), `ARGUMENT`
   */
  attachNestedDomain(nested: VtdNestedDomain, device: number, pasid?: number): void {
    const s = this.state(device);
    if (s.domain !== nested.parent) throw new IommuError('DEVICE_NOT_ATTACHED', `device ${device} is not attached to the nested domain's parent`);
    if (s.bound) throw new IommuError('DEVICE_BOUND', `device ${device} has a bound PASID table`);
    const slot = this.pasidSlot(device, pasid);
    this.driver.writePasidEntries(device, [{ pasid: slot, words: this.nestedEntry(nested) }]);
    s.nested.set(slot, nested);
    nested.attachments.add(`${device}:${slot}`);
  }

  /** The host PASID entry a nested domain programs. */
  private nestedEntry(nested: VtdNestedDomain): Uint32Array {
    const p = nested.parent;
    return nestedPasidEntry(
      { did: p.did!, slptptr: p.table!.builder.root, aw: p.table!.aw, pwsnp: this.driver.caps.smpwc, pgsnp: this.driver.options.forceSnooping ?? false },
      nested.firstLevel,
    );
  }

  /** Detaches the nested domain from a device PASID: RID_PASID returns to second-level only, another PASID is cleared. */
  detachNestedDomain(device: number, pasid?: number): void {
    const s = this.state(device);
    const slot = this.pasidSlot(device, pasid);
    const nested = s.nested.get(slot);
    if (!nested) throw new IommuError('DEVICE_NOT_ATTACHED', `no nested domain on device ${device} PASID ${slot}`);
    const words =
      slot === this.driver.defaultRidPasid
        ? this.driver.ridPasidEntry({ kind: 'second-level', did: s.domain.did!, table: s.domain.table! })
        : new Uint32Array(16);
    this.driver.writePasidEntries(device, [{ pasid: slot, words }]);
    s.nested.delete(slot);
    nested.attachments.delete(`${device}:${slot}`);
  }

  /**
   * `IOMMU_HWPT_INVALIDATE` of a nested domain with `iommu_hwpt_vtd_s1_invalidate` entries: PASID-based
   * IOTLB invalidations (type 6) of every (device, PASID) it is attached to.
   * @throws IommuError `INVALIDATE_ARGUMENT` as {@link checkHwptVtdS1Invalidate}.
   */
  invalidateNestedDomain(nested: VtdNestedDomain, invalidations: readonly IommuHwptVtdS1Invalidate[]): void {
    const scopes = invalidations.map(checkHwptVtdS1Invalidate);
    const did = nested.parent.did!;
    const pasids = new Set([...nested.attachments].map((k) => Number(k.split(':')[1])));
    const out: QiDescriptor[] = [];
    for (const scope of scopes) {
      for (const pasid of pasids) {
        if (scope.all) out.push(pasidIotlbAll(did, pasid));
        else if (scope.size > 0) out.push(pasidIotlbRange(this.driver.caps, did, pasid, scope.address, scope.size, scope.leaf));
      }
    }
    this.driver.submit(out);
  }

  /** The host PASID entry of a device as the driver wrote it (scalable mode), for inspection. */
  hostPasidEntry(device: number, pasid: number): Uint32Array {
    return this.driver.readPasidEntry(device, pasid);
  }

  /** The bound table of a device, if any. */
  boundTable(device: number): BoundPasidTable | undefined {
    return this.devices.get(device)?.bound;
  }
}
