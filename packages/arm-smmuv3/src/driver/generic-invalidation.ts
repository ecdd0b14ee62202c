/**
 * The native commands for a checked generic invalidation (`iommu_cache_invalidate_info`) on an SMMUv3
 * domain and device (Arm IHI0070 §4.3–§4.5; reference api-lineage §2):
 *
 * | cache | granularity | nesting domain (guest stage 1, tagged by the domain's VMID) |
 * |---|---|---|
 * | IOTLB | domain | CMD_TLBI_NH_ALL |
 * | IOTLB | pasid | ARCHID given: CMD_TLBI_NH_ASID (ASID = archid); else CMD_TLBI_NH_ALL (the PASID's ASID lives in the guest CD) |
 * | IOTLB | addr | ARCHID given: CMD_TLBI_NH_VA (ASID = archid); else CMD_TLBI_NH_VAA; LEAF → Leaf = 1 |
 * | PASID | domain | CMD_CFGI_CD_ALL (the device's StreamID) |
 * | PASID | pasid | PASID given: CMD_CFGI_CD (SubstreamID, Leaf = 0: the L1CD too); else CMD_CFGI_CD_ALL |
 * | DEV_IOTLB | pasid / addr | CMD_ATC_INV (SSV and SubstreamID when PASID is given; the smallest aligned power-of-two span covering the range, or everything); nothing without SMMU_IDR0.ATS (no device can hold an ATC entry) |
 *
 * A stage-2 paging domain maps IOTLB invalidations to CMD_TLBI_S2_IPA (addr) or CMD_TLBI_S12_VMALL; a
 * stage-1 paging domain to CMD_TLBI_NH_VA / NH_ASID with its own ASID. Every batch ends with CMD_SYNC.
 * @packageDocumentation
 */
import { CacheType, InvalidateFlags, type CacheInvalidateInfo } from '@viommu/core';
import { encodeCommand } from '../structures/index';
import { HOST_STAGE1_VMID, type SmmuV3Domain } from './domain';
import { addressTlbiCommands, MAX_TLBI_OPS, type AddressTlbi } from './tlb-invalidation';

/** ATC_INV Size that covers the whole address space [SPEC 4.5.1]. */
const ATC_INV_ALL = 52;

/** The smallest Size (log2 of 4 KB units) of an aligned span holding `[addr, addr + size)`. */
export function atcInvSize(addr: number, size: number): number {
  for (let s = 0; s < ATC_INV_ALL; s++) {
    const span = 2 ** (12 + s);
    if (Math.floor(addr / span) === Math.floor((addr + size - 1) / span)) return s;
  }
  return ATC_INV_ALL;
}

/** The commands (without CMD_SYNC) for a checked generic invalidation. */
export function genericInvalidationCommands(domain: SmmuV3Domain, sid: number, info: CacheInvalidateInfo, ril: boolean): Uint32Array[] {
  const ats = domain.driver.caps.ats;
  const out: Uint32Array[] = [];
  if (info.cache & CacheType.IOTLB) out.push(...tlbCommands(domain, info, ril));
  if (info.cache & CacheType.PASID) {
    const p = info.pasidInfo;
    if (info.granularity === 'pasid' && p && p.flags & InvalidateFlags.PASID) {
      out.push(encodeCommand({ name: 'CMD_CFGI_CD', fields: { StreamID: sid, SubstreamID: p.pasid, Leaf: 0 } }));
    } else {
      out.push(encodeCommand({ name: 'CMD_CFGI_CD_ALL', fields: { StreamID: sid } }));
    }
  }
  if (info.cache & CacheType.DEV_IOTLB && ats) {
    const sel = info.granularity === 'addr' ? info.addrInfo : info.pasidInfo;
    const withPasid = !!sel && (sel.flags & InvalidateFlags.PASID) !== 0;
    let size = ATC_INV_ALL;
    let address = 0n;
    if (info.granularity === 'addr' && info.addrInfo) {
      const a = info.addrInfo;
      size = atcInvSize(a.addr, a.granuleSize * a.nbGranules);
      address = size >= ATC_INV_ALL ? 0n : BigInt(Math.floor(a.addr / 2 ** (12 + size)) * 2 ** (12 + size));
    }
    out.push(encodeCommand({ name: 'CMD_ATC_INV', fields: { StreamID: sid, SSV: withPasid ? 1 : 0, SubstreamID: withPasid ? sel!.pasid : 0, Size: size, Address: address } }));
  }
  return out;
}

function tlbCommands(domain: SmmuV3Domain, info: CacheInvalidateInfo, ril: boolean): Uint32Array[] {
  const stage = domain.stage;
  if (stage === 0) return [];
  if (stage === 2 && domain.type === 'paging') {
    const vmid = domain.vmid!;
    const all = [encodeCommand({ name: 'CMD_TLBI_S12_VMALL', fields: { VMID: vmid } })];
    if (info.granularity !== 'addr' || !info.addrInfo) return all;
    const a = info.addrInfo;
    const run = { start: a.addr, size: a.granuleSize * a.nbGranules, leafShift: Math.log2(a.granuleSize) };
    return addressTlbiCommands({ name: 'CMD_TLBI_S2_IPA', vmid }, [run], ril, (a.flags & InvalidateFlags.LEAF) !== 0) ?? all;
  }
  const vmid = stage === 1 ? HOST_STAGE1_VMID : domain.vmid!;
  const ownAsid = stage === 1 ? domain.asid : undefined;
  const nhAll = () => (ownAsid !== undefined ? encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: vmid, ASID: ownAsid } }) : encodeCommand({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: vmid } }));
  if (info.granularity === 'domain') return [nhAll()];
  if (info.granularity === 'pasid') {
    const p = info.pasidInfo!;
    const asid = p.flags & InvalidateFlags.ARCHID ? p.archid : ownAsid;
    return [asid !== undefined ? encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: vmid, ASID: asid } }) : nhAll()];
  }
  const a = info.addrInfo!;
  const asid = a.flags & InvalidateFlags.ARCHID ? a.archid : ownAsid;
  const t: AddressTlbi = asid !== undefined ? { name: 'CMD_TLBI_NH_VA', vmid, asid } : { name: 'CMD_TLBI_NH_VAA', vmid };
  const size = a.granuleSize * a.nbGranules;
  const leaf = (a.flags & InvalidateFlags.LEAF) !== 0;
  // No TTL hint: the generic request does not say at which level the guest's leaves sit.
  const run = { start: a.addr, size, leafShift: Math.log2(a.granuleSize), level: undefined };
  const commands = size / a.granuleSize > MAX_TLBI_OPS && !ril ? undefined : addressTlbiCommands(t, [run], ril, leaf);
  return commands ?? [asid !== undefined ? encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: vmid, ASID: asid } }) : nhAll()];
}
