/**
 * What the device model's context and PASID caches hold: checked configuration structures together with the
 * page-table format instances built from them, so a cache hit walks without decoding anything again.
 * @packageDocumentation
 */
import type { StageContext, TranslationContext } from '@viommu/core';
import { createFirstLevelFormat, createSecondLevelFormat, type VtdWalkMode } from '../paging/index';
import {
  MAX_HOST_ADDRESS_WIDTH,
  PasidGranularTranslationType,
  LegacyTranslationType,
  type LegacyContextConfig,
  type PasidEntryConfig,
  type ScalableContextConfig,
  type VtdCapabilities,
} from '../structures/index';

/** A cached legacy-mode context entry (tagged with its DID). */
export interface LegacyContextView {
  /** Which table format the entry came from. */
  readonly mode: 'legacy';
  /** DID of the entry. */
  readonly did: number;
  /** FPD of the entry. */
  readonly fpd: boolean;
  /** TT = 10b: requests pass through untranslated. */
  readonly passThrough: boolean;
  /** The second-level tables (TT 00b / 01b). */
  readonly stage2: StageContext | undefined;
  /** The checked entry. */
  readonly config: LegacyContextConfig;
}

/** A cached scalable-mode context entry (it holds no DID). */
export interface ScalableContextView {
  /** Which table format the entry came from. */
  readonly mode: 'scalable';
  /** Scalable-mode context entries carry no DID. */
  readonly did: undefined;
  /** FPD of the entry. */
  readonly fpd: boolean;
  /** The checked entry. */
  readonly config: ScalableContextConfig;
}

/** A context-cache value. */
export type ContextView = LegacyContextView | ScalableContextView;

/** A cached PASID-table entry, tagged with its DID. */
export interface PasidView {
  /** DID of the PASID entry. */
  readonly did: number;
  /** FPD of the PASID-directory entry or of the PASID entry (either suppresses qualified faults). */
  readonly fpd: boolean;
  /** The checked entry. */
  readonly config: PasidEntryConfig;
  /** How the walk's faults map to reasons; undefined for pass-through (PGTT = 100b). */
  readonly walkMode: VtdWalkMode | undefined;
  /** The stages to walk (empty for pass-through). */
  readonly context: TranslationContext;
}

/** CAP.SLLPS as the paging formats take it: bit 0 2 MiB, bit 1 1 GiB. */
function sllpsOf(caps: VtdCapabilities): number {
  return (caps.sl2MPages ? 1 : 0) | (caps.sl1GPages ? 2 : 0);
}

/** Builds the view of a valid legacy context entry. */
export function legacyContextView(config: LegacyContextConfig, caps: VtdCapabilities, haw: number): LegacyContextView {
  const passThrough = config.translationType === LegacyTranslationType.PASS_THROUGH;
  const stage2 = passThrough
    ? undefined
    : {
        format: createSecondLevelFormat({
          levels: config.levels as 3 | 4 | 5,
          mgawBits: caps.mgawBits,
          hawBits: haw,
          sllps: sllpsOf(caps),
          leafSnp: caps.sc,
        }),
        root: config.secondLevelTableAddress,
      };
  return { mode: 'legacy', did: config.domainId, fpd: config.fpd, passThrough, stage2, config };
}

/** Builds the view of a valid scalable-mode context entry. */
export function scalableContextView(config: ScalableContextConfig): ScalableContextView {
  return { mode: 'scalable', did: undefined, fpd: config.fpd, config };
}

/**
 * Builds the view of a valid PASID entry. `fpd` is the FPD of the PASID-directory entry or of the PASID
 * entry. For nested translation the first-level entries hold guest-physical addresses, so their address
 * bits are not limited by HAW here: a table address beyond the second level's input range faults while
 * the second level translates it (0x74), and an output beyond it faults 0x84.
 */
export function pasidView(config: PasidEntryConfig, fpd: boolean, caps: VtdCapabilities, haw: number): PasidView {
  const nested = config.pgtt === PasidGranularTranslationType.NESTED;
  let stage1: StageContext | undefined;
  let stage2: StageContext | undefined;
  const fl = config.firstLevel;
  if (fl) {
    stage1 = {
      format: createFirstLevelFormat({
        levels: fl.levels,
        hawBits: nested ? MAX_HOST_ADDRESS_WIDTH : haw,
        nxe: fl.nxe,
        wpe: fl.wpe,
        smep: fl.smep,
        sre: config.sre,
        eafe: fl.eafe,
        fl1gp: caps.fl1gp,
      }),
      root: fl.tableAddress,
    };
  }
  const sl = config.secondLevel;
  if (sl) {
    stage2 = {
      format: createSecondLevelFormat({
        levels: sl.levels as 3 | 4 | 5,
        mgawBits: caps.mgawBits,
        hawBits: haw,
        sllps: sllpsOf(caps),
        slade: sl.accessedDirtyEnable,
        slee: sl.executeEnable,
        leafSnp: true,
      }),
      root: sl.tableAddress,
    };
  }
  const walkMode: VtdWalkMode | undefined =
    config.pgtt === PasidGranularTranslationType.FIRST_LEVEL
      ? 'first-level'
      : config.pgtt === PasidGranularTranslationType.SECOND_LEVEL
        ? 'second-level'
        : nested
          ? 'nested'
          : undefined;
  return { did: config.domainId, fpd: fpd || config.fpd, config, walkMode, context: { stage1, stage2 } };
}
