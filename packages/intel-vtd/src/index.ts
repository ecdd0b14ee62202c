/**
 * @viommu/intel-vtd — the Intel VT-d plugin for viommu: legacy and scalable mode formats, device model,
 * driver side and the `bindPasidTable` plugin (guest PASID table shadowed into host PASID entries).
 * @packageDocumentation
 */
export * from './structures/index';
export * from './paging/index';
export * from './model/index';
export * from './driver/index';
