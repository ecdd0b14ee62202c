import { describe, expect, it } from 'vitest';
import { Access, IommuError, PoolAllocator, SparseMemory } from '@viommu/core';
import {
  Cr0,
  DEFAULT_SMMU_CAPABILITIES,
  encodeCommand,
  encodeIdRegisters,
  L1STD,
  SmmuReg,
  SmmuV3HostDriver,
  SmmuV3Model,
  STE,
  type SmmuCapabilityFields,
  type SmmuV3Domain,
} from '../src/index';
import { recordCommands, names } from './support/commands';
import { buildHost, buildNestedGuest } from './support/setup';

function idr1With(changes: Partial<SmmuCapabilityFields>): number {
  return encodeIdRegisters({ ...DEFAULT_SMMU_CAPABILITIES, ...changes }).idr1;
}

function bareDriver(modelOptions = {}, driverOptions = {}) {
  const mem = new SparseMemory().back(0x100_0000, 0x100_0000);
  const model = new SmmuV3Model(mem, modelOptions);
  const driver = new SmmuV3HostDriver(model, mem, new PoolAllocator(mem, 0x100_0000, 0x100_0000), driverOptions);
  return { mem, model, driver };
}

describe('host driver probe and reset', () => {
  it('programs a 2-level Stream table (SPLIT 8), both queues, and enables the SMMU', () => {
    const { model, driver } = bareDriver();
    const reg = (o: number, s?: 4 | 8) => model.readRegister(o, s);
    expect(Number(reg(SmmuReg.CR0)) & 0xf).toBe(Cr0.SMMUEN | Cr0.EVENTQEN | Cr0.CMDQEN);
    expect(reg(SmmuReg.CR0ACK)).toBe(reg(SmmuReg.CR0));
    // FMT = 1 (2-level), SPLIT = 8, LOG2SIZE = IDR1.SIDSIZE = 16.
    expect(Number(reg(SmmuReg.STRTAB_BASE_CFG))).toBe((1 << 16) | (8 << 6) | 16);
    expect(reg(SmmuReg.STRTAB_BASE)).toBe((1n << 62n) | BigInt(driver.streamTable.base));
    expect(reg(SmmuReg.CMDQ_BASE)).toBe((1n << 62n) | BigInt(driver.cmdq.base) | 8n);
    expect(reg(SmmuReg.EVENTQ_BASE)).toBe((1n << 62n) | BigInt(driver.eventq.base) | 8n);
    // The level-1 table holds 2^(16 − 8) L1STDs and is aligned to its 2 KB size.
    expect(driver.streamTable.base % 2048).toBe(0);
    expect(driver.cmdq.base % driver.cmdq.bytes).toBe(0);
    // Reset issued CMD_CFGI_ALL, CMD_TLBI_NSNH_ALL, CMD_TLBI_EL2_ALL and a CMD_SYNC, all consumed.
    expect(driver.cmdq.issued).toBe(4);
    expect(Number(reg(SmmuReg.CMDQ_CONS)) & 0x1ff).toBe(4);
  });

  it('uses a linear Stream table of abort STEs when StreamIDs fit in SPLIT bits', () => {
    const { mem, model, driver } = bareDriver({ idr1: idr1With({ sidSize: 6 }) });
    expect(driver.streamTable.format).toBe('linear');
    expect(Number(model.readRegister(SmmuReg.STRTAB_BASE_CFG))).toBe(6);
    expect(mem.read32(driver.streamTable.base + 63 * 64)).toBe(1); // V = 1, Config = abort
    const r = model.translate({ streamId: 63, address: 0x1000, access: Access.READ });
    expect(r).toMatchObject({ ok: false, abort: 'STE_ABORT' });
  });

  it('allocates a level-2 array on first use: abort STEs, then the L1STD (Span = SPLIT + 1) and CMD_CFGI_STE_RANGE', () => {
    const h = buildHost();
    const cmds = recordCommands(h.smmu);
    const before = h.smmu.model.translate({ streamId: 0x305, address: 0, access: Access.READ });
    expect(before).toMatchObject({ ok: false, event: { name: 'C_BAD_STREAMID' } }); // L1STD.Span == 0
    const domain = h.iommu.createDomain('identity');
    h.iommu.attachDevice(domain, 0x305);
    const st = h.smmu.driver.streamTable;
    const l1 = new Uint32Array([h.memory.read32(st.base + 3 * 8), h.memory.read32(st.base + 3 * 8 + 4)]);
    expect(L1STD.get(l1, 'Span')).toBe(9);
    const l2 = Number(L1STD.getBig(l1, 'L2Ptr'));
    expect(l2 % (256 * 64)).toBe(0);
    expect(st.steAddress(0x305)).toBe(l2 + 5 * 64);
    expect(cmds[0]).toMatchObject({ name: 'CMD_CFGI_STE_RANGE', fields: { StreamID: 0x300, Range: 7 } });
    expect(STE.get(h.smmu.steOf(0x305), 'Config')).toBe(0b100);
    expect(h.smmu.model.translate({ streamId: 0x306, address: 0, access: Access.READ })).toMatchObject({ ok: false, abort: 'STE_ABORT' });
    expect(h.smmu.model.translate({ streamId: 0x305, address: 0x1234, access: Access.READ })).toMatchObject({ ok: true, output: 0x1234 });
  });

  it('refuses StreamIDs outside the Stream table', () => {
    const h = buildHost();
    const d = h.iommu.createDomain('blocked');
    expect(() => h.iommu.attachDevice(d, 0x1_0000)).toThrowError(expect.objectContaining({ code: 'DEVICE_UNKNOWN' }));
  });
});

