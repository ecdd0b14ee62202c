/**
 * The versioned PASID-table configuration of the 2017 `bind_pasid_table` proposal, and its binary (uapi)
 * codec with extensible-struct rules.
 *
 * Binary layout, version 1 (little-endian, 32 bytes):
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | `version` (1) |
 * | 4 | 4 | `bytes`: the struct size as the caller knows it |
 * | 8 | 8 | `base_ptr`: GPA of the PASID / CD table |
 * | 16 | 1 | `pasid_bits` |
 * | 17 | 1 | `model`: {@link IommuModel} |
 * | 18 | 6 | padding, must be zero |
 * | 24 | 8 | vendor union (decoded by the vendor plugin) |
 *
 * A struct shorter than 32 bytes (but at least the 24-byte header) is zero-extended; a longer one is
 * accepted only if every byte past 32 is zero.
 * @packageDocumentation
 */
import { IommuError } from '../errors';

/** `PASID_TABLE_CFG_VERSION_1`. */
export const PASID_TABLE_CFG_VERSION_1 = 1;
/** Bytes version 1 needs at least: the header up to and including `model` and its padding. */
export const PASID_TABLE_CFG_V1_MIN_BYTES = 24;
/** Size of the version-1 struct including the vendor union. */
export const PASID_TABLE_CFG_V1_BYTES = 32;
/** Size of the vendor union. */
export const PASID_TABLE_CFG_VENDOR_BYTES = 8;

/**
 * IOMMU model identifiers for {@link PasidTableConfig.model}: the format the PASID table is laid out in.
 * A table in one vendor's format must never reach another vendor's IOMMU.
 */
export const IommuModel = {
  /** Intel VT-d scalable-mode PASID table. */
  INTEL_VTD: 1,
  /** ARM SMMUv3 context-descriptor table. */
  ARM_SMMUV3: 2,
} as const;

/**
 * A vendor-specific block of the config (the uapi union). `model` says which vendor it belongs to; the
 * vendor package defines the rest (e.g. SMMUv3's `pasid0DmaNoPasid`).
 */
export interface VendorConfigBlock {
  /** The {@link IommuModel} this block is for. */
  readonly model: number;
}

/** The configuration handed to `bindPasidTable`. */
export interface PasidTableConfig {
  /** API version: {@link PASID_TABLE_CFG_VERSION_1}. */
  version: number;
  /** Size of the struct as the caller knows it, in bytes (≥ {@link PASID_TABLE_CFG_V1_MIN_BYTES}). */
  bytes: number;
  /** Guest-physical address of the PASID table (VT-d) or CD table (SMMUv3). */
  basePtr: bigint | number;
  /** Number of PASID bits the table covers; at most what the IOMMU supports. */
  pasidBits: number;
  /** {@link IommuModel} of the table's format. */
  model: number;
  /** Vendor block; its `model` must equal `model`. */
  vendor?: VendorConfigBlock | undefined;
}

/** Converts the vendor union's 8 bytes to and from a vendor block (supplied by the vendor plugin). */
export interface VendorConfigCodec {
  /** The {@link IommuModel} the codec handles. */
  readonly model: number;
  /** Decodes the 8-byte union. @throws IommuError `CONFIG_VENDOR` for invalid contents. */
  decode(bytes: Uint8Array): VendorConfigBlock;
  /** Encodes a block into 8 bytes. */
  encode(block: VendorConfigBlock): Uint8Array;
}

/** Checks the vendor-independent fields a config must have before any IOMMU looks at it. */
export function checkConfigHeader(config: PasidTableConfig): void {
  if (config.version !== PASID_TABLE_CFG_VERSION_1) {
    throw new IommuError('CONFIG_VERSION', `unknown PASID table config version ${config.version}`, { version: config.version });
  }
  if (!Number.isInteger(config.bytes) || config.bytes < PASID_TABLE_CFG_V1_MIN_BYTES) {
    throw new IommuError('CONFIG_BYTES', `bytes ${config.bytes} is smaller than version 1 needs (${PASID_TABLE_CFG_V1_MIN_BYTES})`, { bytes: config.bytes });
  }
  if (!Number.isInteger(config.pasidBits) || config.pasidBits < 0 || config.pasidBits > 255) {
    throw new IommuError('CONFIG_PASID_BITS', `pasidBits ${config.pasidBits} is not a u8`, { pasidBits: config.pasidBits });
  }
  if (!Number.isInteger(config.model) || config.model < 0 || config.model > 255) {
    throw new IommuError('CONFIG_MODEL', `model ${config.model} is not a u8`, { model: config.model });
  }
  const base = typeof config.basePtr === 'bigint' ? config.basePtr : Number.isSafeInteger(config.basePtr) ? BigInt(config.basePtr) : -1n;
  if (base < 0n || base >= 1n << 64n) {
    throw new IommuError('CONFIG_ADDRESS', `basePtr ${String(config.basePtr)} is not a u64`);
  }
  if (config.vendor !== undefined && config.vendor.model !== config.model) {
    throw new IommuError('CONFIG_VENDOR', `vendor block is for model ${config.vendor.model}, config says model ${config.model}`);
  }
}

