/**
 * The generic API of the 2017 proposal, in TypeScript: domains (with the nesting type), attach/detach,
 * `bindPasidTable` / `unbindPasidTable`, generic cache invalidation, and fault reporting with per-device
 * handlers and page responses. Core checks everything vendor-neutral and keeps the state machine; the
 * {@link VendorIommu} does the model-specific part. A failed call changes nothing.
 * @packageDocumentation
 */
import { IommuError } from '../errors';
import type { MapProt } from '../pagetable/format';
import type {
  DmaRequest,
  DmaResult,
  DomainType,
  IommuCapabilities,
  IommuHost,
  TranslateOptions,
  VendorDomain,
  VendorIommu,
  VendorPlugin,
} from '../plugin';
import type { FaultHandler, PageRequest, PageResponse } from './faults';
import { checkCacheInvalidate, type CacheInvalidateInfo } from './invalidate';
import { checkConfigHeader, type PasidTableConfig } from './pasid-table-config';

const DOMAIN_TYPES: readonly DomainType[] = ['blocked', 'identity', 'paging', 'nesting'];

/** A translation domain of one IOMMU. */
export class Domain {
  /** Devices attached to this domain. */
  readonly devices = new Set<number>();

  /** @internal use {@link Iommu.createDomain}. */
  constructor(
    /** The IOMMU that owns the domain. */
    readonly iommu: Iommu,
    /** Sequence number within the IOMMU. */
    readonly id: number,
    /** The domain type. */
    readonly type: DomainType,
    /** Vendor state. */
    readonly vendor: VendorDomain,
  ) {}

  /** True for a nesting domain (`IOMMU_DOMAIN_NESTING`). */
  get nesting(): boolean {
    return this.type === 'nesting';
  }

  private requirePaging(): void {
    if (this.type !== 'paging' && this.type !== 'nesting') {
      throw new IommuError('DOMAIN_TYPE', `a ${this.type} domain has no page tables to map`);
    }
  }

  /**
   * Maps `[iova, iova + size)` → `[pa, pa + size)`: IOVA → HPA for a paging domain, GPA → HPA (stage 2)
   * for a nesting domain. @throws IommuError `DOMAIN_TYPE`, `MAP_*`
   */
  map(iova: number, pa: number, size: number, prot: MapProt): void {
    this.requirePaging();
    this.vendor.map(iova, pa, size, prot);
  }

  /** Unmaps a range; returns the bytes unmapped. @throws IommuError `DOMAIN_TYPE`, `MAP_*` */
  unmap(iova: number, size: number): number {
    this.requirePaging();
    return this.vendor.unmap(iova, size);
  }

  /** The output address `iova` maps to, or undefined. */
  iovaToPhys(iova: number): number | undefined {
    if (this.type !== 'paging' && this.type !== 'nesting') return undefined;
    return this.vendor.iovaToPhys(iova);
  }
}

interface DeviceState {
  domain: Domain | undefined;
  bound: PasidTableConfig | undefined;
  handler: FaultHandler | undefined;
  pendingGroups: Map<string, PageRequest>;
}

/** One IOMMU with the generic API on top of a vendor plugin. */
export class Iommu {
  /** The vendor instance (device model + driver side). */
  readonly vendor: VendorIommu;
  private readonly deviceStates = new Map<number, DeviceState>();
  private readonly domains = new Set<Domain>();
  private nextDomainId = 1;

  /**
   * @param plugin the vendor plugin.
   * @param host host memory and the allocator for host-owned tables.
   */
  constructor(
    readonly plugin: VendorPlugin,
    readonly host: IommuHost,
  ) {
    this.vendor = plugin.createIommu(host);
  }

  /** The model name of the vendor. */
  get model(): string {
    return this.plugin.model;
  }

  /** Capabilities of this IOMMU. */
  get capabilities(): IommuCapabilities {
    return this.vendor.capabilities;
  }

  private device(device: number): DeviceState {
    if (!Number.isInteger(device) || device < 0) throw new IommuError('DEVICE_UNKNOWN', `bad device id ${device}`);
    let s = this.deviceStates.get(device);
    if (!s) {
      s = { domain: undefined, bound: undefined, handler: undefined, pendingGroups: new Map() };
      this.deviceStates.set(device, s);
    }
    return s;
  }

  private own(domain: Domain): void {
    if (domain.iommu !== this || !this.domains.has(domain)) {
      throw new IommuError('DOMAIN_IOMMU', 'the domain belongs to another IOMMU or was freed');
    }
  }

