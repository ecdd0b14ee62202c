/**
 * The VT-d vendor block of the `bind_pasid_table` config (the 8-byte uapi union, core's
 * {@link VendorConfigCodec}). The table `basePtr` points at is always a scalable-mode PASID directory in
 * guest-physical memory, exactly what a guest's scalable-mode context entry holds in PASIDDIRPTR (VT-d spec
 * §9.4, §9.5); the block carries what else that context entry says that matters to the host:
 *
 * | bytes | bits | field |
 * |---|---|---|
 * | 0–3 | 19:0 | `ridPasid`: the guest PASID whose entry translates requests without PASID (the guest context entry's RID_PASID; default 0) |
 * | 0–3 | 31:20 | reserved, zero |
 * | 4–7 | | reserved, zero |
 *
 * Without a vendor block, requests without PASID use guest PASID 0.
 * @packageDocumentation
 */
import { IommuError, IommuModel, type PasidTableConfig, type VendorConfigBlock, type VendorConfigCodec } from '@viommu/core';
import { MAX_PASID_BITS } from '../structures/index';

/** The VT-d vendor block. */
export interface VtdConfigBlock extends VendorConfigBlock {
  /** {@link IommuModel}.INTEL_VTD. */
  readonly model: typeof IommuModel.INTEL_VTD;
  /** Guest PASID used for requests without PASID (20 bits). */
  readonly ridPasid: number;
}

function checkRidPasid(ridPasid: unknown): number {
  if (typeof ridPasid !== 'number' || !Number.isInteger(ridPasid) || ridPasid < 0 || ridPasid >= 2 ** MAX_PASID_BITS) {
    throw new IommuError('CONFIG_VENDOR', `ridPasid ${String(ridPasid)} is not a 20-bit PASID`, { ridPasid });
  }
  return ridPasid;
}

/** Encodes and decodes {@link VtdConfigBlock}. */
export const vtdConfigCodec: VendorConfigCodec = {
  model: IommuModel.INTEL_VTD,
  decode(bytes: Uint8Array): VtdConfigBlock {
    if (bytes.length !== 8) throw new IommuError('CONFIG_VENDOR', `the VT-d vendor block is 8 bytes, got ${bytes.length}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
    const word = view.getUint32(0, true);
    if (word >>> MAX_PASID_BITS !== 0 || view.getUint32(4, true) !== 0) {
      throw new IommuError('CONFIG_VENDOR', 'reserved bits of the VT-d vendor block are set');
    }
    return { model: IommuModel.INTEL_VTD, ridPasid: word };
  },
  encode(block: VendorConfigBlock): Uint8Array {
    const b = vtdConfigBlockOf({ model: block.model, vendor: block });
    const out = new Uint8Array(8);
    new DataView(out.buffer).setUint32(0, b.ridPasid, true);
    return out;
  },
};

/**
 * The VT-d block of a config (defaults when it has none), checked: the model must be INTEL_VTD, `ridPasid`
 * a 20-bit PASID when given, and no other fields.
 * @throws IommuError `CONFIG_VENDOR`
 */
export function vtdConfigBlockOf(config: Pick<PasidTableConfig, 'vendor' | 'model'>): VtdConfigBlock {
  const v = config.vendor as (VendorConfigBlock & { ridPasid?: unknown }) | undefined;
  if (v === undefined) return { model: IommuModel.INTEL_VTD, ridPasid: 0 };
  if (v.model !== IommuModel.INTEL_VTD) throw new IommuError('CONFIG_VENDOR', `vendor block is for model ${v.model}, not INTEL_VTD`);
  const unknown = Object.keys(v).filter((k) => k !== 'model' && k !== 'ridPasid');
  if (unknown.length > 0) throw new IommuError('CONFIG_VENDOR', `unknown VT-d vendor block fields: ${unknown.join(', ')}`);
  return { model: IommuModel.INTEL_VTD, ridPasid: v.ridPasid === undefined ? 0 : checkRidPasid(v.ridPasid) };
}
