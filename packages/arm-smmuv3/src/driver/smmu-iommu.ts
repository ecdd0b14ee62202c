/**
 * One SMMUv3 behind the generic API: the device model ({@link SmmuV3Model}) and the host driver
 * ({@link SmmuV3HostDriver}) that programs it, implementing core's {@link VendorIommu}. Everything the
 * driver does reaches the model as a real driver's work reaches hardware — STEs, CDs and page tables in
 * memory, commands through the Command queue, events out of the Event queue — and DMA goes through the
 * model's `translate`.
 *
 * Beyond the contract it offers the iommufd forms: {@link SmmuV3Iommu.installNestedSte} (a raw guest
 * STE) and vIOMMU objects ({@link SmmuV3Viommu}) for guest command passthrough and guest event
 * forwarding.
 * @packageDocumentation
 */
import {
  Access,
  IommuError,
  type CacheInvalidateInfo,
  type DmaRequest,
  type DmaResult,
  type DomainType,
  type GenericFault,
  type IommuCapabilities,
  type IommuHost,
  type PasidTableConfig,
  type TranslateOptions,
  type VendorDomain,
  type VendorIommu,
  type VendorPlugin,
} from '@viommu/core';
import { SmmuV3Model, type SmmuV3ModelOptions } from '../model/index';
import { encodeCommand } from '../structures/index';
import { checkSmmuV3Bind } from './bind-checks';
import { CdTableDriver } from './cd-table';
import { buildStage1Cd } from './cd-builder';
import { HOST_STAGE1_VMID, SmmuV3Domain, type DomainTableOptions } from './domain';
import { eventToGenericFault, genericFaultToEvent, silentAbortRecord } from './faults';
import { genericInvalidationCommands } from './generic-invalidation';
import { SmmuV3HostDriver, type HostDriverOptions } from './host-driver';
import { stage1FieldsOfConfig, validateGuestSte } from './nested-ste';
import type { MemoryRange } from './recording-allocator';
import { buildAbortSte, buildBypassSte, buildNestedSte, buildStage1Ste, buildStage2Ste, type SteStage1Fields } from './ste-builder';
import { S1DssValue, S1FmtValue } from './vendor-config';
import type { SmmuV3Viommu } from './viommu';

/** Options of an SMMUv3 instance. */
export interface SmmuV3IommuOptions {
  /** The device model's ID registers and cache sizes. */
  model?: SmmuV3ModelOptions;
  /** Host driver choices (queue sizes, Stream table format). */
  driver?: HostDriverOptions;
  /** Stage a `paging` domain translates with: 2 (default, a VMID-tagged stage 2) or 1 (an ASID-tagged stage 1). */
  pagingStage?: 1 | 2;
  /** Events kept for the host when nobody forwards them (default 1024; the oldest go first). */
  hostEventLimit?: number;
}

/** How a device's STE is configured right now. */
type DeviceMode = 'attached' | 'bound' | 'nested-ste';

interface DeviceState {
  domain: SmmuV3Domain;
  mode: DeviceMode;
}

/** An SMMUv3 instance: model + host driver + the generic API's vendor hooks. */
export class SmmuV3Iommu implements VendorIommu {
  /** The device model. */
  readonly model: SmmuV3Model;
  /** The host driver. */
  readonly driver: SmmuV3HostDriver;
  /** What this SMMU offers the generic API (pasidBits = IDR1.SSIDSIZE, nesting = IDR0.S1P ∧ S2P, …). */
  readonly capabilities: IommuCapabilities;
  /** Event records the host drained that no vIOMMU took, oldest first (bounded). */
  readonly hostEvents: Uint32Array[] = [];
  private readonly devices = new Map<number, DeviceState>();
  private readonly viommus = new Set<SmmuV3Viommu>();
  private readonly tableOptions: DomainTableOptions;
  private readonly hostEventLimit: number;
  private nextDomainId = 1;