  /** Creates a domain. A `nesting` domain requires nesting support. @throws IommuError `DOMAIN_TYPE` */
  createDomain(type: DomainType): Domain {
    if (!DOMAIN_TYPES.includes(type)) throw new IommuError('DOMAIN_TYPE', `unknown domain type ${String(type)}`);
    if (type === 'nesting' && !this.capabilities.nesting) {
      throw new IommuError('DOMAIN_TYPE', `${this.model} instance does not support nesting`);
    }
    const d = new Domain(this, this.nextDomainId++, type, this.vendor.createDomain(type));
    this.domains.add(d);
    return d;
  }

  /** Frees a domain with no devices attached. @throws IommuError `DOMAIN_HAS_DEVICES` */
  freeDomain(domain: Domain): void {
    this.own(domain);
    if (domain.devices.size > 0) throw new IommuError('DOMAIN_HAS_DEVICES', 'detach every device first');
    this.vendor.freeDomain?.(domain.vendor);
    this.domains.delete(domain);
  }

  /** Attaches a device to a domain. @throws IommuError `DEVICE_ATTACHED` when attached elsewhere */
  attachDevice(domain: Domain, device: number): void {
    this.own(domain);
    const s = this.device(device);
    if (s.domain === domain) return;
    if (s.domain) throw new IommuError('DEVICE_ATTACHED', `device ${device} is attached to domain ${s.domain.id}; detach it first`);
    this.vendor.attachDevice(domain.vendor, device);
    s.domain = domain;
    domain.devices.add(device);
  }

  /** Detaches a device. @throws IommuError `DEVICE_NOT_ATTACHED`, `DEVICE_BOUND` (unbind the PASID table first) */
  detachDevice(domain: Domain, device: number): void {
    this.own(domain);
    const s = this.device(device);
    if (s.domain !== domain) throw new IommuError('DEVICE_NOT_ATTACHED', `device ${device} is not attached to domain ${domain.id}`);
    if (s.bound) throw new IommuError('DEVICE_BOUND', `device ${device} has a bound PASID table; unbind it first`);
    this.vendor.detachDevice(domain.vendor, device);
    s.domain = undefined;
    domain.devices.delete(device);
  }

  /** The domain a device is attached to. */
  domainOf(device: number): Domain | undefined {
    return this.deviceStates.get(device)?.domain;
  }

  /** The PASID-table config bound for a device, if any. */
  boundConfig(device: number): PasidTableConfig | undefined {
    return this.deviceStates.get(device)?.bound;
  }

  /**
   * Binds a guest PASID table (stage 1) for a device attached to a nesting domain. Checks, in order: the
   * domain is nesting; the device is attached to it and not bound; the config's version, bytes and
   * fields; **the model is this IOMMU's vendor**; pasidBits ≤ the IOMMU's; then the vendor's checks
   * (alignment, vendor block). Nothing changes unless every check passes.
   * @throws IommuError `DOMAIN_TYPE`, `DEVICE_NOT_ATTACHED`, `BIND_ALREADY`, `CONFIG_*`
   */
  bindPasidTable(domain: Domain, device: number, config: PasidTableConfig): void {
    this.own(domain);
    if (domain.type !== 'nesting') throw new IommuError('DOMAIN_TYPE', `bindPasidTable needs a nesting domain, not ${domain.type}`);
    const s = this.device(device);
    if (s.domain !== domain) throw new IommuError('DEVICE_NOT_ATTACHED', `device ${device} is not attached to domain ${domain.id}`);
    if (s.bound) throw new IommuError('BIND_ALREADY', `device ${device} already has a bound PASID table`);
    checkConfigHeader(config);
    if (config.model !== this.plugin.modelId) {
      throw new IommuError('CONFIG_MODEL', `config is for IOMMU model ${config.model}, but device ${device} sits behind ${this.model} (model ${this.plugin.modelId})`, {
        model: config.model,
        expected: this.plugin.modelId,
      });
    }
    if (config.pasidBits > this.capabilities.pasidBits) {
      throw new IommuError('CONFIG_PASID_BITS', `pasidBits ${config.pasidBits} exceeds the IOMMU's ${this.capabilities.pasidBits}`);
    }
    const base = typeof config.basePtr === 'bigint' ? config.basePtr : BigInt(config.basePtr);
    const align = 1n << BigInt(this.capabilities.pasidTableAlignShift);
    if (base % align !== 0n) {
      throw new IommuError('CONFIG_ALIGNMENT', `basePtr 0x${base.toString(16)} is not aligned to ${align} bytes`);
    }
    if (base >= 1n << BigInt(this.capabilities.inputBits)) {
      throw new IommuError('CONFIG_ADDRESS', `basePtr 0x${base.toString(16)} is beyond the ${this.capabilities.inputBits}-bit guest address space`);
    }
    this.vendor.checkBind(domain.vendor, device, config);
    const copy: PasidTableConfig = { ...config, ...(config.vendor ? { vendor: { ...config.vendor } } : {}) };
    this.vendor.bindPasidTable(domain.vendor, device, copy);
    s.bound = copy;
  }

