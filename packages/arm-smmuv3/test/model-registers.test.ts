import { Access, SparseMemory, isIommuError } from '@viommu/core';
import { describe, expect, it } from 'vitest';
import { CD, DEFAULT_SMMU_IDR } from '../src/structures/index';
import { Cr0, Cr2, DEFAULT_MODEL_IDR0, DEFAULT_MODEL_IDR3, Gerror, QUEUE_OVERFLOW_FLAG, SmmuReg, SmmuV3Model } from '../src/model/index';
import { Fixture, Layout, RW, cdFields, s1SteFields, stage1Tables } from './model-fixture';

describe('register file (§6.2, §6.3)', () => {
  it('places registers at the architected offsets, page 1 at +0x10000', () => {
    expect(SmmuReg).toMatchObject({
      IDR0: 0x0,
      IDR1: 0x4,
      IDR5: 0x14,
      CR0: 0x20,
      CR0ACK: 0x24,
      CR1: 0x28,
      CR2: 0x2c,
      GBPA: 0x44,
      GERROR: 0x60,
      GERRORN: 0x64,
      STRTAB_BASE: 0x80,
      STRTAB_BASE_CFG: 0x88,
      CMDQ_BASE: 0x90,
      CMDQ_PROD: 0x98,
      CMDQ_CONS: 0x9c,
      EVENTQ_BASE: 0xa0,
      EVENTQ_PROD: 0x100a8,
      EVENTQ_CONS: 0x100ac,
    });
  });

  it('reads the ID registers and ignores writes to them', () => {
    const smmu = new SmmuV3Model(new SparseMemory());
    expect(smmu.readRegister(SmmuReg.IDR0)).toBe(BigInt(DEFAULT_MODEL_IDR0));
    expect(smmu.readRegister(SmmuReg.IDR1)).toBe(BigInt(DEFAULT_SMMU_IDR.idr1));
    expect(smmu.readRegister(SmmuReg.IDR3)).toBe(BigInt(DEFAULT_MODEL_IDR3));
    expect(smmu.readRegister(SmmuReg.IDR5)).toBe(BigInt(DEFAULT_SMMU_IDR.idr5));
    expect((DEFAULT_MODEL_IDR0 >>> 6) & 3).toBe(1); // HTTU: Access flag only
    smmu.writeRegister(SmmuReg.IDR0, 0);
    expect(smmu.readRegister(SmmuReg.IDR0)).toBe(BigInt(DEFAULT_MODEL_IDR0));
    expect(smmu.readRegister(0x0f00)).toBe(0n); // undefined offsets are RES0
  });

  it('CR0ACK follows CR0 at once; reserved bits read as zero', () => {
    const smmu = new SmmuV3Model(new SparseMemory());
    smmu.writeRegister(SmmuReg.CR0, 0xffff_ffff);
    const implemented = Cr0.SMMUEN | Cr0.PRIQEN | Cr0.EVENTQEN | Cr0.CMDQEN | Cr0.ATSCHK; // no VMW in the default IDR0
    expect(smmu.readRegister(SmmuReg.CR0)).toBe(BigInt(implemented));
    expect(smmu.readRegister(SmmuReg.CR0ACK)).toBe(BigInt(implemented));
  });

  it('64-bit registers take 64-bit and 32-bit half accesses; Guarded registers ignore writes while enabled', () => {
    const smmu = new SmmuV3Model(new SparseMemory());
    smmu.writeRegister(SmmuReg.STRTAB_BASE, 0x4000_0012_3456_7840n);
    expect(smmu.readRegister(SmmuReg.STRTAB_BASE)).toBe(0x4000_0012_3456_7840n);
    expect(smmu.readRegister(SmmuReg.STRTAB_BASE + 4, 4)).toBe(0x4000_0012n);
    smmu.writeRegister(SmmuReg.STRTAB_BASE + 4, 0x1, 4);
    expect(smmu.readRegister(SmmuReg.STRTAB_BASE)).toBe(0x1_3456_7840n);
    smmu.writeRegister(SmmuReg.STRTAB_BASE, 0xffn); // ADDR starts at bit 6
    expect(smmu.readRegister(SmmuReg.STRTAB_BASE)).toBe(0xc0n);
    smmu.writeRegister(SmmuReg.CR0, Cr0.SMMUEN | Cr0.CMDQEN);
    smmu.writeRegister(SmmuReg.STRTAB_BASE, 0x1000n);
    smmu.writeRegister(SmmuReg.CMDQ_BASE, 0x2000n);
    smmu.writeRegister(SmmuReg.CR2, Cr2.RECINVSID);
    expect(smmu.readRegister(SmmuReg.STRTAB_BASE)).toBe(0xc0n);
    expect(smmu.readRegister(SmmuReg.CMDQ_BASE)).toBe(0n);
    expect(smmu.readRegister(SmmuReg.CR2)).toBe(0n);
  });

  it('rejects misaligned and unsupported accesses and values that do not fit', () => {
    const smmu = new SmmuV3Model(new SparseMemory());
    for (const call of [
      () => smmu.readRegister(0x22),
      () => smmu.readRegister(SmmuReg.STRTAB_BASE + 4, 8),
      () => smmu.writeRegister(SmmuReg.CR0, 1n << 32n),
      () => smmu.writeRegister(0x2_0000, 0),
    ]) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(isIommuError(error, 'ARGUMENT')).toBe(true);
    }
  });
});

