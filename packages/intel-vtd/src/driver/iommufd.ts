/**
 * The iommufd form of VT-d nesting (Linux `iommu_hwpt_vtd_s1` and `iommu_hwpt_vtd_s1_invalidate`, see
 * api-lineage §3): a nested domain is allocated on a nesting parent (the second level) with the guest's
 * first-level description for one PASID, and invalidated with VT-d-native ranges. These functions check the
 * user data and turn it into the first-level half of a nested PASID entry, the same half
 * {@link guestFirstLevel} takes from a guest PASID entry, so both paths program identical host entries.
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';
import type { VtdCapabilities } from '../structures/index';
import type { FirstLevelPasidFields } from './pasid-entries';

/** `iommu_hwpt_vtd_s1_flags`. */
export const IommuVtdS1Flags = {
  /** `IOMMU_VTD_S1_SRE`: supervisor requests (needs ECAP.SRS). */
  SRE: 1,
  /** `IOMMU_VTD_S1_EAFE`: extended accessed flag (needs ECAP.EAFS). */
  EAFE: 2,
  /** `IOMMU_VTD_S1_WPE`: write protect; applies only with SRE (ignored without it, as Linux does). */
  WPE: 4,
} as const;

/** `struct iommu_hwpt_vtd_s1`: the guest's first level for a nested domain. */
export interface IommuHwptVtdS1 {
  /** {@link IommuVtdS1Flags} bits. */
  flags: number | bigint;
  /** First-level root: a GPA, 4 KiB aligned. */
  pgtblAddr: number | bigint;
  /** Input address width: 48 (4-level) or 57 (5-level, needs CAP.FL5LP). */
  addrWidth: number;
}

/** `iommu_hwpt_vtd_s1_invalidate_flags`. */
export const IommuVtdInvalidateFlags = {
  /** `IOMMU_VTD_INV_FLAGS_LEAF`: only leaf entries changed (sets IH). */
  LEAF: 1,
} as const;

/** `struct iommu_hwpt_vtd_s1_invalidate`. */
export interface IommuHwptVtdS1Invalidate {
  /** First address, 4 KiB aligned; 0 with `npages` = 2^64 − 1 means everything. */
  addr: number | bigint;
  /** Number of 4 KiB pages. */
  npages: number | bigint;
  /** {@link IommuVtdInvalidateFlags} bits. */
  flags: number;
}

/** What a checked invalidation asks for. */
export type VtdS1InvalidateScope = VtdS1InvalidateAll | VtdS1InvalidateRange;

/** Every first-level translation of the nested domain. */
export interface VtdS1InvalidateAll {
  /** Discriminant. */
  readonly all: true;
}

/** A range of the nested domain's first level. */
export interface VtdS1InvalidateRange {
  /** Discriminant. */
  readonly all: false;
  /** First byte (4 KiB aligned). */
  readonly address: number;
  /** Bytes (a multiple of 4 KiB; 0 asks for nothing). */
  readonly size: number;
  /** Only leaf entries changed (IH). */
  readonly leaf: boolean;
}

const U64_MAX = (1n << 64n) - 1n;

function u64(value: number | bigint, what: string): bigint {
  const v = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
  if (v < 0n || v > U64_MAX) throw new IommuError('CONFIG_VENDOR', `${what} ${String(value)} is not a u64`);
  return v;
}

/**
 * Checks `iommu_hwpt_vtd_s1` against the hardware and returns the first-level half of the nested entry:
 * unknown flags → `CONFIG_VENDOR`; SRE without ECAP.SRS, EAFE without ECAP.EAFS, a 57-bit width without
 * CAP.FL5LP → `CONFIG_UNSUPPORTED`; a width other than 48 or 57 → `CONFIG_VENDOR`; `pgtblAddr` not 4 KiB
 * aligned → `CONFIG_ALIGNMENT`, at or beyond 2^`guestAddressBits` → `CONFIG_ADDRESS`. WPE is kept only
 * with SRE.
 * @throws IommuError as listed.
 */