  /** Unbinds the PASID table, restoring the domain's defaults (stage 2 only). @throws IommuError `BIND_NONE` */
  unbindPasidTable(domain: Domain, device: number): void {
    this.own(domain);
    const s = this.device(device);
    if (s.domain !== domain) throw new IommuError('DEVICE_NOT_ATTACHED', `device ${device} is not attached to domain ${domain.id}`);
    if (!s.bound) throw new IommuError('BIND_NONE', `device ${device} has no bound PASID table`);
    this.vendor.unbindPasidTable(domain.vendor, device);
    s.bound = undefined;
  }

  /**
   * Generic cache invalidation on behalf of the guest (checked, then executed with native commands).
   * @throws IommuError `INVALIDATE_*`, `DEVICE_NOT_ATTACHED`
   */
  cacheInvalidate(domain: Domain, device: number, info: CacheInvalidateInfo): void {
    this.own(domain);
    const s = this.device(device);
    if (s.domain !== domain) throw new IommuError('DEVICE_NOT_ATTACHED', `device ${device} is not attached to domain ${domain.id}`);
    checkCacheInvalidate(info, this.capabilities.pasidBits);
    this.vendor.cacheInvalidate(domain.vendor, device, info);
  }

  /** Registers a device's fault handler. @throws IommuError `FAULT_HANDLER` when one is registered */
  registerFaultHandler(device: number, handler: FaultHandler): void {
    const s = this.device(device);
    if (s.handler) throw new IommuError('FAULT_HANDLER', `device ${device} already has a fault handler`);
    s.handler = handler;
  }

  /** Removes a device's fault handler. */
  unregisterFaultHandler(device: number): void {
    const s = this.device(device);
    s.handler = undefined;
    s.pendingGroups.clear();
  }

  /** Page requests of a device not answered yet. */
  pendingPageRequests(device: number): PageRequest[] {
    return [...(this.deviceStates.get(device)?.pendingGroups.values() ?? [])];
  }

  /**
   * Answers a page request group. @throws IommuError `PAGE_RESPONSE` when no such group is pending
   */
  pageResponse(device: number, response: PageResponse): void {
    const s = this.device(device);
    if (!['success', 'invalid', 'failure'].includes(response.code)) {
      throw new IommuError('PAGE_RESPONSE', `unknown response code ${String(response.code)}`);
    }
    const key = groupKey(response.pasid, response.group);
    if (!s.pendingGroups.has(key)) {
      throw new IommuError('PAGE_RESPONSE', `device ${device} has no pending page request group ${response.group}`);
    }
    this.vendor.pageResponse?.(device, response);
    s.pendingGroups.delete(key);
  }

  /**
   * Translates a DMA request through the device model. Faults are returned as values and delivered to the
   * device's handler (unless the architecture suppresses recording).
   */
  translate(request: DmaRequest, options?: TranslateOptions): DmaResult {
    const result = this.vendor.translate(request, options);
    if (!result.ok) {
      const s = this.deviceStates.get(request.device);
      if (result.pageRequest) {
        s?.pendingGroups.set(groupKey(result.pageRequest.pasid, result.pageRequest.group), result.pageRequest);
        s?.handler?.onPageRequest?.(result.pageRequest);
      } else if (result.recorded) {
        s?.handler?.onFault?.(result.fault);
      }
    }
    return result;
  }
}

function groupKey(pasid: number | undefined, group: number): string {
  return `${pasid ?? 'none'}:${group}`;
}

/** Creates a domain on an IOMMU (free-function form of {@link Iommu.createDomain}). */
export function createDomain(iommu: Iommu, type: DomainType): Domain {
  return iommu.createDomain(type);
}

/** Attaches a device to a domain. */
export function attachDevice(domain: Domain, device: number): void {
  domain.iommu.attachDevice(domain, device);
}

/** Detaches a device from a domain. */
export function detachDevice(domain: Domain, device: number): void {
  domain.iommu.detachDevice(domain, device);
}

/** The seed's `bind_pasid_table(domain, dev, config)`; see {@link Iommu.bindPasidTable}. */
export function bindPasidTable(domain: Domain, device: number, config: PasidTableConfig): void {
  domain.iommu.bindPasidTable(domain, device, config);
}

/** The seed's `unbind_pasid_table(domain, dev)`: restores the defaults. */
export function unbindPasidTable(domain: Domain, device: number): void {
  domain.iommu.unbindPasidTable(domain, device);
}

/** Generic cache invalidation; see {@link Iommu.cacheInvalidate}. */
export function cacheInvalidate(domain: Domain, device: number, info: CacheInvalidateInfo): void {
  domain.iommu.cacheInvalidate(domain, device, info);
}
