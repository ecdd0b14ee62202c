/**
 * What the pipeline steps share: memory, capabilities, caches and the core translator (which also reads
 * configuration structures, so that every fetch is traced and, under nesting, translated by stage 2).
 * @packageDocumentation
 */
import type { NestedTranslator, PhysicalMemory, StageContext, TranslationFault } from '@viommu/core';
import type { SmmuCapabilities } from '../structures/index';
import type { SmmuCaches } from './caches';

/** The shared state of one SMMU's translation pipeline. */
export interface PipelineEnv {
  /** Physical memory (tables, structures, queues). */
  readonly memory: PhysicalMemory;
  /** Decoded IDR0/IDR1/IDR5. */
  readonly caps: SmmuCapabilities;
  /** SMMU_IDR3.XNX: stage-2 XN[0] distinguishes EL1 and EL0 execution. */
  readonly xnx: boolean;
  /** SMMU_IDR3.HAD: CD.HAD0/HAD1 are honoured (else IGNORED). */
  readonly had: boolean;
  /** SMMU_IDR3.E0PD: CD.E0PD0/E0PD1 are honoured (else RES0). */
  readonly e0pd: boolean;
  /** The caches. */
  readonly caches: SmmuCaches;
  /** The core translator; its `trace` is set for the duration of a traced translation. */
  readonly translator: NestedTranslator;
  /** SMMU_CR2.E2H: an STE with STRW = EL2 selects the EL2-E2H StreamWorld (ASID-tagged, two halves). */
  readonly e2h: boolean;
}

/**
 * Reads a configuration structure of `words` 32-bit words at `address` (an IPA translated by `stage2`
 * when given, else a PA), recording it in the trace under `label`.
 */
export function readStructure(
  env: PipelineEnv,
  stage2: StageContext | undefined,
  address: number,
  words: number,
  label: string,
): Uint32Array | TranslationFault {
  return env.translator.readThroughStage2(stage2, address, words, label);
}

/**
 * The PA of a structure whose own read aborted, from the aborting word's address: the read of word i is
 * at PA + 4i, and the PA keeps the IPA's offset modulo the structure size (structures never cross a page).
 */
export function structurePa(fault: TranslationFault, ipa: number, bytes: number): number {
  const at = fault.fetchAddress ?? ipa;
  const offset = (((at - ipa) % bytes) + bytes) % bytes;
  return at - offset;
}

/** True when a configuration read failed on the structure itself (not on the stage-2 walk translating it). */
export function isStructureAbort(fault: TranslationFault): boolean {
  return fault.kind === 'externalAbort' && fault.level === -1;
}