  /**
   * Builds the device model over the host's memory and probes and resets it with the host driver.
   * @param plugin the plugin that made this instance.
   * @param host host memory and table allocator.
   * @param options model, driver and domain choices.
   */
  constructor(
    /** The plugin that made this instance. */
    readonly plugin: VendorPlugin,
    host: IommuHost,
    options: SmmuV3IommuOptions = {},
  ) {
    this.model = new SmmuV3Model(host.memory, options.model);
    this.driver = new SmmuV3HostDriver(this.model, host.memory, host.allocator, options.driver);
    const caps = this.driver.caps;
    const stage2InputBits = Math.min(caps.ias, 48);
    this.tableOptions = { pagingStage: options.pagingStage ?? 2, stage2InputBits, stage1InputBits: 48 };
    this.hostEventLimit = options.hostEventLimit ?? 1024;
    this.capabilities = Object.freeze({
      pasidBits: caps.ssidSize,
      nesting: caps.s1p && caps.s2p,
      pageShifts: [12, 21, 30],
      inputBits: this.tableOptions.pagingStage === 1 ? 48 : stage2InputBits,
      outputBits: caps.oasBits,
      // STE.S1ContextPtr holds address bits [55:6].
      pasidTableAlignShift: 6,
    });
  }

  /** Memory the SMMU and its driver own: Stream table, queues, stage-2 tables, host CD tables. */
  ownedRanges(): MemoryRange[] {
    return this.driver.ownedRanges();
  }

  private vendorDomain(domain: VendorDomain): SmmuV3Domain {
    if (!(domain instanceof SmmuV3Domain) || domain.driver !== this.driver) {
      throw new IommuError('DOMAIN_IOMMU', 'the domain was not created by this SMMUv3 instance');
    }
    return domain;
  }

