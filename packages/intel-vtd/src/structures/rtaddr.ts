/**
 * RTADDR_REG, the root table address register (VT-d spec §11.4.6): RTA [63:12] is the 4 KB-aligned root
 * table address, TTM [11:10] the translation-table mode (00b legacy, 01b scalable, 10b reserved, 11b
 * abort-DMA when ECAP.ADMS), bits 9:0 reserved. Software writes land through the write mask
 * 0xFFFF_FFFF_FFFF_FC00; hardware ignores address bits at and above HAW.
 * @packageDocumentation
 */
import { defineStructure, getField, wordsFromU64s } from '@viommu/core';
import { MAX_HOST_ADDRESS_WIDTH, assertHostAddressWidth, pointerBelowWidth } from './address-width';
import { assertIntegerInRange } from './argument-checks';

/** RTADDR_REG field table. */
export const RTADDR_LAYOUT = defineStructure({
  name: 'RTADDR_REG',
  bits: 64,
  fields: [
    {
      name: 'TTM',
      hi: 11,
      lo: 10,
      values: { 0: 'legacy', 1: 'scalable', 2: 'reserved', 3: 'abort-dma' },
      doc: 'Translation table mode: 00b legacy root/context tables, 01b scalable-mode tables (bit 10 is SMT), 10b reserved, 11b abort DMA (ECAP.ADMS)',
    },
    { name: 'RTA', hi: 63, lo: 12, shift: 12, big: true, doc: 'Root table address (4 KB aligned); bits at and above HAW are ignored' },
  ],
  reserved: [[9, 0]],
});

/** Bits of RTADDR_REG that software writes reach (RTA and TTM). */
export const RTADDR_WRITE_MASK = 0xffff_ffff_ffff_fc00n;

/** RTADDR_REG.TTM values. */
export const TranslationTableMode = {
  /** Legacy root and context entries. */
  LEGACY: 0,
  /** Scalable-mode root, context, PASID-directory and PASID-table entries. */
  SCALABLE: 1,
  /** Reserved encoding. */
  RESERVED: 2,
  /** Abort-DMA mode: every request is blocked (needs ECAP.ADMS). */
  ABORT_DMA: 3,
} as const;

/** RTADDR_REG decoded. */
export interface RtaddrValue {
  /** Root table address (bits [HAW−1:12] of RTA; higher bits are not implemented). */
  readonly rootTableAddress: number;
  /** The raw TTM field, one of {@link TranslationTableMode}'s values. */
  readonly ttm: number;
  /** True when TTM selects scalable mode (01b). */
  readonly scalable: boolean;
}

/** The value a register write leaves in RTADDR_REG (reserved bits 9:0 read as zero). */
export function writeRtaddr(value: bigint): bigint {
  return BigInt.asUintN(64, value) & RTADDR_WRITE_MASK;
}

/**
 * Decodes RTADDR_REG. The address keeps bits [haw−1:12] only, since hardware does not implement the rest.
 * @throws IommuError `ARGUMENT` for a host address width outside 13..52.
 */
export function decodeRtaddr(value: bigint, haw: number = MAX_HOST_ADDRESS_WIDTH): RtaddrValue {
  assertHostAddressWidth(haw);
  const words = wordsFromU64s([value], 64);
  const ttm = getField(words, 10, 2);
  return { rootTableAddress: pointerBelowWidth(words, 0, haw), ttm, scalable: ttm === TranslationTableMode.SCALABLE };
}

/**
 * Encodes RTADDR_REG from a root table address and a mode (`scalable` sets TTM to 01b, otherwise 00b; `ttm`
 * overrides both).
 * @throws IommuError `FIELD_RANGE` when the address is not 4 KB aligned or does not fit.
 */
export function encodeRtaddr(value: { rootTableAddress: number | bigint; scalable?: boolean; ttm?: number }): bigint {
  const ttm = value.ttm ?? (value.scalable ? TranslationTableMode.SCALABLE : TranslationTableMode.LEGACY);
  const words = RTADDR_LAYOUT.encode({ RTA: value.rootTableAddress, TTM: ttm });
  return (BigInt(words[1]!) << 32n) | BigInt(words[0]!);
}

/**
 * Address of the root entry for a bus: root table + bus × 16 (VT-d spec §3.4.2, 256 entries of 128 bits).
 * @throws IommuError `ARGUMENT` when `bus` is not 0..255.
 */
export function rootEntryAddress(rootTableAddress: number, bus: number): number {
  assertIntegerInRange('bus', bus, 0, 255);
  return rootTableAddress + bus * 16;
}
