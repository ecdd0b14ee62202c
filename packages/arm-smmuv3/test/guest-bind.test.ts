import { describe, expect, it } from 'vitest';
import { Access, IommuModel, isIommuError, type DmaRequest, type DmaResult, type GenericFault } from '@viommu/core';
import { CD, S1DssValue, STE } from '../src/index';
import { buildNestedGuest, GUEST_DATA, GUEST_RAM, GUEST_RAM_HPA, type NestedGuest } from './support/setup';

const hpa = (gpa: number) => GUEST_RAM_HPA + (gpa - GUEST_RAM.base);
const CD0_GVA = 0x10_0000;
const P1_GVA = 0x20_0000;

/** A guest with CD 0 and CD 1, each mapping one page to its own data page. */
function guestWithContexts(options: Parameters<typeof buildNestedGuest>[0] = {}): NestedGuest {
  const g = buildNestedGuest({ pasidBits: 4, ...options });
  g.guest.attachPasid(0);
  g.guest.attachPasid(1);
  g.guest.map(0, CD0_GVA, GUEST_DATA, 0x1000, { read: true, write: true, user: true });
  g.guest.map(1, P1_GVA, GUEST_DATA + 0x1000, 0x1000, { read: true, write: true, user: true });
  return g;
}

function dma(g: NestedGuest, pasid: number | undefined, address: number, access: number = Access.READ): DmaResult {
  const req: DmaRequest = { device: g.device, pasid, address, access };
  const r = g.iommu.translate(req);
  // Every answer is the same cached or not.
  expect(g.iommu.translate(req, { uncached: true })).toEqual({ ...r, ...(r.ok ? { cached: false } : {}) });
  return r;
}

function faultName(r: DmaResult): string {
  return r.ok ? `ok 0x${r.output.toString(16)}` : r.fault.vendor.name;
}

