/**
 * The iommufd vIOMMU / vDEVICE objects for SMMUv3 (reference arm-smmuv3.md §10, api-lineage §3): a
 * vIOMMU belongs to a nesting domain (the guest's stage 2 and VMID) and maps the guest's virtual
 * StreamIDs to physical ones. Through it:
 * - the guest's own invalidation commands run on the host Command queue — only CMD_TLBI_NSNH_ALL,
 *   CMD_TLBI_NH_VA, CMD_TLBI_NH_VAA, CMD_TLBI_NH_ALL, CMD_TLBI_NH_ASID, CMD_ATC_INV, CMD_CFGI_CD and
 *   CMD_CFGI_CD_ALL are accepted; TLBIs get the domain's VMID (CMD_TLBI_NSNH_ALL becomes
 *   CMD_TLBI_NH_ALL of that VMID, the guest may not reach other VMs), the others get the physical
 *   StreamID; anything else, a malformed command or an unknown virtual StreamID refuses the whole batch;
 * - events of its devices reach the guest (a vEVENTQ) with the StreamID rewritten to the virtual one —
 *   only C_BAD_STE, F_STREAM_DISABLED, C_BAD_SUBSTREAMID, C_BAD_CD, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS
 *   and F_PERMISSION; the others stay with the host.
 * @packageDocumentation
 */
import { IommuError, type StructureLayout, type VendorDomain } from '@viommu/core';
import { COMMAND_LAYOUTS, decodeCommand, encodeCommand, EVENT_CODES, type CommandName } from '../structures/index';
import type { SmmuV3Domain } from './domain';
import type { SmmuV3Iommu } from './smmu-iommu';

/** Event types forwarded to a guest. */
export const GUEST_FORWARDED_EVENTS: ReadonlySet<number> = new Set([
  EVENT_CODES.C_BAD_STE,
  EVENT_CODES.F_STREAM_DISABLED,
  EVENT_CODES.C_BAD_SUBSTREAMID,
  EVENT_CODES.C_BAD_CD,
  EVENT_CODES.F_TRANSLATION,
  EVENT_CODES.F_ADDR_SIZE,
  EVENT_CODES.F_ACCESS,
  EVENT_CODES.F_PERMISSION,
]);

/** Commands a guest may pass through, and what the host rewrites in them. */
export const GUEST_COMMANDS: Readonly<Partial<Record<CommandName, 'vmid' | 'sid'>>> = {
  CMD_TLBI_NSNH_ALL: 'vmid',
  CMD_TLBI_NH_VA: 'vmid',
  CMD_TLBI_NH_VAA: 'vmid',
  CMD_TLBI_NH_ALL: 'vmid',
  CMD_TLBI_NH_ASID: 'vmid',
  CMD_ATC_INV: 'sid',
  CMD_CFGI_CD: 'sid',
  CMD_CFGI_CD_ALL: 'sid',
};

/** A guest command: four 32-bit words, or two 64-bit words. */
export type GuestCommand = ArrayLike<number> | readonly [bigint, bigint];

function commandWords(c: GuestCommand): Uint32Array {
  if (c.length === 2 && typeof c[0] === 'bigint') {
    const [a, b] = (c as readonly [bigint, bigint]).map((v) => BigInt.asUintN(64, v));
    return Uint32Array.of(Number(a! & 0xffff_ffffn), Number(a! >> 32n), Number(b! & 0xffff_ffffn), Number(b! >> 32n));
  }
  if (c.length !== 4) throw new IommuError('INVALIDATE_ARGUMENT', `a command is 4 words (or 2 64-bit words), got ${c.length}`);
  return Uint32Array.from(c as ArrayLike<number>);
}

/** Options of {@link SmmuV3Viommu}. */
export interface ViommuOptions {
  /** Entries of the vEVENTQ (default 256); events beyond it are dropped and counted. */
  eventLimit?: number;
}

/** A vIOMMU over one nesting domain. */
export class SmmuV3Viommu {
  /** Guest events dropped because the vEVENTQ was full. */
  overflows = 0;
  private readonly byVsid = new Map<number, number>();
  private readonly byPsid = new Map<number, number>();
  private readonly queue: Uint32Array[] = [];
  private readonly limit: number;

  /**
   * @param iommu the SMMUv3 instance (`iommu.vendor` of a generic `Iommu`).
   * @param domain the nesting domain (its vendor state) holding the guest's stage 2.
   * @throws IommuError `DOMAIN_TYPE` for a domain that is not nesting.
   */
  constructor(
    readonly iommu: SmmuV3Iommu,
    domain: VendorDomain,
    options: ViommuOptions = {},
  ) {
    if (domain.type !== 'nesting' || (domain as SmmuV3Domain).vmid === undefined) {
      throw new IommuError('DOMAIN_TYPE', 'a vIOMMU needs a nesting domain');
    }
    this.domain = domain as SmmuV3Domain;
    this.limit = options.eventLimit ?? 256;
    iommu.addViommu(this);
  }

