/**
 * `viommu decode ste` / `cd`: the Stream Table Entry [SPEC 5.2] and Context Descriptor [SPEC 5.4], with fields
 * from `@viommu/arm-smmuv3`'s layouts and the verdict from its ILLEGAL-rule checks (`checkSte`, `checkCd`)
 * against the default capabilities. An STE with Config 0b0xx is legal: it aborts transactions silently.
 * @packageDocumentation
 */
import { CD, STE, checkCd, checkSte, type SteConfig } from '@viommu/arm-smmuv3';
import { type Decodable, decodeWithLayout } from '../decodable';
import { SMMU_CAPS, res0Problems } from './smmuv3-verdict';

/** Stream Table Entry (64 bytes). */
export const STE_DECODABLE: Decodable = {
  name: 'ste',
  vendor: 'smmuv3',
  summary: 'Stream Table Entry (64 bytes, SPEC 5.2); Config 0b0xx is valid and aborts',
  words64: 8,
  decode: (words) =>
    decodeWithLayout(STE, words, (_values, reserved) => {
      const check = checkSte(words, SMMU_CAPS);
      return [...(check.illegal ? [`C_BAD_STE: ${check.message}`] : []), ...res0Problems(reserved, 'C_BAD_STE')];
    }),
};

/**
 * The STE a standalone CD is checked against: a legal stage-1-only STE (Config 0b101, NS-EL1, S1STALLD = 0,
 * no stage 2), as Linux writes for a DMA or SVA domain.
 */
const CD_CONTEXT: SteConfig = (() => {
  const check = checkSte(STE.encode({ V: 1, Config: 5 }), SMMU_CAPS);
  if (check.illegal) throw new Error(`the reference stage-1 STE is ILLEGAL: ${check.message}`);
  return check;
})();

/** Context Descriptor (64 bytes). */
export const CD_DECODABLE: Decodable = {
  name: 'cd',
  vendor: 'smmuv3',
  summary: 'Context Descriptor (64 bytes, SPEC 5.4), checked under a stage-1-only NS-EL1 STE',
  words64: 8,
  decode: (words) =>
    decodeWithLayout(CD, words, (_values, reserved) => {
      const check = checkCd(words, CD_CONTEXT, SMMU_CAPS);
      return [...(check.illegal ? [`C_BAD_CD: ${check.message}`] : []), ...res0Problems(reserved, 'C_BAD_CD')];
    }),
};
