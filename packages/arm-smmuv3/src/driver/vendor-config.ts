/**
 * The SMMUv3 vendor block of a {@link PasidTableConfig}: the seed's ARM member `pasid0_dma_no_pasid`
 * plus what the 2018–2022 `attach_pasid_table` revisions added (`s1fmt`, `s1dss`), and its 8-byte binary
 * form in the config's vendor union [SPEC 5.2 S1Fmt, S1DSS; reference api-lineage §1–§2].
 *
 * Binary layout of the union (little-endian, 8 bytes):
 * | byte | field |
 * |---|---|
 * | 0 | `pasid0_dma_no_pasid`: 0 or 1 |
 * | 1 | `s1fmt`: STE.S1Fmt, 0 linear, 1 two-level with 4 KB leaf tables, 2 two-level with 64 KB leaf tables |
 * | 2 | `s1dss`: STE.S1DSS for DMA without PASID, 0 terminate, 1 bypass, 2 substream 0 |
 * | 3..7 | zero |
 * @packageDocumentation
 */
import { IommuError, IommuModel, type PasidTableConfig, type VendorConfigBlock, type VendorConfigCodec } from '@viommu/core';

/** STE.S1DSS values [SPEC 5.2]. */
export const S1DssValue = {
  /** Transactions without a SubstreamID abort with F_STREAM_DISABLED. */
  TERMINATE: 0,
  /** Transactions without a SubstreamID bypass stage 1 (stage 2 still translates). */
  BYPASS: 1,
  /** Transactions without a SubstreamID use CD 0; SubstreamID 0 itself is then F_STREAM_DISABLED. */
  SUBSTREAM0: 2,
} as const;

/** STE.S1Fmt values [SPEC 5.2]. */
export const S1FmtValue = {
  /** Linear CD table. */
  LINEAR: 0,
  /** Two-level CD table, 4 KB leaf tables of 64 CDs. */
  TWO_LEVEL_4K: 1,
  /** Two-level CD table, 64 KB leaf tables of 1024 CDs (what Linux uses). */
  TWO_LEVEL_64K: 2,
} as const;

/** The SMMUv3 vendor block of a PASID-table config. */
export interface SmmuV3PasidTableVendor extends VendorConfigBlock {
  /** {@link IommuModel}.ARM_SMMUV3. */
  readonly model: number;
  /**
   * The seed's `pasid0_dma_no_pasid`: DMA without PASID uses the context of PASID 0, i.e. STE.S1DSS =
   * Substream0 (`s1dss` must then be 0 or 2).
   */
  readonly pasid0DmaNoPasid: boolean;
  /** STE.S1Fmt of the guest's CD table ({@link S1FmtValue}); 1 and 2 need SMMU_IDR0.CD2L. */
  readonly s1fmt: number;
  /**
   * STE.S1DSS for DMA without PASID when `pasid0DmaNoPasid` is false ({@link S1DssValue}: terminate or
   * bypass; substream 0 is the same as setting `pasid0DmaNoPasid`).
   */
  readonly s1dss: number;
}

/** The block used when a config carries none: linear CD table, DMA without PASID terminated. */
export const DEFAULT_SMMUV3_VENDOR: SmmuV3PasidTableVendor = Object.freeze({
  model: IommuModel.ARM_SMMUV3,
  pasid0DmaNoPasid: false,
  s1fmt: S1FmtValue.LINEAR,
  s1dss: S1DssValue.TERMINATE,
});

/** True when `block` has the shape of an SMMUv3 vendor block (any values). */
function looksLikeSmmuBlock(block: VendorConfigBlock): block is SmmuV3PasidTableVendor {
  const b = block as Partial<SmmuV3PasidTableVendor>;
  return typeof b.pasid0DmaNoPasid === 'boolean' && typeof b.s1fmt === 'number' && typeof b.s1dss === 'number';
}

/**
 * Checks an SMMUv3 vendor block on its own (no hardware involved): the model, the field types, S1Fmt
 * 0..2 (3 is reserved), S1DSS 0..2 (3 is reserved), and that `pasid0DmaNoPasid` does not contradict
 * S1DSS. Returns the effective block.
 * @throws IommuError `CONFIG_VENDOR`
 */
