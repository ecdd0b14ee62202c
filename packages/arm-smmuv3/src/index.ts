/**
 * @viommu/arm-smmuv3 — the ARM SMMUv3 plugin for viommu (Arm IHI0070 G.b): formats, device model, driver
 * side and the `bindPasidTable` plugin with `pasid0DmaNoPasid` (S1DSS = Substream0).
 * @packageDocumentation
 */
export * from './structures/index';
export * from './vmsa/index';
export * from './model/index';
export * from './driver/index';
