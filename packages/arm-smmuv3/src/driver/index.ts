/**
 * The SMMUv3 driver side: what an OS driver does with the SMMU (host and guest) and the
 * `bindPasidTable` plugin built on it.
 * @packageDocumentation
 */
export * from './id-allocator';
export * from './register-port';
export * from './recording-allocator';
export * from './entry-writer';
export * from './used-bits';
export * from './io-pgtable';
export * from './queue-driver';
export * from './command-queue';
export * from './event-queue';
export * from './stream-table';
export * from './cd-table';
export * from './cd-builder';
export * from './ste-builder';
export * from './tlb-invalidation';
export * from './host-driver';
export * from './domain';
export * from './faults';
export * from './vendor-config';
export * from './bind-checks';
export * from './nested-ste';
export * from './generic-invalidation';
export * from './smmu-iommu';
export * from './viommu';
export * from './plugin';
export * from './guest-driver';