  /**
   * Frees a detached domain's tag: its VMID after CMD_TLBI_S12_VMALL (every stage of the VMID), or its
   * host-stage-1 ASID after CMD_TLBI_NH_ASID, each followed by CMD_SYNC.
   */
  freeDomain(domain: VendorDomain): void {
    const d = domain as SmmuV3Domain;
    if (d.vmid !== undefined) {
      this.driver.submit([encodeCommand({ name: 'CMD_TLBI_S12_VMALL', fields: { VMID: d.vmid } })]);
      this.driver.vmids.free(d.vmid);
    }
    if (d.asid !== undefined) {
      this.driver.submit([encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: HOST_STAGE1_VMID, ASID: d.asid } })]);
      this.driver.asids.free(d.asid);
    }
  }

  createDomain(type: DomainType): SmmuV3Domain {
    if (type === 'nesting' && !this.capabilities.nesting) throw new IommuError('DOMAIN_TYPE', 'this SMMU has no nested translation (IDR0.S1P and S2P)');
    if (type === 'paging' && this.tableOptions.pagingStage === 1 && !this.driver.caps.s1p) throw new IommuError('DOMAIN_TYPE', 'this SMMU has no stage 1 (IDR0.S1P)');
    if ((type === 'paging' && this.tableOptions.pagingStage === 2) || type === 'nesting') {
      if (!this.driver.caps.s2p) throw new IommuError('DOMAIN_TYPE', 'this SMMU has no stage 2 (IDR0.S2P)');
    }
    return new SmmuV3Domain(this.driver, type, this.nextDomainId++, this.tableOptions);
  }

  /** The STE a domain gives a device that is attached but not bound. */
  private attachedSte(domain: SmmuV3Domain, sid: number): Uint32Array {
    switch (domain.type) {
      case 'blocked':
        return buildAbortSte();
      case 'identity':
        return buildBypassSte();
      default:
        if (domain.stage === 1) return buildStage1Ste(this.hostStage1Fields(domain, sid), HOST_STAGE1_VMID);
        return buildStage2Ste({ vmid: domain.vmid!, table: domain.table! }, domain.type === 'nesting');
    }
  }

  /** A stage-1 paging domain's single-CD table for one device, created on first attach. */
  private hostStage1Fields(domain: SmmuV3Domain, sid: number): SteStage1Fields {
    let cdTable = domain.cdTables.get(sid);
    if (!cdTable) {
      const submit = (cmds: Uint32Array[]) => this.driver.submit(cmds);
      cdTable = new CdTableDriver(this.driver.memory, this.driver.allocator, { invalidateCd: (ssid, leaf) => submit([encodeCommand({ name: 'CMD_CFGI_CD', fields: { StreamID: sid, SubstreamID: ssid, Leaf: leaf ? 1 : 0 } })]) }, { cdMax: 0, cd2l: this.driver.caps.cd2l });
      // The STE is not live yet: the CD is written first, so the SMMU never sees an STE pointing at nothing.
      cdTable.writeCd(0, buildStage1Cd(domain.table!, { asid: domain.asid! }));
      domain.cdTables.set(sid, cdTable);
    }
    return { contextPtr: cdTable.base, cdMax: 0, s1fmt: S1FmtValue.LINEAR, s1dss: S1DssValue.TERMINATE };
  }

  attachDevice(domain: VendorDomain, device: number): void {
    const d = this.vendorDomain(domain);
    const target = this.attachedSte(d, device);
    this.driver.writeSte(device, target);
    d.devices.add(device);
    this.devices.set(device, { domain: d, mode: 'attached' });
  }

  detachDevice(domain: VendorDomain, device: number): void {
    const d = this.vendorDomain(domain);
    this.driver.writeSte(device, buildAbortSte());
    d.devices.delete(device);
    this.devices.delete(device);
  }

  checkBind(domain: VendorDomain, device: number, config: PasidTableConfig): void {
    const d = this.vendorDomain(domain);
    if (d.type !== 'nesting') throw new IommuError('DOMAIN_TYPE', 'a PASID table binds only to a nesting domain');
    if (this.devices.get(device)?.mode === 'nested-ste') {
      throw new IommuError('BIND_ALREADY', `device ${device} has a guest STE installed (iommufd form); remove it first`);
    }
    checkSmmuV3Bind(config, this.driver.caps, d.table!.inputBits);
  }

  bindPasidTable(domain: VendorDomain, device: number, config: PasidTableConfig): void {
    const d = this.vendorDomain(domain);
    const vendor = checkSmmuV3Bind(config, this.driver.caps, d.table!.inputBits);
    this.installStage1(d, device, stage1FieldsOfConfig(config, vendor), 'bound');
  }

  unbindPasidTable(domain: VendorDomain, device: number): void {
    const d = this.vendorDomain(domain);
    this.driver.writeSte(device, buildStage2Ste({ vmid: d.vmid!, table: d.table! }, true));
    // The guest's stage-1 translations are gone with its table: drop them (tagged by the domain's VMID).
    this.driver.submit([encodeCommand({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: d.vmid! } })]);
    this.devices.set(device, { domain: d, mode: 'attached' });
  }

  private installStage1(d: SmmuV3Domain, device: number, s1: SteStage1Fields, mode: DeviceMode): void {
    this.driver.writeSte(device, buildNestedSte(s1, { vmid: d.vmid!, table: d.table! }));
    // A new guest table: no stage-1 entry of an earlier one may answer for it.
    this.driver.submit([encodeCommand({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: d.vmid! } })]);
    this.devices.set(device, { domain: d, mode });
  }

  /**
   * The iommufd form of a nested bind: installs the STE implementing a raw guest STE (words 0 and 1) for
   * `device`, attached to nesting domain `domain` (see `nested-ste.ts` for what is accepted). The same
   * guest table reaches exactly the STE {@link bindPasidTable} installs for the equivalent config.
   * @throws IommuError `DOMAIN_TYPE`, `DEVICE_NOT_ATTACHED`, `DEVICE_BOUND` (bound through
   * bindPasidTable), `CONFIG_*` (the guest STE); nothing changes on error.
   */
  installNestedSte(domain: VendorDomain, device: number, ste: readonly [bigint, bigint]): void {
    const d = this.vendorDomain(domain);
    if (d.type !== 'nesting') throw new IommuError('DOMAIN_TYPE', 'a guest STE is installed only over a nesting domain');
    const state = this.devices.get(device);
    if (!state || state.domain !== d) throw new IommuError('DEVICE_NOT_ATTACHED', `device ${device} is not attached to this domain`);
    if (state.mode === 'bound') throw new IommuError('DEVICE_BOUND', `device ${device} has a PASID table bound with bindPasidTable; unbind it first`);
    const intent = validateGuestSte(ste, this.driver.caps, d.table!.inputBits);
    if (intent.kind === 'nested') {
      this.installStage1(d, device, intent.s1, 'nested-ste');
      return;
    }
    this.driver.writeSte(device, intent.kind === 'abort' ? buildAbortSte() : buildStage2Ste({ vmid: d.vmid!, table: d.table! }, true));
    this.driver.submit([encodeCommand({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: d.vmid! } })]);
    this.devices.set(device, { domain: d, mode: 'nested-ste' });
  }

  /** Removes an installed guest STE: back to the domain's stage-2-only STE. */
  removeNestedSte(domain: VendorDomain, device: number): void {
    const d = this.vendorDomain(domain);
    const state = this.devices.get(device);
    if (!state || state.domain !== d || state.mode !== 'nested-ste') throw new IommuError('BIND_NONE', `device ${device} has no guest STE installed`);
    this.unbindPasidTable(d, device);
  }

  cacheInvalidate(domain: VendorDomain, device: number, info: CacheInvalidateInfo): void {
    const d = this.vendorDomain(domain);
    const sel = info.granularity === 'addr' ? info.addrInfo : info.pasidInfo;
    if (sel && sel.flags & 2 && (!Number.isInteger(sel.archid) || sel.archid < 0 || sel.archid >= 2 ** this.driver.asids.bits)) {
      throw new IommuError('INVALIDATE_ARGUMENT', `archid ${sel.archid} is not a ${this.driver.asids.bits}-bit ASID`);
    }
    const commands = genericInvalidationCommands(d, device, info, this.driver.rangeInvalidation);
    if (commands.length > 0) this.driver.submit(commands);
  }

  translate(request: DmaRequest, options: TranslateOptions = {}): DmaResult {
    const r = this.model.translate(
      { streamId: request.device, substreamId: request.pasid, address: request.address, access: request.access },
      { trace: options.trace, uncached: options.uncached },
    );
    this.dispatchEvents();
    if (r.ok) return { ok: true, output: r.output, pageShift: r.pageShift, permitted: r.permitted, cached: r.cached };
    if (r.record) return { ok: false, fault: eventToGenericFault(r.record), recorded: r.delivery !== 'suppressed' };
    const write = (request.access & Access.WRITE) !== 0;
    const record = silentAbortRecord({
      streamId: request.device,
      substreamId: request.pasid,
      address: BigInt(request.address),
      write,
      instr: !write && (request.access & Access.EXEC) !== 0,
      priv: (request.access & Access.PRIV) !== 0,
    });
    return { ok: false, fault: eventToGenericFault(record), recorded: false };
  }

  faultToRecord(fault: GenericFault): Uint32Array {
    return genericFaultToEvent(fault);
  }

  recordToFault(record: Uint32Array): GenericFault {
    return eventToGenericFault(record);
  }

  /** @internal Registers a vIOMMU for event forwarding (done by its constructor). */
  addViommu(viommu: SmmuV3Viommu): void {
    this.viommus.add(viommu);
  }

  /** @internal Forgets a vIOMMU. */
  removeViommu(viommu: SmmuV3Viommu): void {
    this.viommus.delete(viommu);
  }

  /**
   * Drains the Event queue (what the event interrupt handler does) and hands each record to the vIOMMU
   * that owns its StreamID, or keeps it in {@link hostEvents}.
   */
  dispatchEvents(): void {
    for (const record of this.driver.drainEvents()) {
      const sid = record[1]!;
      let taken = false;
      for (const v of this.viommus) if (v.offerEvent(sid, record)) taken = true;
      if (!taken) {
        this.hostEvents.push(record);
        if (this.hostEvents.length > this.hostEventLimit) this.hostEvents.shift();
      }
    }
  }

  /** The STE words the SMMU would read for `device` now (for inspection and tests). */
  steOf(device: number): Uint32Array {
    return this.driver.streamTable.readSte(device);
  }
}
