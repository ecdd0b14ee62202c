import { describe, it, expect } from 'vitest';
import { Access, isIommuError } from '@viommu/core';
import { DEFAULT_VTD_CAP, DEFAULT_VTD_ECAP, encodeRtaddr } from '../src/structures/index';
import { Gcmd, Gsts, VtdModel, VtdRegister } from '../src/model/index';
import { DATA_BASE, Machine, RW } from './model-support';

const SID = 0x0100;

describe('register file layout (VT-d spec §10.4)', () => {
  it('reads VER, CAP and ECAP at 0x0, 0x8, 0x10, also as 32-bit halves', () => {
    const { model } = new Machine(false);
    expect(model.readRegister(VtdRegister.VER, 4)).toBe(0x30n);
    expect(model.readRegister(0x8)).toBe(DEFAULT_VTD_CAP);
    expect(model.readRegister(0x10)).toBe(DEFAULT_VTD_ECAP);
    expect(model.readRegister(0xc, 4)).toBe(DEFAULT_VTD_CAP >> 32n);
    expect(model.readRegister(0x10, 4)).toBe(DEFAULT_VTD_ECAP & 0xffff_ffffn);
    model.writeRegister(0x8, 0n);
    expect(model.readRegister(0x8)).toBe(DEFAULT_VTD_CAP);
  });

  it('places the IOTLB registers at ECAP.IRO × 16 and the fault recording registers at CAP.FRO × 16', () => {
    const { model } = new Machine(false);
    expect(model.ivaOffset).toBe(0xf0);
    expect(model.faultRecordOffset(0)).toBe(0x220);
    expect(model.faultRecordOffset(7)).toBe(0x290);
    expect(model.faultLog.count).toBe(8);
  });

  it('rejects misaligned and odd-sized accesses with IommuError ARGUMENT', () => {
    const { model } = new Machine(false);
    for (const [offset, size] of [
      [0x1c, 8],
      [0x2, 4],
      [0x8, 2],
    ] as const) {
      let caught: unknown;
      try {
        model.readRegister(offset, size as 4);
      } catch (e) {
        caught = e;
      }
      expect(isIommuError(caught, 'ARGUMENT')).toBe(true);
    }
    expect(() => new VtdModel(new Machine(false).memory, { hostAddressWidth: 60 })).toThrow();
  });

  it('reads unimplemented offsets as 0 and ignores writes to them', () => {
    const { model } = new Machine(false);
    model.writeRegister(0x300, 0xffffn, 4);
    expect(model.readRegister(0x300, 4)).toBe(0n);
  });

  it('keeps only the writable bits of plain registers (FEDATA, FEADDR, IRTA, PQA)', () => {
    const { model } = new Machine(false);
    model.writeRegister(VtdRegister.FEDATA, 0xffff_ffffn, 4);
    model.writeRegister(VtdRegister.FEADDR, 0xffff_ffffn, 4);
    model.writeRegister(VtdRegister.IRTA, 0xffff_ffff_ffff_ffffn);
    model.writeRegister(VtdRegister.PQA, 0xffff_ffff_ffff_ffffn);
    expect(model.readRegister(VtdRegister.FEDATA, 4)).toBe(0xffffn);
    expect(model.readRegister(VtdRegister.FEADDR, 4)).toBe(0xffff_fffcn);
    expect(model.readRegister(VtdRegister.IRTA)).toBe(0xffff_ffff_ffff_f80fn);
    expect(model.readRegister(VtdRegister.PQA)).toBe(0xffff_ffff_ffff_f007n);
    expect(model.readRegister(VtdRegister.FECTL, 4)).toBe(0x8000_0000n);
    expect(model.readRegister(VtdRegister.IECTL, 4)).toBe(0x8000_0000n);
    expect(model.readRegister(VtdRegister.PECTL, 4)).toBe(0x8000_0000n);
  });
});

describe('GCMD / GSTS / RTADDR', () => {
  it('GCMD reads 0; GSTS reflects TE, SRTP (RTPS), QIE; RTADDR keeps bits 63:10', () => {
    const { model } = new Machine(false);
    expect(model.readRegister(VtdRegister.GSTS, 4)).toBe(0n);
    model.writeRegister(VtdRegister.RTADDR, 0xffff_ffff_ffff_ffffn);
    expect(model.readRegister(VtdRegister.RTADDR)).toBe(0xffff_ffff_ffff_fc00n);
    model.writeRegister(VtdRegister.RTADDR, 0x10_0000n);
    model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.SRTP), 4);
    expect(model.readRegister(VtdRegister.GSTS, 4)).toBe(BigInt(Gsts.RTPS));
    model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.TE | Gcmd.QIE), 4);
    expect(model.readRegister(VtdRegister.GSTS, 4)).toBe(BigInt((Gsts.RTPS | Gsts.TES | Gsts.QIES) >>> 0));
    expect(model.readRegister(VtdRegister.GCMD, 4)).toBe(0n);
    expect(model.translationEnabled).toBe(true);
    model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.QIE), 4); // TE off, QIE kept
    expect(model.readRegister(VtdRegister.GSTS, 4)).toBe(BigInt(Gsts.RTPS | Gsts.QIES));
    // Interrupt remapping is not reported by the default ECAP: IRE has no effect.
    model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.IRE), 4);
    expect(model.readRegister(VtdRegister.GSTS, 4) & BigInt(Gsts.IRES)).toBe(0n);
  });

  it('SRTP latches RTADDR: a later RTADDR write has no effect until the next SRTP', () => {
    const m = new Machine(false);
    const sl = m.secondLevel();
    sl.map(0x1000, DATA_BASE, 0x1000, RW);
    m.legacyContext(SID, { P: 1, AW: 2, SLPTPTR: sl.root, DID: 1 });
    m.enable();
    m.model.writeRegister(VtdRegister.RTADDR, encodeRtaddr({ rootTableAddress: 0x3000_0000 }));
    expect(m.model.rootTable).toBe(m.rootTable);
    expect(m.model.translate({ sourceId: SID, address: 0x1000, access: Access.READ }, { uncached: true }).ok).toBe(true);
    m.model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.SRTP | Gcmd.TE), 4);
    expect(m.model.rootTable).toBe(0x3000_0000);
    const r = m.model.translate({ sourceId: SID, address: 0x1000, access: Access.READ }, { uncached: true });
    expect(!r.ok && r.reason).toBe(0x8);
  });
});