describe('Command queue', () => {
  it('wraps around the ring and keeps CONS in step', () => {
    const { model, driver } = bareDriver({}, { cmdqLog2Size: 3 });
    const cmd = encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: 1, ASID: 2 } });
    for (let i = 0; i < 5; i++) driver.submit(Array.from({ length: 6 }, () => cmd));
    // 4 reset commands + 5 × (6 + SYNC) = 39 commands through an 8-entry ring.
    expect(driver.cmdq.issued).toBe(39);
    expect(Number(model.readRegister(SmmuReg.CMDQ_CONS)) & 0xf).toBe(39 % 16);
  });

  it('reports a command the SMMU rejects, then restarts the queue', () => {
    const { model, driver } = bareDriver();
    const bad = Uint32Array.of(0x7f, 0, 0, 0); // a Reserved opcode: CERROR_ILL
    let error: unknown;
    try {
      driver.submit([bad]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IommuError);
    expect((error as IommuError).message).toContain('CERROR_ILL');
    expect((Number(model.readRegister(SmmuReg.GERROR)) ^ Number(model.readRegister(SmmuReg.GERRORN))) & 1).toBe(0);
    driver.submit([encodeCommand({ name: 'CMD_TLBI_NSNH_ALL' })]);
    expect(Number(model.readRegister(SmmuReg.CMDQ_CONS)) & 0x1ff).toBe(driver.cmdq.issued % 512);
  });
});

describe('Event queue', () => {
  it('drains records and counts an overflow', () => {
    const { model, driver } = bareDriver({}, { eventqLog2Size: 1 });
    // Four C_BAD_STREAMID events (no level-2 array) into a 2-entry queue: two recorded, then overflow.
    for (let sid = 0; sid < 4; sid++) model.translate({ streamId: sid * 0x100, address: 0, access: Access.READ });
    const records = driver.drainEvents();
    expect(records.map((r) => [r[0]! & 0xff, r[1]])).toEqual([
      [0x02, 0],
      [0x02, 0x100],
    ]);
    expect(driver.eventq.overflows).toBe(1);
    // Acknowledged: a new event is recorded again.
    model.translate({ streamId: 0x500, address: 0, access: Access.READ });
    expect(driver.drainEvents().map((r) => r[1])).toEqual([0x500]);
  });
});

describe('stage-2 unmap invalidation', () => {
  it('a paging domain issues CMD_TLBI_S2_IPA per run (range form) and CMD_SYNC', () => {
    const h = buildHost();
    const d = h.iommu.createDomain('paging');
    d.map(0x20_0000, 0x1000_0000, 0x20_0000 + 0x2000, { read: true, write: true });
    h.iommu.attachDevice(d, 1);
    const cmds = recordCommands(h.smmu);
    d.unmap(0x20_0000, 0x20_2000);
    expect(names(cmds)).toEqual(['CMD_TLBI_S2_IPA', 'CMD_TLBI_S2_IPA', 'CMD_SYNC']);
    const vmid = (d.vendor as SmmuV3Domain).vmid;
    expect(cmds[0]!.fields).toMatchObject({ VMID: vmid, Address: 0x20_0000, TG: 1, TTL: 2, SCALE: 9, NUM: 0, Leaf: 1 });
    expect(cmds[1]!.fields).toMatchObject({ VMID: vmid, Address: 0x40_0000, TG: 1, TTL: 3, SCALE: 1, NUM: 0, Leaf: 1 });
  });

  it('a nesting domain adds CMD_TLBI_NH_ALL: a cached nested translation does not outlive the stage-2 unmap', () => {
    const g = buildNestedGuest();
    g.guest.attachPasid(1);
    g.guest.map(1, 0x10_0000, 0x4080_0000, 0x1000, { read: true, user: true });
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig());
    const req = { device: g.device, pasid: 1, address: 0x10_0000, access: Access.READ };
    expect(g.iommu.translate(req).ok).toBe(true);
    expect(g.iommu.translate(req)).toMatchObject({ ok: true, cached: true });
    const cmds = recordCommands(g.smmu);
    g.domain.unmap(0x4080_0000, 0x1000);
    expect(names(cmds)).toEqual(['CMD_TLBI_S2_IPA', 'CMD_TLBI_NH_ALL', 'CMD_SYNC']);
    const after = g.iommu.translate(req);
    expect(after).toMatchObject({ ok: false, fault: { vendor: { name: 'F_TRANSLATION' } } });
    expect(after).toEqual(g.iommu.translate(req, { uncached: true }));
  });

  it('a huge unmap without range invalidation falls back to CMD_TLBI_S12_VMALL', () => {
    const h = buildHost({ model: { idr3: 0 } });
    const d = h.iommu.createDomain('paging');
    d.map(0, 0x1000_0000, 0x20_0000, { read: true });
    d.unmap(0, 0x1000); // split the 2 MB block: 511 pages of 4 KB remain
    const cmds = recordCommands(h.smmu);
    d.unmap(0x1000, 0x1f_f000);
    expect(names(cmds)).toEqual(['CMD_TLBI_S12_VMALL', 'CMD_SYNC']);
  });
});
