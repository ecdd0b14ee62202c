/**
 * The SMMUv3 device model (Arm IHI0070 G.b): the architected register interface, Stream table and CD
 * lookup with configuration caches, stage-1 / stage-2 / nested translation through an IOTLB, the Command
 * queue and the Event queue. Start with {@link SmmuV3Model}.
 * @packageDocumentation
 */
export {
  SMMU_PAGE1,
  SmmuReg,
  Cr0,
  Cr2,
  Gbpa,
  Gerror,
  CmdqError,
  CMDQ_CONS_ERR_SHIFT,
  QUEUE_INDEX_MASK,
  QUEUE_OVERFLOW_FLAG,
  StrtabBaseCfg,
  IRQ_CTRL_FIELDS,
} from './register-map';
export { is64BitRegister } from './registers';
export {
  queueGeometry,
  indexAndWrap,
  queueIndex,
  queueWrap,
  queueEmpty,
  queueFull,
  queueIncrement,
  queueEntryAddress,
  type QueueGeometry,
} from './queue-index';
export { EVENT_RECORD_BYTES, type EventDelivery } from './event-queue';
export { COMMAND_BYTES } from './command-queue';
export type { CommandLogEntry } from './command-exec';
export { SmmuCaches, l1cdKey, type SmmuTlbEntry } from './caches';
export { TlbDomain, vaKey, commandVaKey } from './tlb-tags';
export type { CachedSte, CachedCd, CachedL1Std, CachedL1Cd, Stage1Half } from './config-types';
export { PtwSwitch } from './s2ptw';
export { EventClass, type EventSpec } from './event-spec';
export { encodeEventSpec, decodeEventRecord, type SmmuEvent } from './event-record';
export type { SilentAbortReason } from './outcome';
export type { SmmuTransaction, SmmuTranslateOptions } from './transaction';
export {
  SmmuV3Model,
  DEFAULT_MODEL_IDR0,
  DEFAULT_MODEL_IDR3,
  MODEL_AIDR,
  type SmmuV3ModelOptions,
  type SmmuTranslateSuccess,
  type SmmuTranslateFault,
  type SmmuTranslateResult,
} from './smmu-model';
