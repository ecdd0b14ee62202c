/**
 * `viommu decode l1std` / `l1cd`: the level-1 descriptors of 2-level Stream tables [SPEC 5.1] and CD tables
 * [SPEC 5.3]. Fields come from `@viommu/arm-smmuv3`'s layouts, the verdict from its table-walk steps
 * (`steAddressFromL1Std`, `cdAddressFromL1Cd`), run for index 0 of a table whose own geometry cannot fault:
 * a Stream table with SPLIT = 10 (so every Span 1..11 fits) and a CD table of 64KB leaf tables (Linux's).
 * @packageDocumentation
 */
import {
  L1CD,
  L1STD,
  STRTAB_BASE_CFG,
  cdAddressFromL1Cd,
  decodeStreamTableConfig,
  steAddressFromL1Std,
  type CdTableRef,
} from '@viommu/arm-smmuv3';
import { type Decodable, decodeWithLayout } from '../decodable';
import { SMMU_CAPS, res0Problems } from './smmuv3-verdict';

const STREAM_TABLE = decodeStreamTableConfig(0n, STRTAB_BASE_CFG.encode({ LOG2SIZE: SMMU_CAPS.sidSize, SPLIT: 10, FMT: 1 })[0]!, SMMU_CAPS);

const CD_TABLE: CdTableRef = { contextPtr: 0, contextPtrIsIpa: false, cdMax: SMMU_CAPS.ssidSize, cdTableFormat: '2-level-64k' };

const halves = (words: Uint32Array) => ({ hi: words[1] ?? 0, lo: words[0] ?? 0 });

/** Level-1 Stream Table Descriptor (8 bytes). */
export const L1STD_DECODABLE: Decodable = {
  name: 'l1std',
  vendor: 'smmuv3',
  summary: 'Level-1 Stream Table Descriptor (8 bytes, SPEC 5.1)',
  words64: 1,
  decode: (words) =>
    decodeWithLayout(L1STD, words, (_values, reserved) => {
      const location = steAddressFromL1Std(STREAM_TABLE, 0, halves(words), 0);
      const problems: string[] = [];
      if (!location.ok) {
        problems.push(
          location.fault === 'C_BAD_STREAMID'
            ? `C_BAD_STREAMID (${location.reason})`
            : `F_STE_FETCH: L2Ptr 0x${location.fetchAddress.toString(16)} beyond the ${SMMU_CAPS.oasBits}-bit OAS`,
        );
      }
      return [...problems, ...res0Problems(reserved, 'C_BAD_STREAMID')];
    }),
};

/** Level-1 Context Descriptor (8 bytes). */
export const L1CD_DECODABLE: Decodable = {
  name: 'l1cd',
  vendor: 'smmuv3',
  summary: 'Level-1 Context Descriptor (8 bytes, SPEC 5.3)',
  words64: 1,
  decode: (words) =>
    decodeWithLayout(L1CD, words, (_values, reserved) => {
      const location = cdAddressFromL1Cd(CD_TABLE, 0, halves(words), 0, SMMU_CAPS);
      const problems = location.ok ? [] : [location.fault === 'C_BAD_SUBSTREAMID' ? `C_BAD_SUBSTREAMID (${location.reason})` : location.fault];
      return [...problems, ...res0Problems(reserved, 'C_BAD_SUBSTREAMID')];
    }),
};
