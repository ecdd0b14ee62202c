import { describe, expect, it } from 'vitest';
import { Access, isIommuError } from '@viommu/core';
import { Gsts, VtdRegister } from '../src/model/index';
import { decodeRtaddr } from '../src/structures/index';
import { capWith, DATA, EcapBit, ecapWithout, makeHost, qwords } from './support/host';

const SID = 0x0010;

describe('host driver bring-up', () => {
  it('programs scalable mode as Linux does: queue with 256-bit descriptors, root table, global flushes, TE', () => {
    const { vtd } = makeHost();
    const m = vtd.model;
    const gsts = Number(m.readRegister(VtdRegister.GSTS, 4));
    expect((gsts & Gsts.TES) >>> 0).toBe(Gsts.TES);
    expect(gsts & Gsts.QIES).toBe(Gsts.QIES);
    expect(gsts & Gsts.RTPS).toBe(Gsts.RTPS);
    const rt = decodeRtaddr(m.readRegister(VtdRegister.RTADDR));
    expect(rt.scalable).toBe(true);
    expect(rt.rootTableAddress).toBe(vtd.driver.contexts.root);
    const iqa = m.readRegister(VtdRegister.IQA);
    expect(iqa & 0x800n).toBe(0x800n); // DW: 256-bit descriptors in scalable mode
    expect(Number(iqa & ~0xfffn)).toBe(vtd.driver.queue.base);
    // Context-cache global, PASID-cache global, IOTLB global, then the wait descriptor.
    expect(m.queue.executed).toBe(4);
    expect(vtd.driver.queue.lastBatch.map((d) => d.type)).toEqual([1, 7, 2]);
    expect(vtd.capabilities).toEqual({ pasidBits: 20, nesting: true, pageShifts: [12, 21, 30], inputBits: 48, outputBits: 48, pasidTableAlignShift: 12 });
  });

  it('runs in legacy mode without ECAP.SMTS (and when asked to), with 128-bit descriptors and no PASIDs', () => {
    for (const host of [makeHost({ ecap: ecapWithout(EcapBit.SMTS) }), makeHost({ legacy: true })]) {
      const m = host.vtd.model;
      expect(host.vtd.driver.scalable).toBe(false);
      expect(decodeRtaddr(m.readRegister(VtdRegister.RTADDR)).ttm).toBe(0);
      expect(m.readRegister(VtdRegister.IQA) & 0x800n).toBe(0n);
      expect(host.vtd.capabilities.pasidBits).toBe(0);
      expect(host.vtd.capabilities.nesting).toBe(false);
      expect(() => host.iommu.createDomain('nesting')).toThrow(expect.objectContaining({ code: 'DOMAIN_TYPE' }));
    }
  });
});

describe('legacy mode through the host driver', () => {
  it('writes TT / AW / DID / SLPTPTR context entries and translates with large pages', () => {
    const { iommu, vtd } = makeHost({ legacy: true });
    const d = iommu.createDomain('paging');
    d.map(0x20_0000, DATA.base, 0x20_0000, { read: true, write: true });
    d.map(0x4000_0000, 0x4000_0000, 0x4000_0000, { read: true });
    d.map(0x1000, DATA.base + 0x40_0000, 0x1000, { read: true });
    iommu.attachDevice(d, SID);
    const vd = d.vendor as unknown as { did: number; table: { builder: { root: number } } };
    // Legacy context entry (§9.3): qword 0 = SLPTPTR | TT 00b | P; qword 1 = DID << 8 | AW 2 (4-level, 48-bit).
    expect(qwords(vtd.driver.readContextEntry(SID))).toEqual([BigInt(vd.table.builder.root) | 1n, (BigInt(vd.did) << 8n) | 2n]);
    const r = iommu.translate({ device: SID, address: 0x20_0123, access: Access.READ });
    expect(r).toMatchObject({ ok: true, output: DATA.base + 0x123, pageShift: 21 });
    expect(iommu.translate({ device: SID, address: 0x5555_0000, access: Access.READ })).toMatchObject({ ok: true, output: 0x5555_0000, pageShift: 30 });
    expect(iommu.translate({ device: SID, address: 0x1fff, access: Access.READ })).toMatchObject({ ok: true, output: DATA.base + 0x40_0fff, pageShift: 12 });
    const w = iommu.translate({ device: SID, address: 0x4000_0000, access: Access.WRITE });
    expect(w.ok).toBe(false);
    if (!w.ok) expect([w.fault.vendor.code, w.fault.reason, w.recorded]).toEqual([0x5, 'permission', true]);
    const p = iommu.translate({ device: SID, pasid: 1, address: 0x20_0000, access: Access.READ });
    expect(!p.ok && [p.fault.vendor.code, p.fault.reason, p.fault.pasid]).toEqual([0x31, 'pasid-invalid', 1]);
  });

  it('invalidates the IOTLB page-selectively on unmap, so a cached translation does not survive it', () => {
    const { iommu, vtd } = makeHost({ legacy: true });
    const d = iommu.createDomain('paging');
    d.map(0x1_0000, DATA.base, 0x4000, { read: true, write: true });
    iommu.attachDevice(d, SID);
    expect(iommu.translate({ device: SID, address: 0x1_2000, access: Access.READ })).toMatchObject({ ok: true, cached: false });
    expect(iommu.translate({ device: SID, address: 0x1_2000, access: Access.READ })).toMatchObject({ ok: true, cached: true });
    expect(d.unmap(0x1_2000, 0x1000)).toBe(0x1000);
    const did = (d.vendor as unknown as { did: number }).did;
    expect(vtd.driver.queue.lastBatch).toEqual([{ type: 2, granularity: 'page', drainWrites: false, drainReads: false, did, am: 0, ih: false, address: 0x1_2000n }]);
    const r = iommu.translate({ device: SID, address: 0x1_2000, access: Access.READ });
    expect(!r.ok && [r.fault.vendor.code, r.fault.addr]).toEqual([0x6, 0x1_2000n]);
  });

  it('passes identity domains through (TT = 10b)', () => {
    const { iommu, vtd } = makeHost({ legacy: true });
    const d = iommu.createDomain('identity');
    iommu.attachDevice(d, SID);
    expect((vtd.driver.readContextEntry(SID)[0]! >>> 2) & 3).toBe(2);
    expect(iommu.translate({ device: SID, address: 0x1234_5678, access: Access.WRITE })).toMatchObject({ ok: true, output: 0x1234_5678 });
  });
});