export function checkHwptVtdS1(data: IommuHwptVtdS1, caps: VtdCapabilities, guestAddressBits: number): FirstLevelPasidFields {
  const flags = u64(data.flags, 'flags');
  const known = BigInt(IommuVtdS1Flags.SRE | IommuVtdS1Flags.EAFE | IommuVtdS1Flags.WPE);
  if ((flags & ~known) !== 0n) throw new IommuError('CONFIG_VENDOR', `unknown iommu_hwpt_vtd_s1 flags 0x${flags.toString(16)}`);
  const sre = (flags & BigInt(IommuVtdS1Flags.SRE)) !== 0n;
  const eafe = (flags & BigInt(IommuVtdS1Flags.EAFE)) !== 0n;
  const wpe = (flags & BigInt(IommuVtdS1Flags.WPE)) !== 0n;
  if (sre && !caps.srs) throw new IommuError('CONFIG_UNSUPPORTED', 'SRE needs ECAP.SRS');
  if (eafe && !caps.eafs) throw new IommuError('CONFIG_UNSUPPORTED', 'EAFE needs ECAP.EAFS');
  if (data.addrWidth !== 48 && data.addrWidth !== 57) throw new IommuError('CONFIG_VENDOR', `addr_width ${data.addrWidth} is not 48 or 57`);
  if (data.addrWidth === 57 && !caps.fl5lp) throw new IommuError('CONFIG_UNSUPPORTED', '57-bit first-level paging needs CAP.FL5LP');
  const pgtbl = u64(data.pgtblAddr, 'pgtbl_addr');
  if ((pgtbl & 0xfffn) !== 0n) throw new IommuError('CONFIG_ALIGNMENT', `pgtbl_addr 0x${pgtbl.toString(16)} is not 4 KiB aligned`);
  if (pgtbl >= 1n << BigInt(guestAddressBits)) {
    throw new IommuError('CONFIG_ADDRESS', `pgtbl_addr 0x${pgtbl.toString(16)} is beyond the ${guestAddressBits}-bit guest address space`);
  }
  return { flptptr: Number(pgtbl), flpm: data.addrWidth === 57 ? 1 : 0, sre, wpe: sre && wpe, eafe };
}

/**
 * Checks `iommu_hwpt_vtd_s1_invalidate`: flags other than LEAF or an address not 4 KiB aligned are rejected
 * (`INVALIDATE_ARGUMENT`), as is `npages` = 2^64 − 1 with a non-zero address; address 0 with that `npages`
 * means everything. A range beyond 2^53 bytes is widened to everything.
 * @throws IommuError `INVALIDATE_ARGUMENT`
 */
export function checkHwptVtdS1Invalidate(inv: IommuHwptVtdS1Invalidate): VtdS1InvalidateScope {
  const bad = (why: string): never => {
    throw new IommuError('INVALIDATE_ARGUMENT', why);
  };
  if (!Number.isInteger(inv.flags) || (inv.flags & ~IommuVtdInvalidateFlags.LEAF) !== 0) bad(`unknown invalidation flags ${inv.flags}`);
  const addr = (() => {
    try {
      return u64(inv.addr, 'addr');
    } catch {
      return bad(`addr ${String(inv.addr)} is not a u64`);
    }
  })();
  const npages = (() => {
    try {
      return u64(inv.npages, 'npages');
    } catch {
      return bad(`npages ${String(inv.npages)} is not a u64`);
    }
  })();
  if ((addr & 0xfffn) !== 0n) bad(`addr 0x${addr.toString(16)} is not 4 KiB aligned`);
  if (npages === U64_MAX) {
    if (addr !== 0n) bad('npages 2^64-1 (everything) needs addr 0');
    return { all: true };
  }
  const end = addr + npages * 4096n;
  if (end > BigInt(Number.MAX_SAFE_INTEGER)) return { all: true };
  return { all: false, address: Number(addr), size: Number(npages) * 4096, leaf: (inv.flags & IommuVtdInvalidateFlags.LEAF) !== 0 };
}