/** `basePtr` as a bigint. */
export function basePtrOf(config: PasidTableConfig): bigint {
  return typeof config.basePtr === 'bigint' ? config.basePtr : BigInt(config.basePtr);
}

/**
 * Encodes a config into its uapi bytes (`bytes` long: the struct as the caller knows it; bytes past the
 * 32 this version knows are zero).
 */
export function encodePasidTableConfig(config: PasidTableConfig, codec?: VendorConfigCodec): Uint8Array {
  checkConfigHeader(config);
  const out = new Uint8Array(config.bytes);
  const full = new Uint8Array(Math.max(config.bytes, PASID_TABLE_CFG_V1_BYTES));
  const view = new DataView(full.buffer);
  view.setUint32(0, config.version, true);
  view.setUint32(4, config.bytes, true);
  view.setBigUint64(8, basePtrOf(config), true);
  view.setUint8(16, config.pasidBits);
  view.setUint8(17, config.model);
  if (config.vendor) {
    if (!codec || codec.model !== config.vendor.model) {
      throw new IommuError('CONFIG_VENDOR', `no codec for the vendor block of model ${config.vendor.model}`);
    }
    full.set(codec.encode(config.vendor).subarray(0, PASID_TABLE_CFG_VENDOR_BYTES), 24);
  }
  out.set(full.subarray(0, config.bytes));
  return out;
}

/**
 * Decodes uapi bytes into a config, applying the extensible-struct rules: the buffer must hold `bytes`
 * bytes; a struct shorter than 32 bytes is zero-extended; bytes past 32 must be zero; padding must be zero.
 * The vendor union is decoded by the codec for `model` when one is given (and left out when it is all zero
 * and no codec is given).
 * @throws IommuError `CONFIG_BYTES`, `CONFIG_TAIL`, `CONFIG_PADDING`, `CONFIG_VERSION`, `CONFIG_VENDOR`
 */
export function decodePasidTableConfig(data: Uint8Array, codecs: readonly VendorConfigCodec[] = []): PasidTableConfig {
  if (data.length < 8) {
    throw new IommuError('CONFIG_BYTES', `config truncated: ${data.length} bytes, the version and bytes fields need 8`);
  }
  const head = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = head.getUint32(0, true);
  const bytes = head.getUint32(4, true);
  if (version !== PASID_TABLE_CFG_VERSION_1) {
    throw new IommuError('CONFIG_VERSION', `unknown PASID table config version ${version}`, { version });
  }
  if (bytes < PASID_TABLE_CFG_V1_MIN_BYTES) {
    throw new IommuError('CONFIG_BYTES', `bytes ${bytes} is smaller than version 1 needs (${PASID_TABLE_CFG_V1_MIN_BYTES})`, { bytes });
  }
  if (data.length < bytes) {
    throw new IommuError('CONFIG_BYTES', `config truncated: bytes says ${bytes}, buffer holds ${data.length}`, { bytes, length: data.length });
  }
  for (let i = PASID_TABLE_CFG_V1_BYTES; i < bytes; i++) {
    if (data[i] !== 0) {
      throw new IommuError('CONFIG_TAIL', `config is ${bytes} bytes and byte ${i}, past the ${PASID_TABLE_CFG_V1_BYTES} version 1 knows, is not zero`, { offset: i });
    }
  }
  const full = new Uint8Array(PASID_TABLE_CFG_V1_BYTES);
  full.set(data.subarray(0, Math.min(bytes, PASID_TABLE_CFG_V1_BYTES)));
  const view = new DataView(full.buffer);
  for (let i = 18; i < 24; i++) {
    if (full[i] !== 0) throw new IommuError('CONFIG_PADDING', `padding byte ${i} is not zero`, { offset: i });
  }
  const model = view.getUint8(17);
  const config: PasidTableConfig = {
    version,
    bytes,
    basePtr: view.getBigUint64(8, true),
    pasidBits: view.getUint8(16),
    model,
  };
  const union = full.subarray(24, 32);
  const codec = codecs.find((c) => c.model === model);
  if (codec) config.vendor = codec.decode(union);
  else if (union.some((b) => b !== 0)) {
    throw new IommuError('CONFIG_VENDOR', `vendor union is set but no codec knows model ${model}`, { model });
  }
  return config;
}