describe('register-based invalidation', () => {
  function setup() {
    const m = new Machine(false);
    const sl = m.secondLevel();
    sl.map(0x1000, DATA_BASE, 0x1000, RW);
    m.legacyContext(SID, { P: 1, AW: 2, SLPTPTR: sl.root, DID: 3 });
    m.enable();
    expect(m.model.translate({ sourceId: SID, address: 0x1000, access: Access.READ }).ok).toBe(true);
    return { m, sl };
  }

  it('CCMD: ICC clears on completion, CAIG reports the granularity, the context cache is dropped', () => {
    const { m } = setup();
    expect(m.model.caches.context.size).toBe(1);
    // Domain-selective for another DID leaves it.
    m.model.writeRegister(VtdRegister.CCMD, (1n << 63n) | (2n << 61n) | 4n);
    expect(m.model.caches.context.size).toBe(1);
    expect(m.model.readRegister(VtdRegister.CCMD)).toBe((2n << 61n) | (2n << 59n) | 4n);
    // Device-selective with FM = 3 (function bits masked) for a sibling function drops it.
    m.model.writeRegister(VtdRegister.CCMD, (1n << 63n) | (3n << 61n) | (3n << 32n) | (BigInt(SID | 5) << 16n));
    expect(m.model.caches.context.size).toBe(0);
    expect(m.model.readRegister(VtdRegister.CCMD) >> 59n).toBe(0b1111n); // ICC 0, CIRG 11b, CAIG 11b
  });

  it('CCMD written as two 32-bit halves acts when the half holding ICC is written', () => {
    const { m } = setup();
    m.model.writeRegister(VtdRegister.CCMD, 0n, 4);
    expect(m.model.caches.context.size).toBe(1);
    m.model.writeRegister(VtdRegister.CCMD + 4, 0xa000_0000n, 4); // ICC | CIRG = 01b
    expect(m.model.caches.context.size).toBe(0);
    expect(m.model.readRegister(VtdRegister.CCMD + 4, 4)).toBe(0x2800_0000n); // CIRG 01b, CAIG 01b
  });

  it('IOTLB_REG: page-selective within CAP.MAMV, domain-selective beyond it (IAIG)', () => {
    const { m, sl } = setup();
    const iva = m.model.ivaOffset;
    sl.map(0x40_0000, DATA_BASE + 0x4000, 0x1000, RW);
    m.model.translate({ sourceId: SID, address: 0x40_0000, access: Access.READ });
    expect(m.model.caches.iotlb.size).toBe(2);
    m.model.writeRegister(iva, 0x1000n); // ADDR 0x1000, AM 0
    m.model.writeRegister(iva + 8, (1n << 63n) | (3n << 60n) | (3n << 32n));
    expect(m.model.caches.iotlb.size).toBe(1);
    expect(m.model.readRegister(iva + 8)).toBe((3n << 60n) | (3n << 57n) | (3n << 32n));
    m.model.writeRegister(iva, 0x3fn); // AM 63 > MAMV
    m.model.writeRegister(iva + 8, (1n << 63n) | (3n << 60n) | (3n << 32n));
    expect(m.model.caches.iotlb.size).toBe(0);
    expect((m.model.readRegister(iva + 8) >> 57n) & 3n).toBe(2n);
    expect(m.model.readRegister(iva)).toBe(0x3fn);
  });

  it('IOTLB_REG global and domain-selective', () => {
    const { m } = setup();
    const iva = m.model.ivaOffset;
    m.model.writeRegister(iva + 8, (1n << 63n) | (2n << 60n) | (9n << 32n));
    expect(m.model.caches.iotlb.size).toBe(1);
    m.model.writeRegister(iva + 8, (1n << 63n) | (1n << 60n));
    expect(m.model.caches.iotlb.size).toBe(0);
    expect((m.model.readRegister(iva + 8) >> 57n) & 3n).toBe(1n);
  });
});
