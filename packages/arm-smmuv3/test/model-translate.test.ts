import { Access, Perm, PoolAllocator, SparseMemory, type TraceEntry } from '@viommu/core';
import { describe, expect, it } from 'vitest';
import { CD, DEFAULT_SMMU_IDR } from '../src/structures/index';
import { Gbpa, SmmuReg, SmmuV3Model } from '../src/model/index';
import { Fixture, Layout, RO, RW, cdFields, guestView, s1SteFields, s2SteFields, stage1Tables, stage2Tables } from './model-fixture';

describe('SMMUEN == 0', () => {
  it('bypasses with GBPA.ABORT == 0 and aborts silently with GBPA.ABORT == 1 or beyond the OAS', () => {
    const smmu = new SmmuV3Model(new SparseMemory());
    const r = smmu.translate({ streamId: 7, address: 0x1234_5678, access: Access.READ });
    expect(r).toMatchObject({ ok: true, output: 0x1234_5678, cached: false });
    const big = smmu.translate({ streamId: 7, address: 2 ** 48, access: Access.READ });
    expect(big).toMatchObject({ ok: false, abort: 'DISABLED_ADDRESS_SIZE', recorded: false, event: undefined });
    smmu.writeRegister(SmmuReg.GBPA, (Gbpa.UPDATE | Gbpa.ABORT) >>> 0);
    expect(smmu.readRegister(SmmuReg.GBPA)).toBe(BigInt(Gbpa.ABORT)); // Update completes at once
    expect(smmu.translate({ streamId: 7, address: 0x1000, access: Access.READ })).toMatchObject({ ok: false, abort: 'GBPA_ABORT' });
  });
});

describe('stage 1 translation (Config 0b101)', () => {
  function setup() {
    const fx = new Fixture();
    const s1 = stage1Tables(fx.mem, fx.pool);
    s1.map(0x40_0000, Layout.DATA, 0x2000, RW);
    s1.map(0x60_0000, Layout.DATA + 0x10_0000, 0x1000, RO);
    const cd = fx.structAlloc(64);
    fx.writeStruct(cd, CD.encode(cdFields(s1.root, 5)));
    fx.writeSte(3, s1SteFields(cd));
    return { fx, s1, cd };
  }

  it('translates, then serves the same page from the IOTLB', () => {
    const { fx } = setup();
    const a = fx.smmu.translate({ streamId: 3, address: 0x40_1234, access: Access.WRITE });
    expect(a).toEqual({ ok: true, output: Layout.DATA + 0x1234, ipa: Layout.DATA + 0x1234, pageShift: 12, permitted: Perm.UR | Perm.UW | Perm.PR | Perm.PW, cached: false });
    const b = fx.smmu.translate({ streamId: 3, address: 0x40_1ff8, access: Access.READ });
    expect(b).toMatchObject({ ok: true, output: Layout.DATA + 0x1ff8, cached: true });
    const u = fx.smmu.translate({ streamId: 3, address: 0x40_1ff8, access: Access.READ }, { uncached: true });
    expect(u).toMatchObject({ ok: true, output: Layout.DATA + 0x1ff8, cached: false });
  });

  it('traces the STE, CD and every descriptor read in order', () => {
    const { fx, s1, cd } = setup();
    const trace: TraceEntry[] = [];
    fx.smmu.translate({ streamId: 3, address: 0x40_0000, access: Access.READ }, { trace });
    const labels = trace.map((t) => (t.stage === 0 ? t.label : `s${t.stage}L${t.level}`));
    expect(labels).toEqual([...Array(8).fill('STE'), ...Array(8).fill('CD'), 's1L1', 's1L2', 's1L3']);
    expect(trace[0]!.address).toBe(Layout.STRTAB + 3 * 64);
    expect(trace[8]!.address).toBe(cd);
    expect(trace[16]!.address).toBe(s1.root); // VA[38:30] = 0
    // A second, cached translation reads nothing.
    const again: TraceEntry[] = [];
    fx.smmu.translate({ streamId: 3, address: 0x40_0000, access: Access.READ }, { trace: again });
    expect(again).toEqual([]);
  });

  it('TBI0 ignores VA[63:56]; without it a non-canonical top byte is a stage-1 F_TRANSLATION', () => {
    const { fx, s1 } = setup();
    const tagged = 0x5a00_0000_0040_1234n;
    expect(fx.smmu.translate({ streamId: 3, address: tagged, access: Access.READ })).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION', fields: { InputAddr: tagged } } });
    const cd = fx.structAlloc(64);
    fx.writeStruct(cd, CD.encode(cdFields(s1.root, 6, { TBI0: 1 })));
    fx.writeSte(4, s1SteFields(cd));
    expect(fx.smmu.translate({ streamId: 4, address: tagged, access: Access.READ })).toMatchObject({ ok: true, output: Layout.DATA + 0x1234 });
  });

  it('E0PD0 faults unprivileged accesses to the TTB0 half, even when the IOTLB holds the page', () => {
    const { fx, s1 } = setup();
    const cd = fx.structAlloc(64);
    fx.writeStruct(cd, CD.encode(cdFields(s1.root, 5, { E0PD0: 1 })));
    fx.writeSte(4, s1SteFields(cd));
    expect(fx.smmu.translate({ streamId: 4, address: 0x40_0000, access: Access.READ | Access.PRIV })).toMatchObject({ ok: true });
    expect(fx.smmu.translate({ streamId: 4, address: 0x40_0000, access: Access.READ })).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION', fields: { PnU: 0 } } });
  });

  it('STE.PRIVCFG and INSTCFG override the incoming attributes when IDR1.ATTR_PERMS_OVR == 1 (events report the post-override values)', () => {
    for (const ovr of [false, true]) {
      const fx = new Fixture(ovr ? { idr1: (DEFAULT_SMMU_IDR.idr1 | (1 << 26)) >>> 0 } : {});
      const s1 = stage1Tables(fx.mem, fx.pool);
      const cd = fx.structAlloc(64);
      fx.writeStruct(cd, CD.encode(cdFields(s1.root, 5)));
      fx.writeSte(5, s1SteFields(cd, { PRIVCFG: 3, INSTCFG: 3 }));
      const r = fx.smmu.translate({ streamId: 5, address: 0x50_0000, access: Access.READ });
      const on = ovr ? 1 : 0;
      expect(r).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION', fields: { PnU: on, InD: on, RnW: 1 } } });
      const w = fx.smmu.translate({ streamId: 5, address: 0x50_0000, access: Access.WRITE });
      expect(w).toMatchObject({ ok: false, event: { fields: { PnU: on, InD: 0, RnW: 0 } } });
    }
  });

  it('an NS-EL2 stream (STRW = 0b10) is tagged apart: CMD_TLBI_EL2_ALL invalidates it, CMD_TLBI_NH_ALL does not', () => {
    const { fx, s1, cd } = setup();
    fx.writeSte(6, s1SteFields(cd, { STRW: 2 }));
    expect(fx.smmu.translate({ streamId: 6, address: 0x40_0000, access: Access.READ | Access.PRIV })).toMatchObject({ ok: true, output: Layout.DATA });
    s1.unmap(0x40_0000, 0x1000);
    fx.cmd({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: 0 } }, { name: 'CMD_TLBI_NSNH_ALL' });
    expect(fx.smmu.translate({ streamId: 6, address: 0x40_0000, access: Access.READ | Access.PRIV })).toMatchObject({ ok: true, cached: true });
    fx.cmd({ name: 'CMD_TLBI_EL2_ALL' });
    expect(fx.smmu.translate({ streamId: 6, address: 0x40_0000, access: Access.READ | Access.PRIV })).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION' } });
  });

  it('a permission miss in the IOTLB walks again and reports F_PERMISSION', () => {
    const { fx } = setup();
    expect(fx.smmu.translate({ streamId: 3, address: 0x60_0000, access: Access.READ })).toMatchObject({ ok: true });
    const w = fx.smmu.translate({ streamId: 3, address: 0x60_0008, access: Access.WRITE });
    expect(w).toMatchObject({ ok: false, recorded: true, event: { name: 'F_PERMISSION', fields: { S2: 0, CLASS: 2, RnW: 0 } } });
  });
});

