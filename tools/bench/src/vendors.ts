/** The two vendors' device models behind {@link ModelUnderTest}. */
import { Access } from '@viommu/core';
import type { SmmuTransaction } from '@viommu/arm-smmuv3';
import type { VtdRequest } from '@viommu/intel-vtd';
import { lookupOrder, mappedPages, PAGE_OFFSET } from './bench-pages';
import type { ModelFactory } from './model-benches';
import { SMMU_SID, smmuSetup } from './smmu-setup';
import { VTD_PASID, VTD_SID, vtdSetup } from './vtd-setup';

/** VT-d, scalable mode, requests with PASID: nested is PGTT = 011b, single stage PGTT = 001b (first level). */
export const vtdModel: ModelFactory<VtdRequest> = (nested, iotlb) => {
  const { model, memory, context } = vtdSetup(mappedPages, nested, { iotlb });
  return {
    memory,
    context,
    requests: lookupOrder.map((va) => ({ sourceId: VTD_SID, pasid: VTD_PASID, address: va + PAGE_OFFSET, access: Access.READ })),
    translate: (req, trace) => model.translate(req, trace ? { trace } : {}),
  };
};

/** SMMUv3: nested is STE.Config = 0b111, single stage 0b101; no SubstreamID (one CD). */
export const smmuModel: ModelFactory<SmmuTransaction> = (nested, iotlb) => {
  const { model, memory, context } = smmuSetup(mappedPages, nested, iotlb);
  return {
    memory,
    context,
    requests: lookupOrder.map((va) => ({ streamId: SMMU_SID, address: va + PAGE_OFFSET, access: Access.READ })),
    translate: (req, trace) => model.translate(req, trace ? { trace } : {}),
  };
};
