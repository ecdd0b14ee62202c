/**
 * Translation granule encodings. CD.TG0 and STE.S2TG share one encoding; CD.TG1 uses a different one, as in
 * the A-profile TCR_ELx [SPEC 5.4 TG0/TG1, 5.2 S2TG]; TLBI commands use a third [SPEC 4.4.1.1 TG].
 * Granules are given as log2 of their size in bytes: 12 (4KB), 14 (16KB), 16 (64KB).
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';
import type { SmmuCapabilities } from './capabilities';

/** log2 of a translation granule size: 12 = 4KB, 14 = 16KB, 16 = 64KB. */
export type GranuleBits = 12 | 14 | 16;

/** Names of CD.TG0 / STE.S2TG values. */
export const TG0_VALUES: Readonly<Record<number, string>> = { 0: '4KB', 1: '64KB', 2: '16KB', 3: 'reserved' };

/** Names of CD.TG1 values — note the encoding differs from TG0. */
export const TG1_VALUES: Readonly<Record<number, string>> = { 0: 'reserved', 1: '16KB', 2: '4KB', 3: '64KB' };

/** Names of the TLBI command TG values. */
export const TLBI_TG_VALUES: Readonly<Record<number, string>> = { 0: 'any granule (no range, no TTL)', 1: '4KB', 2: '16KB', 3: '64KB' };

const TG0_GRANULE: readonly (GranuleBits | undefined)[] = [12, 16, 14, undefined];
const TG1_GRANULE: readonly (GranuleBits | undefined)[] = [undefined, 14, 12, 16];
const TLBI_GRANULE: readonly (GranuleBits | undefined)[] = [undefined, 12, 14, 16];

/** The granule a CD.TG0 or STE.S2TG value selects, `undefined` for the reserved value 0b11. */
export function granuleFromTg0(tg0: number): GranuleBits | undefined {
  return TG0_GRANULE[tg0 & 3];
}

/** The granule a CD.TG1 value selects, `undefined` for the reserved value 0b00. */
export function granuleFromTg1(tg1: number): GranuleBits | undefined {
  return TG1_GRANULE[tg1 & 3];
}

/** The granule a TLBI command's TG selects, `undefined` for 0b00 (any granule). */
export function granuleFromTlbiTg(tg: number): GranuleBits | undefined {
  return TLBI_GRANULE[tg & 3];
}

function checkGranule(bits: number): asserts bits is GranuleBits {
  if (bits !== 12 && bits !== 14 && bits !== 16) throw new IommuError('ARGUMENT', `granule must be 12, 14 or 16 bits, got ${bits}`);
}

/** The CD.TG0 / STE.S2TG encoding of a granule. @throws IommuError `ARGUMENT` for other sizes. */
export function tg0FromGranule(bits: number): number {
  checkGranule(bits);
  return TG0_GRANULE.indexOf(bits);
}

/** The CD.TG1 encoding of a granule. @throws IommuError `ARGUMENT` for other sizes. */
export function tg1FromGranule(bits: number): number {
  checkGranule(bits);
  return TG1_GRANULE.indexOf(bits);
}

/** The TLBI command TG encoding of a granule. @throws IommuError `ARGUMENT` for other sizes. */
export function tlbiTgFromGranule(bits: number): number {
  checkGranule(bits);
  return TLBI_GRANULE.indexOf(bits);
}

/** True when SMMU_IDR5.GRAN4K/16K/64K says the SMMU supports the granule [SPEC 6.3.6]. */
export function granuleSupported(caps: Pick<SmmuCapabilities, 'gran4k' | 'gran16k' | 'gran64k'>, bits: GranuleBits): boolean {
  return bits === 12 ? caps.gran4k : bits === 14 ? caps.gran16k : caps.gran64k;
}
