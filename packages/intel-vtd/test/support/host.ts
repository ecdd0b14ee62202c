/**
 * A bare host for driver and plugin tests: sparse memory with a table pool and a data region, and an
 * `Iommu` over the VT-d plugin.
 */
import { Iommu, PoolAllocator, SparseMemory } from '@viommu/core';
import { DEFAULT_VTD_CAP, DEFAULT_VTD_ECAP } from '../../src/structures/index';
import { vtdPlugin, type VtdIommu, type VtdPluginOptions } from '../../src/driver/index';

/** Host table pool. */
export const POOL = { base: 0x100_0000, size: 0x200_0000 };
/** Host data region (DMA targets). */
export const DATA = { base: 0x1000_0000, size: 0x1000_0000 };

/** A host with one VT-d IOMMU. */
export interface TestHost {
  readonly memory: SparseMemory;
  readonly allocator: PoolAllocator;
  readonly iommu: Iommu;
  readonly vtd: VtdIommu;
}

/** Builds a host; `options` go to `vtdPlugin`. */
export function makeHost(options: VtdPluginOptions = {}): TestHost {
  const memory = new SparseMemory().back(POOL.base, POOL.size).back(DATA.base, 0x80_0000);
  const allocator = new PoolAllocator(memory, POOL.base, POOL.size);
  const iommu = new Iommu(vtdPlugin(options), { memory, allocator });
  return { memory, allocator, iommu, vtd: iommu.vendor as VtdIommu };
}

/** ECAP bit positions used to take features away from the default hardware. */
export const EcapBit = { SRS: 31n, EAFS: 34n, ERS: 30n, NEST: 26n, PT: 6n, SMTS: 43n, RPS: 49n, SC: 7n } as const;
/** CAP bit positions. */
export const CapBit = { FL5LP: 60n, FL1GP: 56n, CM: 7n, PSI: 39n } as const;

/** DEFAULT_VTD_ECAP without the given bits. */
export function ecapWithout(...bits: bigint[]): bigint {
  return bits.reduce((v, b) => v & ~(1n << b), DEFAULT_VTD_ECAP);
}

/** DEFAULT_VTD_CAP without the given bits. */
export function capWithout(...bits: bigint[]): bigint {
  return bits.reduce((v, b) => v & ~(1n << b), DEFAULT_VTD_CAP);
}

/** DEFAULT_VTD_CAP with the given bits. */
export function capWith(...bits: bigint[]): bigint {
  return bits.reduce((v, b) => v | (1n << b), DEFAULT_VTD_CAP);
}

/** The 64-bit words of a structure, for readable known-answer checks. */
export function qwords(words: ArrayLike<number>): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < words.length; i += 2) out.push((BigInt(words[i + 1]! >>> 0) << 32n) | BigInt(words[i]! >>> 0));
  return out;
}
