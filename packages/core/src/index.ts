/**
 * @viommu/core — the vendor-neutral half of viommu: u64 helpers, physical memory and dump loaders, the
 * generic radix page-table walker and builder, the nested (stage 1 over stage 2) pipeline, caches, and the
 * generic `bind_pasid_table` API with its {@link VendorPlugin} contract. Core ships no vendor's formats.
 * @packageDocumentation
 */
export * from './u64';
export * from './bits';
export * from './structure';
export * from './errors';
export * from './memory/physical-memory';
export * from './memory/sparse-memory';
export * from './memory/tracing-memory';
export * from './memory/translated-memory';
export * from './memory/allocator';
export * from './pagetable/format';
export * from './pagetable/walker';
export * from './pagetable/builder';
export * from './translate/nested';
export * from './cache/iotlb';
export * from './cache/config-cache';
export * from './api/pasid-table-config';
export * from './api/invalidate';
export * from './api/faults';
export * from './api/iommu';
export * from './plugin';
export * from './memory/elf-core';
export * from './memory/raw-image';
