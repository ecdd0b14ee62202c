import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIommuError } from '@viommu/core';
import {
  CAP_DEFINED_MASK,
  DEFAULT_VTD_CAP,
  DEFAULT_VTD_CAPABILITIES,
  DEFAULT_VTD_ECAP,
  ECAP_DEFINED_MASK,
  agawOfAw,
  decodeVtdCapabilities,
  encodeVtdCapabilities,
  hostAddressWidth,
  sagawSupportsAw,
} from '../src/structures/index';

const bit = (n: number) => 1n << BigInt(n);

describe('CAP_REG / ECAP_REG defaults', () => {
  it('DEFAULT_VTD_CAP is the documented field values, assembled independently', () => {
    const expected =
      6n | // ND: 16-bit domain ids
      (0b01110n << 8n) | // SAGAW 39/48/57
      (47n << 16n) | // MGAW: 48 bits
      (0x22n << 24n) | // FRO: 0x220
      bit(34) | bit(35) | // SLLPS 2M, 1G
      bit(39) | // PSI
      (7n << 40n) | // NFR: 8 registers
      (18n << 48n) | // MAMV
      bit(54) | bit(55) | bit(56) | bit(60); // DWD DRD FL1GP FL5LP
    expect(DEFAULT_VTD_CAP).toBe(expected);
  });

  it('DEFAULT_VTD_ECAP is the documented field values, assembled independently', () => {
    const expected =
      bit(0) | bit(1) | bit(2) | bit(6) | bit(7) | // C QI DT PT SC
      (0xfn << 8n) | // IRO: 0xF0
      bit(26) | bit(29) | bit(30) | bit(31) | // NEST PRS ERS SRS
      bit(34) | // EAFS
      (19n << 35n) | // PSS: 20-bit PASIDs
      bit(40) | bit(42) | bit(43) | bit(45) | bit(46) | bit(47) | bit(48) | bit(49) | bit(53); // PASID PDS SMTS SLADS SLTS FLTS SMPWC RPS RPRIVS
    expect(DEFAULT_VTD_ECAP).toBe(expected);
  });

  it('decodes the defaults into the documented capability set', () => {
    const c = DEFAULT_VTD_CAPABILITIES;
    expect(c).toMatchObject({
      nd: 6,
      sagaw: [39, 48, 57],
      mgawBits: 48,
      faultRecordOffset: 0x220,
      faultRecordCount: 8,
      sl2MPages: true,
      sl1GPages: true,
      psi: true,
      mamv: 18,
      dwd: true,
      drd: true,
      fl1gp: true,
      fl5lp: true,
      pi: false,
      cm: false,
      afl: false,
      rwbf: false,
      c: true,
      qi: true,
      dt: true,
      ir: false,
      eim: false,
      pt: true,
      sc: true,
      iotlbRegisterOffset: 0xf0,
      mhmv: 0,
      mts: false,
      nest: true,
      prs: true,
      ers: true,
      srs: true,
      nwfs: false,
      eafs: true,
      pasidBits: 20,
      pasid: true,
      dit: false,
      pds: true,
      smts: true,
      slads: true,
      slts: true,
      flts: true,
      smpwc: true,
      rps: true,
      pms: false,
      adms: false,
      rprivs: true,
    });
    expect(hostAddressWidth(c)).toBe(48);
  });
});

