/**
 * VMSAv8-64 translation tables for SMMUv3: granules, walk geometry (stage-1 start level from TxSZ,
 * stage-2 start level from SL0 with concatenated roots, the SL0/T0SZ consistency rule), and the stage-1
 * and stage-2 formats as core `PageTableFormat` instances ([ARMARM] D8; reference §4–§5).
 * @packageDocumentation
 */
export { VMSA_GRANULE_BITS, isVmsaGranuleBits, vmsaGranuleName, vmsaStride, type VmsaGranuleBits } from './granule';
export {
  STAGE2_MAX_CONCATENATED,
  VMSA_FINAL_LEVEL,
  VMSA_TSZ_MAX,
  stage1WalkGeometry,
  stage1StartLevel,
  stage1TszMin,
  stage2WalkGeometry,
  stage2GeometryValid,
  stage2StartLevelForSl0,
  stage2TszMin,
  vmsaLevelShift,
  type VmsaGeometry,
} from './geometry';
export { S1Attr, S2Attr, decodeStage1Attrs, decodeStage2Attrs, type Stage1Attributes, type Stage2Attributes } from './attrs';
export {
  S1Key,
  S2Key,
  buildStage1PermissionTable,
  buildStage2PermissionTable,
  stage1PermissionKey,
  type Stage1PermissionModel,
} from './permissions';
export { VmsaFormatBase, resolveVmsaOutput, vmsaBlockSupported, type VmsaOutput } from './format-base';
export { Stage1Format, createStage1Format, type Stage1Options } from './stage1-format';
export { Stage2Format, createStage2Format, type Stage2Options } from './stage2-format';
