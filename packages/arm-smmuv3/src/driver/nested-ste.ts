/**
 * The iommufd form of a nested bind: the guest hands its own STE (the first two 64-bit words) and the host
 * installs the STE that implements it over the nesting domain's stage 2 (reference arm-smmuv3.md §10;
 * api-lineage §3). Only the fields a guest may own are accepted — word 0: V, Config, S1Fmt,
 * S1ContextPtr, S1CDMax; word 1: S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS — and the host's STE is:
 * - V = 0, or Config = abort (0b000) → the abort STE;
 * - Config = bypass (0b100) → the domain's stage-2-only STE (as after an unbind);
 * - Config = stage-1 translate (0b101) → Config = nested (0b111) with the guest's stage-1 fields, the
 *   domain's stage 2 and MEV = 1 — word for word what {@link bindPasidTable} installs for the equivalent
 *   config.
 * Anything else (other bits, other Config values, reserved S1Fmt / S1DSS, unsupported features) is
 * refused with an `IommuError` `CONFIG_*` and changes nothing.
 * @packageDocumentation
 */
import { IommuError, IommuModel, wordsFromU64s, type PasidTableConfig } from '@viommu/core';
import { STE, type SmmuCapabilities } from '../structures/index';
import { checkSmmuV3Bind } from './bind-checks';
import { SteConfigValue, type SteStage1Fields } from './ste-builder';
import { effectiveS1Dss, type SmmuV3PasidTableVendor } from './vendor-config';

/** The bits of STE word 0 a guest may set: V, Config, S1Fmt, S1ContextPtr [55:6], S1CDMax [63:59]. */
export const GUEST_STE_WORD0_MASK = 0xf8ff_ffff_ffff_ffffn;
/** The bits of STE word 1 a guest may set: S1DSS, S1CIR, S1COR, S1CSH [7:0], S1STALLD [27], EATS [29:28]. */
export const GUEST_STE_WORD1_MASK = 0x38_00_00_ffn;

/** What a validated guest STE asks for. */
export type GuestSteIntent =
  /** Terminate the device's traffic (V = 0 or Config = abort). */
  | {
      /** Discriminant. */
      kind: 'abort';
    }
  /** Stage 1 bypassed: the nesting domain's stage 2 only. */
  | {
      /** Discriminant. */
      kind: 'bypass';
    }
  /** The guest's CD table over the domain's stage 2. */
  | {
      /** Discriminant. */
      kind: 'nested';
      /** The guest's stage-1 STE fields. */
      s1: SteStage1Fields;
    };

/**
 * Validates a raw guest STE for an SMMU.
 * @param ste words 0 and 1 of the guest STE.
 * @param caps the host SMMU's capabilities.
 * @param ipaBits the guest-physical address size (the nesting domain's stage-2 input size).
 * @throws IommuError `CONFIG_UNSUPPORTED` (a field outside the allowed set, a disallowed Config, EATS,
 * S1STALLD or a 2-level S1Fmt the SMMU cannot honour), `CONFIG_VENDOR` (reserved S1Fmt or S1DSS),
 * `CONFIG_PASID_BITS` (S1CDMax > SSIDSIZE), `CONFIG_ALIGNMENT` / `CONFIG_ADDRESS` (S1ContextPtr).
 */