describe('Event queue (§7.2, §7.4)', () => {
  function faulting(fx: Fixture): () => unknown {
    const s1 = stage1Tables(fx.mem, fx.pool);
    s1.map(0x1000, Layout.DATA, 0x1000, RW);
    const cd = fx.structAlloc(64);
    fx.writeStruct(cd, CD.encode(cdFields(s1.root, 1)));
    fx.writeSte(1, s1SteFields(cd));
    let n = 0;
    return () => fx.smmu.translate({ streamId: 1, address: 0x10_0000 + 0x1000 * n++, access: Access.READ });
  }

  it('fills the queue, then flags one overflow until software acknowledges it', () => {
    const fx = new Fixture({ eventqLog2: 2 });
    const fault = faulting(fx);
    for (let i = 0; i < 4; i++) expect(fault()).toMatchObject({ recorded: true, delivery: 'recorded' });
    expect(fault()).toMatchObject({ recorded: false, delivery: 'overflow' });
    const prod = Number(fx.smmu.readRegister(SmmuReg.EVENTQ_PROD));
    expect(prod).toBe((QUEUE_OVERFLOW_FLAG | 0b100) >>> 0); // wrapped once, OVFLG toggled
    fault();
    expect(Number(fx.smmu.readRegister(SmmuReg.EVENTQ_PROD))).toBe(prod); // a second overflow changes nothing
    const events = fx.smmu.readEvents();
    expect(events.map((e) => e.name)).toEqual(['F_TRANSLATION', 'F_TRANSLATION', 'F_TRANSLATION', 'F_TRANSLATION']);
    expect(events.map((e) => ('fields' in e ? e.fields : undefined))).toMatchObject([
      { InputAddr: 0x10_0000n },
      { InputAddr: 0x10_1000n },
      { InputAddr: 0x10_2000n },
      { InputAddr: 0x10_3000n },
    ]);
    // Software acknowledges: OVACKFLG = OVFLG. The next overflow toggles OVFLG again.
    fx.smmu.writeRegister(SmmuReg.EVENTQ_CONS, (QUEUE_OVERFLOW_FLAG | 0b100) >>> 0);
    for (let i = 0; i < 4; i++) expect(fault()).toMatchObject({ delivery: 'recorded' });
    expect(fault()).toMatchObject({ delivery: 'overflow' });
    expect(Number(fx.smmu.readRegister(SmmuReg.EVENTQ_PROD))).toBe(0b000);
  });

  it('discards events while EVENTQEN == 0, and raises EVENTQ_ABT_ERR when the queue write aborts', () => {
    const off = new Fixture({ eventq: false });
    expect(faulting(off)()).toMatchObject({ recorded: false, delivery: 'disabled' });
    const fx = new Fixture();
    fx.smmu.writeRegister(SmmuReg.CR0, Cr0.SMMUEN | Cr0.CMDQEN);
    fx.smmu.writeRegister(SmmuReg.EVENTQ_BASE, BigInt(Layout.BACKED_END | 4));
    fx.smmu.writeRegister(SmmuReg.CR0, Cr0.SMMUEN | Cr0.CMDQEN | Cr0.EVENTQEN);
    const fault = faulting(fx);
    expect(fault()).toMatchObject({ recorded: false, delivery: 'write-abort' });
    expect(Number(fx.smmu.readRegister(SmmuReg.GERROR)) & Gerror.EVENTQ_ABT_ERR).toBe(Gerror.EVENTQ_ABT_ERR);
    expect(fx.smmu.readRegister(SmmuReg.EVENTQ_PROD)).toBe(0n);
    expect(fault()).toMatchObject({ delivery: 'aborted-queue' });
  });
});