  /** The nesting domain. */
  readonly domain: SmmuV3Domain;

  /** The VMID guest TLBIs are rewritten to. */
  get vmid(): number {
    return this.domain.vmid!;
  }

  /**
   * Creates a vDEVICE: the guest's StreamID `vsid` is the physical `psid`, which must be attached to the
   * vIOMMU's domain. @throws IommuError `DEVICE_NOT_ATTACHED`, `DEVICE_ATTACHED` (either id already mapped)
   */
  addDevice(vsid: number, psid: number): void {
    if (!Number.isInteger(vsid) || vsid < 0 || vsid > 0xffff_ffff) throw new IommuError('ARGUMENT', `virtual StreamID ${vsid} is not a 32-bit value`);
    if (!this.domain.devices.has(psid)) throw new IommuError('DEVICE_NOT_ATTACHED', `StreamID ${psid} is not attached to the vIOMMU's domain`);
    if (this.byVsid.has(vsid) || this.byPsid.has(psid)) throw new IommuError('DEVICE_ATTACHED', `virtual StreamID ${vsid} or StreamID ${psid} already has a vDEVICE`);
    this.byVsid.set(vsid, psid);
    this.byPsid.set(psid, vsid);
  }

  /** Removes the vDEVICE of `vsid`. */
  removeDevice(vsid: number): void {
    const psid = this.byVsid.get(vsid);
    if (psid === undefined) return;
    this.byVsid.delete(vsid);
    this.byPsid.delete(psid);
  }

  /** The physical StreamID of a virtual one. */
  physicalSid(vsid: number): number | undefined {
    return this.byVsid.get(vsid);
  }

  /** The virtual StreamID of a physical one. */
  virtualSid(psid: number): number | undefined {
    return this.byPsid.get(psid);
  }

  /**
   * Checks and rewrites a batch of guest commands without running them (see the module doc).
   * @throws IommuError `INVALIDATE_ARGUMENT` naming the first refused command.
   */
  rewriteGuestCommands(commands: readonly GuestCommand[]): Uint32Array[] {
    const caps = this.iommu.driver.caps;
    return commands.map((c, i) => {
      const words = commandWords(c);
      const decoded = decodeCommand(words, caps);
      if (decoded.illegal) throw new IommuError('INVALIDATE_ARGUMENT', `guest command ${i}: ${decoded.message}`, { index: i });
      const rewrite = GUEST_COMMANDS[decoded.name];
      if (rewrite === undefined) throw new IommuError('INVALIDATE_ARGUMENT', `guest command ${i}: ${decoded.name} is not allowed from a guest`, { index: i, name: decoded.name });
      if (decoded.name === 'CMD_TLBI_NSNH_ALL') return encodeCommand({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: this.vmid } });
      const layout = COMMAND_LAYOUTS[decoded.name] as StructureLayout<string>;
      const out = Uint32Array.from(words);
      if (rewrite === 'vmid') {
        layout.set(out, 'VMID', this.vmid);
      } else {
        const vsid = layout.get(out, 'StreamID');
        const psid = this.byVsid.get(vsid);
        if (psid === undefined) throw new IommuError('INVALIDATE_ARGUMENT', `guest command ${i}: virtual StreamID ${vsid} has no vDEVICE`, { index: i, vsid });
        layout.set(out, 'StreamID', psid);
      }
      return out;
    });
  }

  /**
   * Runs a batch of guest invalidation commands on the host Command queue (rewritten, then CMD_SYNC).
   * Nothing runs unless every command is accepted.
   * @throws IommuError `INVALIDATE_ARGUMENT`
   */
  invalidateGuestCommands(commands: readonly GuestCommand[]): void {
    const rewritten = this.rewriteGuestCommands(commands);
    if (rewritten.length > 0) this.iommu.driver.submit(rewritten);
  }

  /** @internal Takes an event of a physical StreamID if it belongs to this vIOMMU and may be forwarded. */
  offerEvent(psid: number, record: Uint32Array): boolean {
    const vsid = this.byPsid.get(psid);
    if (vsid === undefined || !GUEST_FORWARDED_EVENTS.has(record[0]! & 0xff)) return false;
    if (this.queue.length >= this.limit) {
      this.overflows++;
      return true;
    }
    const out = Uint32Array.from(record);
    out[1] = vsid >>> 0; // StreamID is bits [63:32] of every event record [SPEC 7.3].
    this.queue.push(out);
    return true;
  }

  /** Reads and removes the guest's pending event records (StreamID already virtual), oldest first. */
  readEvents(): Uint32Array[] {
    this.iommu.dispatchEvents();
    return this.queue.splice(0, this.queue.length);
  }

  /** Detaches the vIOMMU from event forwarding. */
  destroy(): void {
    this.iommu.removeViommu(this);
  }
}