describe('a guest built with the driver code in guest memory', () => {
  it('keeps its CD table and stage-1 tables in guest RAM, where the host sees them through stage 2', () => {
    const g = guestWithContexts();
    const base = g.guest.cdTable.base;
    expect(base >= GUEST_RAM.base && base < GUEST_RAM.base + GUEST_RAM.size).toBe(true);
    const cd1 = new Uint32Array(16).map((_, i) => g.memory.read32(hpa(base) + 64 + 4 * i));
    expect(CD.get(cd1, 'V')).toBe(1);
    expect(CD.get(cd1, 'ASID')).toBe(g.guest.context(1)!.asid);
    const ttb0 = Number(CD.getBig(cd1, 'TTB0'));
    expect(ttb0).toBe(g.guest.context(1)!.table.root);
    expect(ttb0 >= GUEST_RAM.base && ttb0 < GUEST_RAM.base + GUEST_RAM.size).toBe(true);
  });

  it('pasid0DmaNoPasid (S1DSS = Substream0): DMA without PASID uses CD 0, and SubstreamID 0 is F_STREAM_DISABLED', () => {
    const g = guestWithContexts();
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig({ pasid0DmaNoPasid: true }));
    expect(STE.get(g.smmu.steOf(g.device), 'S1DSS')).toBe(S1DssValue.SUBSTREAM0);
    expect(dma(g, undefined, CD0_GVA + 0x10)).toMatchObject({ ok: true, output: hpa(GUEST_DATA) + 0x10 });
    expect(faultName(dma(g, 0, CD0_GVA))).toBe('F_STREAM_DISABLED');
    expect(dma(g, 1, P1_GVA + 0x20, Access.WRITE)).toMatchObject({ ok: true, output: hpa(GUEST_DATA + 0x1000) + 0x20 });
    // PASID 2 has no CD; 16 is beyond 2^S1CDMax.
    expect(dma(g, 2, P1_GVA)).toMatchObject({ ok: false, fault: { reason: 'bad-pasid-entry', pasid: 2, vendor: { name: 'C_BAD_CD' } } });
    expect(dma(g, 16, P1_GVA)).toMatchObject({ ok: false, fault: { reason: 'pasid-invalid', pasid: 16, vendor: { name: 'C_BAD_SUBSTREAMID' } } });
  });

  it('S1DSS = terminate: DMA without PASID aborts with F_STREAM_DISABLED, SubstreamID 0 uses CD 0', () => {
    const g = guestWithContexts();
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig({ s1dss: S1DssValue.TERMINATE }));
    expect(dma(g, undefined, CD0_GVA)).toMatchObject({ ok: false, recorded: true, fault: { vendor: { name: 'F_STREAM_DISABLED' } } });
    expect(dma(g, 0, CD0_GVA + 8)).toMatchObject({ ok: true, output: hpa(GUEST_DATA) + 8 });
  });

  it('S1DSS = bypass: DMA without PASID skips stage 1 and stage 2 translates it as a GPA', () => {
    const g = guestWithContexts();
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig({ s1dss: S1DssValue.BYPASS }));
    expect(dma(g, undefined, GUEST_DATA + 0x1008)).toMatchObject({ ok: true, output: hpa(GUEST_DATA) + 0x1008 });
    expect(dma(g, 0, CD0_GVA)).toMatchObject({ ok: true, output: hpa(GUEST_DATA) });
  });

  it('unbind restores stage 2 only', () => {
    const g = guestWithContexts();
    const before = [dma(g, undefined, GUEST_DATA), dma(g, 1, P1_GVA)];
    expect(before[0]).toMatchObject({ ok: true, output: hpa(GUEST_DATA) });
    expect(before[1]).toMatchObject({ ok: false, fault: { vendor: { name: 'C_BAD_SUBSTREAMID' } } });
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig({ pasid0DmaNoPasid: true }));
    expect(dma(g, 1, P1_GVA).ok).toBe(true);
    g.iommu.unbindPasidTable(g.domain, g.device);
    expect(STE.get(g.smmu.steOf(g.device), 'Config')).toBe(0b110);
    const uncachedFlag = (r: DmaResult) => (r.ok ? { ...r, cached: false } : r);
    expect([dma(g, undefined, GUEST_DATA), dma(g, 1, P1_GVA)].map(uncachedFlag)).toEqual(before.map(uncachedFlag));
  });

  it('a VT-d-format table is refused by the model check', () => {
    const g = guestWithContexts();
    let err: unknown;
    try {
      g.iommu.bindPasidTable(g.domain, g.device, { ...g.guest.pasidTableConfig(), model: IommuModel.INTEL_VTD, vendor: undefined });
    } catch (e) {
      err = e;
    }
    expect(isIommuError(err, 'CONFIG_MODEL')).toBe(true);
    expect(STE.get(g.smmu.steOf(g.device), 'Config')).toBe(0b110);
  });

  it('a guest GPA outside stage 2 faults at stage 2 (S2 = 1, CLASS = IN, the IPA)', () => {
    const g = guestWithContexts();
    g.guest.map(1, 0x30_0000, 0x9000_0000, 0x1000, { read: true, user: true });
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig());
    const faults: GenericFault[] = [];
    g.iommu.registerFaultHandler(g.device, { onFault: (f) => faults.push(f) });
    const r = dma(g, 1, 0x30_0040);
    expect(r).toMatchObject({ ok: false, fault: { reason: 'pte-fetch', pasid: 1, addr: 0x30_0040n, perm: 1, vendor: { name: 'F_TRANSLATION' } } });
    const rec = (r as { fault: GenericFault }).fault.vendor.record;
    expect((rec[3]! >>> 7) & 1).toBe(1); // S2 (bit 103)
    expect((rec[3]! >>> 8) & 3).toBe(2); // CLASS = IN (bits 105:104)
    expect(faults.length).toBeGreaterThan(0);
  });

  it('2-level CD tables (64 KB and 4 KB leaves) resolve PASIDs across level-1 entries', () => {
    for (const [format, pasidBits, pasids, missing] of [
      ['2-level-64k', 11, [1, 1500], 1024],
      ['2-level-4k', 8, [3, 200], 64],
    ] as const) {
      const g = buildNestedGuest({ pasidBits, cdTableFormat: format });
      for (const [i, p] of pasids.entries()) {
        g.guest.attachPasid(p);
        g.guest.map(p, 0x40_0000, GUEST_DATA + i * 0x1000, 0x1000, { read: true, user: true });
      }
      const config = g.guest.pasidTableConfig();
      g.iommu.bindPasidTable(g.domain, g.device, config);
      expect(STE.get(g.smmu.steOf(g.device), 'S1Fmt')).toBe(format === '2-level-64k' ? 2 : 1);
      pasids.forEach((p, i) => expect(dma(g, p, 0x40_0000)).toMatchObject({ ok: true, output: hpa(GUEST_DATA + i * 0x1000) }));
      // A level-2 table that was never allocated: L1CD.V == 0 → C_BAD_SUBSTREAMID.
      expect(faultName(dma(g, missing, 0x40_0000))).toBe(missing === 1024 ? 'C_BAD_CD' : 'C_BAD_SUBSTREAMID');
    }
  });

  it('guest unmap + generic invalidation: a cached translation never outlives the mapping', () => {
    const g = guestWithContexts();
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig({ pasid0DmaNoPasid: true }));
    expect(g.iommu.translate({ device: g.device, pasid: 1, address: P1_GVA, access: Access.READ }).ok).toBe(true);
    expect(g.iommu.translate({ device: g.device, pasid: 1, address: P1_GVA, access: Access.READ })).toMatchObject({ cached: true });
    g.guest.unmap(1, P1_GVA, 0x1000);
    expect(faultName(dma(g, 1, P1_GVA))).toBe('F_TRANSLATION');
    // Changing CD 1 is seen after its invalidation too.
    g.guest.detachPasid(1);
    expect(faultName(dma(g, 1, P1_GVA))).toBe('C_BAD_CD');
  });
});