export function validateGuestSte(ste: readonly [bigint, bigint], caps: SmmuCapabilities, ipaBits: number): GuestSteIntent {
  if (ste.length !== 2 || typeof ste[0] !== 'bigint' || typeof ste[1] !== 'bigint') {
    throw new IommuError('ARGUMENT', 'a guest STE is given as its first two 64-bit words (bigints)');
  }
  const w0 = BigInt.asUintN(64, ste[0]);
  const w1 = BigInt.asUintN(64, ste[1]);
  if ((w0 & ~GUEST_STE_WORD0_MASK) !== 0n || (w1 & ~GUEST_STE_WORD1_MASK) !== 0n) {
    throw new IommuError('CONFIG_UNSUPPORTED', `the guest STE sets fields the host owns (word 0 0x${(w0 & ~GUEST_STE_WORD0_MASK).toString(16)}, word 1 0x${(w1 & ~GUEST_STE_WORD1_MASK).toString(16)})`);
  }
  const words = wordsFromU64s([w0, w1], 512);
  if (STE.get(words, 'V') === 0) return { kind: 'abort' };
  const config = STE.get(words, 'Config');
  if (config === SteConfigValue.ABORT) return { kind: 'abort' };
  if (config === SteConfigValue.BYPASS) return { kind: 'bypass' };
  if (config !== SteConfigValue.STAGE1) {
    throw new IommuError('CONFIG_UNSUPPORTED', `guest STE Config 0b${config.toString(2).padStart(3, '0')} is not abort, bypass or stage-1 translate`, { config });
  }
  const s1fmt = STE.get(words, 'S1Fmt');
  const s1dss = STE.get(words, 'S1DSS');
  const cdMax = STE.get(words, 'S1CDMax');
  const eats = STE.get(words, 'EATS');
  const stalld = STE.get(words, 'S1STALLD');
  if (s1fmt === 3) throw new IommuError('CONFIG_VENDOR', 'guest STE S1Fmt 0b11 is reserved');
  if (s1dss === 3) throw new IommuError('CONFIG_VENDOR', 'guest STE S1DSS 0b11 is reserved');
  if (eats > 1 || (eats === 1 && !caps.ats)) {
    throw new IommuError('CONFIG_UNSUPPORTED', `guest STE EATS ${eats} is not supported (only 0, or 1 with SMMU_IDR0.ATS)`, { eats });
  }
  if (stalld === 1 && caps.stallModel !== 0) {
    throw new IommuError('CONFIG_UNSUPPORTED', 'guest STE S1STALLD = 1 needs SMMU_IDR0.STALL_MODEL = 0b00');
  }
  const contextPtr = STE.getBig(words, 'S1ContextPtr');
  // The same table checks as a bindPasidTable config with these values.
  checkSmmuV3Bind(
    {
      version: 1,
      bytes: 32,
      basePtr: contextPtr,
      pasidBits: cdMax,
      model: IommuModel.ARM_SMMUV3,
      vendor: { model: IommuModel.ARM_SMMUV3, pasid0DmaNoPasid: s1dss === 2, s1fmt, s1dss: s1dss === 2 ? 0 : s1dss } as SmmuV3PasidTableVendor,
    },
    caps,
    ipaBits,
  );
  return {
    kind: 'nested',
    s1: {
      contextPtr,
      cdMax,
      s1fmt,
      s1dss,
      cir: STE.get(words, 'S1CIR'),
      cor: STE.get(words, 'S1COR'),
      csh: STE.get(words, 'S1CSH'),
      stalld,
      eats,
    },
  };
}

/** The stage-1 STE fields a checked bind config stands for (what the equivalent guest STE holds). */
export function stage1FieldsOfConfig(config: PasidTableConfig, vendor: SmmuV3PasidTableVendor): SteStage1Fields {
  return {
    contextPtr: typeof config.basePtr === 'bigint' ? config.basePtr : BigInt(config.basePtr),
    cdMax: config.pasidBits,
    s1fmt: vendor.s1fmt,
    s1dss: effectiveS1Dss(vendor),
  };
}

/**
 * The guest STE words 0 and 1 equivalent to a bind config (stage-1 translate, the config's table and
 * S1DSS, CD fetches inner-shareable write-back, no ATS, S1STALLD = 0): what a guest driver would write
 * into its own Stream table.
 */
export function guestSteOfConfig(config: PasidTableConfig, vendor: SmmuV3PasidTableVendor): [bigint, bigint] {
  const s1 = stage1FieldsOfConfig(config, vendor);
  const words = STE.encode({
    V: 1,
    Config: SteConfigValue.STAGE1,
    S1Fmt: s1.s1fmt,
    S1ContextPtr: BigInt(s1.contextPtr),
    S1CDMax: s1.cdMax,
    S1DSS: s1.s1dss,
    S1CIR: 1,
    S1COR: 1,
    S1CSH: 3,
  });
  return [(BigInt(words[1]!) << 32n) | BigInt(words[0]!), (BigInt(words[3]!) << 32n) | BigInt(words[2]!)];
}
