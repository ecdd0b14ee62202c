/**
 * Which bits of an STE or CD the SMMU reads, given what the entry holds — the `usedBits` half of the
 * hitless writer ({@link writeEntry}). Over-approximates where the architecture's rule is finer than the
 * driver needs (an over-approximation only makes an update breaking, never unsafe) [SPEC 5.2, 5.4].
 * @packageDocumentation
 */
import { setField, type StructureLayout } from '@viommu/core';
import { CD, STE, STE_WORDS } from '../structures/index';

/** Sets, in `mask`, every bit of the named fields of `layout`. */
export function markFields<N extends string>(layout: StructureLayout<N>, mask: Uint32Array, names: readonly N[]): void {
  for (const name of names) {
    const spec = layout.spec.fields.find((f) => f.name === name)!;
    for (let bit = spec.lo; bit <= spec.hi; bit += 32) {
      const width = Math.min(32, spec.hi - bit + 1);
      setField(mask, bit, width, 2 ** width - 1);
    }
  }
}

/** STE fields every valid, non-abort configuration reads: the stream attributes and overrides of word 1. */
const STE_ATTRIBUTE_FIELDS = ['DRE', 'CONT', 'DCP', 'PPAR', 'MEV', 'MTCFG', 'MemAttr', 'ALLOCCFG', 'SHCFG', 'NSCFG', 'PRIVCFG', 'INSTCFG', 'EATS', 'STRW'] as const;
/** STE fields a stage-1 configuration (Config 0b1x1) reads. */
const STE_STAGE1_FIELDS = ['S1Fmt', 'S1ContextPtr', 'S1CDMax', 'S1DSS', 'S1CIR', 'S1COR', 'S1CSH', 'S1STALLD', 'S1MPAM', 'S2VMID'] as const;
/** STE fields a stage-2 configuration (Config 0b11x) reads. */
const STE_STAGE2_FIELDS = [
  'S2VMID', 'S2T0SZ', 'S2SL0', 'S2IR0', 'S2OR0', 'S2SH0', 'S2TG', 'S2PS', 'S2AA64', 'S2ENDI', 'S2AFFD', 'S2PTW',
  'S2HD', 'S2HA', 'S2S', 'S2R', 'S2FWB', 'S2TTB',
] as const;

/**
 * The STE bits the SMMU reads for the entry's current contents: V always; Config when V = 1; nothing more
 * for Config 0b0xx (abort); the stream attributes for bypass and translating configurations; the stage-1
 * fields (CD table pointer, S1DSS, CD fetch attributes, and S2VMID, which tags stage-1 TLB entries too)
 * for Config 0b1x1; the stage-2 fields for Config 0b11x.
 */
export function steUsedBits(ste: Uint32Array): Uint32Array {
  const mask = new Uint32Array(STE_WORDS);
  markFields(STE, mask, ['V']);
  if (STE.get(ste, 'V') === 0) return mask;
  markFields(STE, mask, ['Config']);
  const config = STE.get(ste, 'Config');
  if ((config & 4) === 0) return mask;
  markFields(STE, mask, STE_ATTRIBUTE_FIELDS);
  if (config & 1) markFields(STE, mask, STE_STAGE1_FIELDS);
  if (config & 2) markFields(STE, mask, STE_STAGE2_FIELDS);
  return mask;
}

/**
 * The CD bits the SMMU reads: V always; every bit when V = 1 (the driver never relies on the finer
 * EPDx rules, so a live CD changes hitlessly only when a single 64-bit word changes).
 */
export function cdUsedBits(cd: Uint32Array): Uint32Array {
  const mask = new Uint32Array(cd.length);
  markFields(CD, mask, ['V']);
  if (CD.get(cd, 'V') === 0) return mask;
  mask.fill(0xffff_ffff);
  return mask;
}