describe('stage 2 only (Config 0b110) and nested (Config 0b111)', () => {
  it('translates an IPA through stage 2', () => {
    const fx = new Fixture();
    const s2 = stage2Tables(fx.mem, fx.pool);
    s2.map(0x1_0000, Layout.DATA, 0x1_0000, RW);
    fx.writeSte(9, { V: 1, Config: 6, ...s2SteFields(s2.root, 3) });
    expect(fx.smmu.translate({ streamId: 9, address: 0x1_2345, access: Access.READ })).toMatchObject({ ok: true, output: Layout.DATA + 0x2345 });
  });

  it('fetches the CD and every stage-1 table through stage 2', () => {
    const fx = new Fixture();
    const s2 = stage2Tables(fx.mem, fx.pool);
    const gpaBase = 0x4000_0000; // guest memory IPA range, backed by PA [0x0c00_0000, +16 MiB)
    s2.map(gpaBase, 0x0c00_0000, 16 * 1024 * 1024, RW);
    const guest = guestView(fx, s2);
    const galloc = new PoolAllocator(guest, gpaBase + 0x10_0000, 0x80_0000);
    const s1 = stage1Tables(guest, galloc);
    s1.map(0x7000, gpaBase + 0x9000, 0x1000, RW);
    const cdIpa = gpaBase;
    fx.writeStruct(cdIpa, CD.encode(cdFields(s1.root, 1)), guest);
    fx.writeSte(4, { V: 1, Config: 7, S1ContextPtr: BigInt(cdIpa), ...s2SteFields(s2.root, 2) });
    const trace: TraceEntry[] = [];
    const r = fx.smmu.translate({ streamId: 4, address: 0x7010, access: Access.READ }, { trace });
    expect(r).toMatchObject({ ok: true, output: 0x0c00_9010, ipa: gpaBase + 0x9010 });
    const cdReads = trace.filter((t) => t.stage === 0 && t.label === 'CD');
    expect(cdReads[0]).toMatchObject({ address: 0x0c00_0000, ipa: cdIpa });
    expect(trace.some((t) => t.stage === 2 && t.purpose === 'config')).toBe(true);
    expect(trace.some((t) => t.stage === 2 && t.purpose === 's1-table')).toBe(true);
  });
});