export function checkSmmuV3Vendor(block: VendorConfigBlock): SmmuV3PasidTableVendor {
  if (block.model !== IommuModel.ARM_SMMUV3) {
    throw new IommuError('CONFIG_VENDOR', `vendor block is for model ${block.model}, not ARM SMMUv3 (${IommuModel.ARM_SMMUV3})`, { model: block.model });
  }
  if (!looksLikeSmmuBlock(block)) {
    throw new IommuError('CONFIG_VENDOR', 'an SMMUv3 vendor block needs pasid0DmaNoPasid (boolean), s1fmt and s1dss (numbers)');
  }
  const known = new Set(['model', 'pasid0DmaNoPasid', 's1fmt', 's1dss']);
  const extra = Object.keys(block).find((k) => !known.has(k));
  if (extra !== undefined) throw new IommuError('CONFIG_VENDOR', `unknown SMMUv3 vendor block field ${extra}`, { field: extra });
  if (!Number.isInteger(block.s1fmt) || block.s1fmt < 0 || block.s1fmt > 2) {
    throw new IommuError('CONFIG_VENDOR', `s1fmt ${block.s1fmt} is not 0 (linear), 1 (2-level, 4 KB) or 2 (2-level, 64 KB); 3 is reserved`, { s1fmt: block.s1fmt });
  }
  if (!Number.isInteger(block.s1dss) || block.s1dss < 0 || block.s1dss > 2) {
    throw new IommuError('CONFIG_VENDOR', `s1dss ${block.s1dss} is not 0 (terminate), 1 (bypass) or 2 (substream 0); 3 is reserved`, { s1dss: block.s1dss });
  }
  if (block.pasid0DmaNoPasid && block.s1dss === S1DssValue.BYPASS) {
    throw new IommuError('CONFIG_VENDOR', 'pasid0DmaNoPasid (S1DSS = substream 0) contradicts s1dss = bypass');
  }
  return block;
}

/** The effective vendor block of a config (the default when it has none). @throws IommuError `CONFIG_VENDOR` */
export function smmuV3VendorOf(config: PasidTableConfig): SmmuV3PasidTableVendor {
  return config.vendor === undefined ? DEFAULT_SMMUV3_VENDOR : checkSmmuV3Vendor(config.vendor);
}

/** The STE.S1DSS a vendor block selects. */
export function effectiveS1Dss(block: SmmuV3PasidTableVendor): number {
  return block.pasid0DmaNoPasid ? S1DssValue.SUBSTREAM0 : block.s1dss;
}

/** Codec for the 8-byte vendor union (layout in the module doc). */
export const smmuV3ConfigCodec: VendorConfigCodec = {
  model: IommuModel.ARM_SMMUV3,
  decode(bytes: Uint8Array): SmmuV3PasidTableVendor {
    if (bytes.length !== 8) throw new IommuError('CONFIG_VENDOR', `the vendor union is 8 bytes, got ${bytes.length}`);
    if (bytes[0]! > 1) throw new IommuError('CONFIG_VENDOR', `pasid0_dma_no_pasid byte is ${bytes[0]}, not 0 or 1`, { offset: 0 });
    for (let i = 3; i < 8; i++) {
      if (bytes[i] !== 0) throw new IommuError('CONFIG_VENDOR', `SMMUv3 vendor union byte ${i} is reserved and must be zero`, { offset: i });
    }
    return checkSmmuV3Vendor({ model: IommuModel.ARM_SMMUV3, pasid0DmaNoPasid: bytes[0] === 1, s1fmt: bytes[1]!, s1dss: bytes[2]! } as SmmuV3PasidTableVendor);
  },
  encode(block: VendorConfigBlock): Uint8Array {
    const b = checkSmmuV3Vendor(block);
    return Uint8Array.of(b.pasid0DmaNoPasid ? 1 : 0, b.s1fmt, b.s1dss, 0, 0, 0, 0, 0);
  },
};