describe('CAP_REG / ECAP_REG single-field known answers', () => {
  it('maps each flag to its own bit', () => {
    const capFlags: [number, keyof typeof DEFAULT_VTD_CAPABILITIES][] = [
      [3, 'afl'], [4, 'rwbf'], [5, 'plmr'], [6, 'phmr'], [7, 'cm'], [22, 'zlr'], [39, 'psi'], [54, 'dwd'], [55, 'drd'],
      [56, 'fl1gp'], [59, 'pi'], [60, 'fl5lp'], [62, 'esirtps'], [63, 'esrtps'],
    ];
    for (const [n, key] of capFlags) {
      const caps = decodeVtdCapabilities(bit(n), 0n);
      expect(caps[key], key).toBe(true);
      const others = capFlags.filter(([, k]) => k !== key).map(([, k]) => caps[k]);
      expect(others.every((v) => v === false), key).toBe(true);
    }
    const ecapFlags: [number, keyof typeof DEFAULT_VTD_CAPABILITIES][] = [
      [0, 'c'], [1, 'qi'], [2, 'dt'], [3, 'ir'], [4, 'eim'], [6, 'pt'], [7, 'sc'], [25, 'mts'], [26, 'nest'], [27, 'dis'],
      [29, 'prs'], [30, 'ers'], [31, 'srs'], [33, 'nwfs'], [34, 'eafs'], [40, 'pasid'], [41, 'dit'], [42, 'pds'],
      [43, 'smts'], [44, 'vcs'], [45, 'slads'], [46, 'slts'], [47, 'flts'], [48, 'smpwc'], [49, 'rps'], [51, 'pms'],
      [52, 'adms'], [53, 'rprivs'],
    ];
    for (const [n, key] of ecapFlags) {
      const caps = decodeVtdCapabilities(0n, bit(n));
      expect(caps[key], key).toBe(true);
      expect(ecapFlags.filter(([, k]) => k !== key).every(([, k]) => caps[k] === false), key).toBe(true);
    }
  });

  it('decodes the multi-bit fields with their units', () => {
    const caps = decodeVtdCapabilities((0x3fn << 16n) | (0x3ffn << 24n) | (0xffn << 40n) | (0b10001n << 8n) | 7n, (0x1fn << 35n) | (0x3ffn << 8n) | (0xfn << 20n));
    expect(caps.mgawBits).toBe(64);
    expect(caps.faultRecordOffset).toBe(0x3ff0);
    expect(caps.faultRecordCount).toBe(256);
    expect(caps.sagaw).toEqual([30, 66]);
    expect(caps.nd).toBe(7);
    expect(caps.pasidBits).toBe(32);
    expect(caps.iotlbRegisterOffset).toBe(0x3ff0);
    expect(caps.mhmv).toBe(15);
    expect(hostAddressWidth(caps)).toBe(52);
  });

  it('relates AW values to SAGAW widths', () => {
    expect([0, 1, 2, 3, 4].map(agawOfAw)).toEqual([30, 39, 48, 57, 66]);
    expect([0, 1, 2, 3, 4].map((aw) => sagawSupportsAw(DEFAULT_VTD_CAPABILITIES, aw))).toEqual([false, true, true, true, false]);
  });
});

describe('CAP_REG / ECAP_REG round trip', () => {
  it('encode(decode(x)) keeps exactly the defined bits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (cap, ecap) => {
        const out = encodeVtdCapabilities(decodeVtdCapabilities(cap, ecap));
        expect(out.cap).toBe(cap & CAP_DEFINED_MASK);
        expect(out.ecap).toBe(ecap & ECAP_DEFINED_MASK);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips the defaults exactly', () => {
    expect(encodeVtdCapabilities(DEFAULT_VTD_CAPABILITIES)).toEqual({ cap: DEFAULT_VTD_CAP, ecap: DEFAULT_VTD_ECAP });
  });

  it('rejects capability values that have no encoding', () => {
    expect(() => encodeVtdCapabilities({ ...DEFAULT_VTD_CAPABILITIES, sagaw: [40] })).toThrow(
      expect.objectContaining({ code: 'ARGUMENT' }),
    );
    try {
      encodeVtdCapabilities({ ...DEFAULT_VTD_CAPABILITIES, faultRecordOffset: 0x221 });
      expect.unreachable();
    } catch (e) {
      expect(isIommuError(e, 'FIELD_RANGE')).toBe(true);
    }
    expect(() => encodeVtdCapabilities({ ...DEFAULT_VTD_CAPABILITIES, pasidBits: 0 })).toThrow();
  });
});
