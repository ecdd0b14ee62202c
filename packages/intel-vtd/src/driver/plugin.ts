/**
 * `vtdPlugin`: the Intel VT-d {@link VendorPlugin} — model `intel-vtd`, {@link IommuModel}.INTEL_VTD, the
 * vendor-block codec, and {@link VtdIommu} instances (device model + host driver) over host memory.
 * @packageDocumentation
 */
import { IommuModel, type IommuHost, type VendorPlugin } from '@viommu/core';
import { vtdConfigCodec } from './config-codec';
import { VTD_MODEL_NAME } from './fault-conversion';
import { VtdIommu, type VtdIommuOptions } from './vtd-iommu';

/** Options of {@link vtdPlugin}: every IOMMU it makes uses them. */
export type VtdPluginOptions = VtdIommuOptions;

/** The VT-d plugin. `createIommu` returns a {@link VtdIommu}. */
export interface VtdPlugin extends VendorPlugin {
  /** Makes a VT-d IOMMU over host memory. */
  createIommu(host: IommuHost): VtdIommu;
}

/**
 * The Intel VT-d plugin. Register it explicitly (nothing registers on import):
 * `new Iommu(vtdPlugin(), { memory, allocator })`.
 */
export function vtdPlugin(options: VtdPluginOptions = {}): VtdPlugin {
  const plugin: VtdPlugin = {
    model: VTD_MODEL_NAME,
    modelId: IommuModel.INTEL_VTD,
    description: 'Intel VT-d: scalable-mode PASID tables shadowed for nested translation (legacy mode without ECAP.SMTS)',
    configCodec: vtdConfigCodec,
    createIommu: (host: IommuHost) => new VtdIommu(plugin, host, options),
  };
  return plugin;
}