describe('scalable mode through the host driver', () => {
  it('writes the context entry and the RID_PASID second-level entry (known answer)', () => {
    const { iommu, vtd } = makeHost();
    const d = iommu.createDomain('paging');
    iommu.attachDevice(d, 0x0398);
    const vd = d.vendor as unknown as { did: number; table: { builder: { root: number } } };
    const dir = vtd.driver.pasidTables(0x0398).directory;
    // Scalable context entry (§9.4): PASIDDIRPTR | PDTS 7 (0xE00) | PASIDE (bit 3) | P; RID_PASID 0.
    expect(qwords(vtd.driver.readContextEntry(0x0398))).toEqual([BigInt(dir) | 0xe09n, 0n, 0n, 0n]);
    // RID_PASID entry (§9.6): SLPTPTR | PGTT 010b (0x80) | AW 2 (0x8) | P; DID | PWSNP (bit 87, ECAP.SMPWC).
    expect(qwords(vtd.hostPasidEntry(0x0398, 0))).toEqual([BigInt(vd.table.builder.root) | 0x89n, BigInt(vd.did) | (1n << 23n), 0n, 0n, 0n, 0n, 0n, 0n]);
  });

  it('replacing a present configuration invalidates context cache, PASID cache and IOTLB; a first attach needs nothing', () => {
    const { iommu, vtd } = makeHost();
    const a = iommu.createDomain('paging');
    const before = vtd.driver.queue.submitted;
    iommu.attachDevice(a, SID);
    expect(vtd.driver.queue.submitted).toBe(before); // not present → present, CAP.CM = 0: nothing cached
    iommu.detachDevice(a, SID);
    const did = (a.vendor as unknown as { did: number }).did;
    expect(vtd.driver.queue.lastBatch).toEqual([
      { type: 1, granularity: 'device', did, sid: SID, fm: 0 },
      { type: 7, granularity: 'domain', did, pasid: 0 },
      { type: 2, granularity: 'domain', drainWrites: false, drainReads: false, did, am: 0, ih: false, address: 0n },
    ]);
    const r = iommu.translate({ device: SID, address: 0x1000, access: Access.READ });
    expect(!r.ok && [r.fault.vendor.code, r.fault.reason]).toEqual([0x41, 'unknown']);
  });

  it('caching mode (CAP.CM): maps and first attaches are invalidated too', () => {
    const { iommu, vtd } = makeHost({ cap: capWith(7n) });
    const d = iommu.createDomain('paging');
    const before = vtd.driver.queue.submitted;
    iommu.attachDevice(d, SID);
    expect(vtd.driver.queue.submitted).toBeGreaterThan(before);
    d.map(0x20_0000, DATA.base, 0x2000, { read: true });
    expect(vtd.driver.queue.lastBatch[0]).toMatchObject({ type: 2, granularity: 'page', am: 1, address: 0x20_0000n });
  });

  it('an unmap in a nesting domain drops second-level and nested IOTLB entries of its DID', () => {
    const { iommu } = makeHost();
    const d = iommu.createDomain('nesting');
    d.map(0x8000_0000, DATA.base, 0x10_0000, { read: true, write: true });
    iommu.attachDevice(d, SID);
    expect(iommu.translate({ device: SID, address: 0x8000_5000, access: Access.READ })).toMatchObject({ ok: true, output: DATA.base + 0x5000 });
    expect(iommu.translate({ device: SID, address: 0x8000_5000, access: Access.READ })).toMatchObject({ cached: true });
    d.unmap(0x8000_0000, 0x10_0000);
    const r = iommu.translate({ device: SID, address: 0x8000_5000, access: Access.READ });
    expect(!r.ok && [r.fault.vendor.code, r.fault.reason]).toEqual([0x79, 'pte-fetch']);
  });

  it('the fault handler drains the recording registers, so more faults than registers are all recorded', () => {
    const { iommu, vtd } = makeHost();
    const d = iommu.createDomain('paging');
    iommu.attachDevice(d, SID);
    const n = vtd.driver.caps.faultRecordCount * 2 + 1;
    for (let i = 0; i < n; i++) {
      const r = iommu.translate({ device: SID, address: 0x1000 * i, access: Access.READ });
      expect(!r.ok && r.recorded).toBe(true);
    }
    expect(Number(vtd.model.readRegister(VtdRegister.FSTS, 4)) & 0x3).toBe(0); // neither PPF nor PFO
  });

  it('rejects identity domains without ECAP.PT', () => {
    const { iommu } = makeHost({ ecap: ecapWithout(EcapBit.PT) });
    let code: string | undefined;
    try {
      iommu.createDomain('identity');
    } catch (e) {
      code = isIommuError(e) ? e.code : undefined;
    }
    expect(code).toBe('DOMAIN_TYPE');
  });
});
