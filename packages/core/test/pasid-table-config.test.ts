import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IommuModel,
  PASID_TABLE_CFG_V1_BYTES,
  checkConfigHeader,
  decodePasidTableConfig,
  encodePasidTableConfig,
  isIommuError,
  type PasidTableConfig,
  type VendorConfigCodec,
} from '../src/index';

const codec: VendorConfigCodec = {
  model: IommuModel.ARM_SMMUV3,
  decode: (b) => ({ model: IommuModel.ARM_SMMUV3, flag: b[0] } as never),
  encode: (block) => Uint8Array.of((block as unknown as { flag: number }).flag, 0, 0, 0, 0, 0, 0, 0),
};

const base: PasidTableConfig = { version: 1, bytes: 32, basePtr: 0x4000_0000n, pasidBits: 10, model: IommuModel.ARM_SMMUV3 };

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isIommuError(e) ? e.code : 'not-an-IommuError';
  }
  return undefined;
}

describe('PasidTableConfig header checks', () => {
  it('accepts a valid config', () => expect(codeOf(() => checkConfigHeader(base))).toBeUndefined());
  it('rejects an unknown version', () => expect(codeOf(() => checkConfigHeader({ ...base, version: 2 }))).toBe('CONFIG_VERSION'));
  it('rejects bytes smaller than version 1 needs', () => expect(codeOf(() => checkConfigHeader({ ...base, bytes: 23 }))).toBe('CONFIG_BYTES'));
  it('rejects pasidBits that are not a u8', () => expect(codeOf(() => checkConfigHeader({ ...base, pasidBits: 256 }))).toBe('CONFIG_PASID_BITS'));
  it('rejects a negative basePtr', () => expect(codeOf(() => checkConfigHeader({ ...base, basePtr: -1n }))).toBe('CONFIG_ADDRESS'));
  it('rejects a vendor block of another model', () =>
    expect(codeOf(() => checkConfigHeader({ ...base, vendor: { model: IommuModel.INTEL_VTD } }))).toBe('CONFIG_VENDOR'));
});

describe('binary codec (uapi layout, extensible struct)', () => {
  it('known answer: the 32-byte layout', () => {
    const bytes = encodePasidTableConfig({ ...base, basePtr: 0x1122_3344_5566_7788n, vendor: { model: IommuModel.ARM_SMMUV3, flag: 1 } as never }, codec);
    expect(Array.from(bytes)).toEqual([
      1, 0, 0, 0, 32, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 10, IommuModel.ARM_SMMUV3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('round trips', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 1 }), (ptr, bits, flag) => {
        const cfg = { ...base, basePtr: ptr, pasidBits: bits, vendor: { model: IommuModel.ARM_SMMUV3, flag } as never };
        expect(decodePasidTableConfig(encodePasidTableConfig(cfg, codec), [codec])).toEqual(cfg);
      }),
    );
  });

  it('zero-extends a shorter struct (24 bytes: no vendor union)', () => {
    const bytes = encodePasidTableConfig({ ...base, bytes: 24 });
    expect(bytes.length).toBe(24);
    const cfg = decodePasidTableConfig(bytes, [codec]);
    expect(cfg.bytes).toBe(24);
    expect(cfg.vendor).toEqual({ model: IommuModel.ARM_SMMUV3, flag: 0 });
  });

  it('accepts a longer struct whose unknown tail is zero', () => {
    const bytes = new Uint8Array(48);
    bytes.set(encodePasidTableConfig(base));
    new DataView(bytes.buffer).setUint32(4, 48, true);
    expect(decodePasidTableConfig(bytes).bytes).toBe(48);
  });

  it('rejects a longer struct with a non-zero tail, naming the offset', () => {
    const bytes = new Uint8Array(40);
    bytes.set(encodePasidTableConfig(base));
    new DataView(bytes.buffer).setUint32(4, 40, true);
    bytes[37] = 1;
    expect(codeOf(() => decodePasidTableConfig(bytes))).toBe('CONFIG_TAIL');
  });

  it('rejects a buffer shorter than bytes says (truncated)', () => {
    const bytes = encodePasidTableConfig(base).subarray(0, 28);
    expect(codeOf(() => decodePasidTableConfig(bytes))).toBe('CONFIG_BYTES');
  });

  it('rejects fewer than 8 bytes, bytes < 24, an unknown version, padding set, an unknown vendor union', () => {
    const good = encodePasidTableConfig(base);
    expect(codeOf(() => decodePasidTableConfig(good.subarray(0, 7)))).toBe('CONFIG_BYTES');
    const small = Uint8Array.from(good);
    small[4] = 16;
    expect(codeOf(() => decodePasidTableConfig(small))).toBe('CONFIG_BYTES');
    const v2 = Uint8Array.from(good);
    v2[0] = 2;
    expect(codeOf(() => decodePasidTableConfig(v2))).toBe('CONFIG_VERSION');
    const pad = Uint8Array.from(good);
    pad[20] = 1;
    expect(codeOf(() => decodePasidTableConfig(pad))).toBe('CONFIG_PADDING');
    const union = Uint8Array.from(good);
    union[24] = 1;
    expect(codeOf(() => decodePasidTableConfig(union))).toBe('CONFIG_VENDOR');
  });

  it(`never throws anything but IommuError on random bytes (up to ${PASID_TABLE_CFG_V1_BYTES + 16})`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: PASID_TABLE_CFG_V1_BYTES + 16 }), (bytes) => {
        const code = codeOf(() => decodePasidTableConfig(bytes, [codec]));
        expect(code === undefined || code.startsWith('CONFIG_')).toBe(true);
      }),
    );
  });
});
