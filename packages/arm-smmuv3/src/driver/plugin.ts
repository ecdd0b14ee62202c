/**
 * The SMMUv3 {@link VendorPlugin}: register it with the generic API (`new Iommu(smmuv3Plugin(), host)`)
 * and every IOMMU it makes is an SMMUv3 device model driven by this package's host driver. Also the
 * free-function forms of the iommufd extensions over core's generic {@link Domain}.
 * @packageDocumentation
 */
import { IommuError, IommuModel, type Domain, type Iommu, type IommuHost, type VendorPlugin } from '@viommu/core';
import { SmmuV3Iommu, type SmmuV3IommuOptions } from './smmu-iommu';
import { smmuV3ConfigCodec } from './vendor-config';
import { SmmuV3Viommu, type ViommuOptions } from './viommu';

/** The model name of SMMUv3 plugins and fault records. */
export const SMMUV3_PLUGIN_MODEL = 'arm-smmuv3';

/** Options of {@link smmuv3Plugin}: applied to every IOMMU it creates. */
export type SmmuV3PluginOptions = SmmuV3IommuOptions;

/** An SMMUv3 plugin (its IOMMUs are {@link SmmuV3Iommu}s). */
export interface SmmuV3Plugin extends VendorPlugin {
  /** Makes an SMMUv3 instance over host memory. */
  createIommu(host: IommuHost): SmmuV3Iommu;
}

/**
 * The ARM SMMUv3 plugin: model `arm-smmuv3`, `IommuModel.ARM_SMMUV3`, with the 8-byte vendor-union codec
 * ({@link smmuV3ConfigCodec}).
 */
export function smmuv3Plugin(options: SmmuV3PluginOptions = {}): SmmuV3Plugin {
  const plugin: SmmuV3Plugin = {
    model: SMMUV3_PLUGIN_MODEL,
    modelId: IommuModel.ARM_SMMUV3,
    description: 'ARM SMMUv3 (IHI0070 G.b): 2-level Stream table, STE/CD, nested stage 1 over stage 2, S1DSS (pasid0_dma_no_pasid)',
    configCodec: smmuV3ConfigCodec,
    createIommu: (host: IommuHost) => new SmmuV3Iommu(plugin, host, options),
  };
  return plugin;
}

/** The SMMUv3 instance behind a generic {@link Iommu}. @throws IommuError `PLUGIN` for another vendor's IOMMU */
export function smmuv3Of(iommu: Iommu): SmmuV3Iommu {
  if (!(iommu.vendor instanceof SmmuV3Iommu)) throw new IommuError('PLUGIN', `IOMMU model ${iommu.model} is not an SMMUv3`);
  return iommu.vendor;
}

/**
 * iommufd-style nested bind on a generic domain: installs the host STE for a raw guest STE (words 0 and 1).
 * Refused while the device has a PASID table bound through `bindPasidTable`.
 * @throws IommuError `DEVICE_BOUND`, `DEVICE_NOT_ATTACHED`, `DOMAIN_TYPE`, `CONFIG_*`
 */
export function installNestedSte(domain: Domain, device: number, ste: readonly [bigint, bigint]): void {
  const iommu = smmuv3Of(domain.iommu);
  if (domain.iommu.boundConfig(device)) throw new IommuError('DEVICE_BOUND', `device ${device} has a PASID table bound; unbind it first`);
  if (!domain.devices.has(device)) throw new IommuError('DEVICE_NOT_ATTACHED', `device ${device} is not attached to domain ${domain.id}`);
  iommu.installNestedSte(domain.vendor, device, ste);
}

/** Removes a guest STE installed with {@link installNestedSte}: back to stage 2 only. */
export function removeNestedSte(domain: Domain, device: number): void {
  smmuv3Of(domain.iommu).removeNestedSte(domain.vendor, device);
}

/** Creates a vIOMMU over a generic nesting domain. @throws IommuError `DOMAIN_TYPE`, `PLUGIN` */
export function createViommu(domain: Domain, options?: ViommuOptions): SmmuV3Viommu {
  return new SmmuV3Viommu(smmuv3Of(domain.iommu), domain.vendor, options);
}
