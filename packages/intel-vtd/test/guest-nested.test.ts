import { describe, expect, it } from 'vitest';
import { Access, CacheType, InvalidateFlags, IommuModel, isIommuError, type PoolAllocator, type DmaResult, type GenericFault, type TraceEntry } from '@viommu/core';
import { checkPasidEntry, PASID_ENTRY_LAYOUT, SCALABLE_CONTEXT_ENTRY_LAYOUT } from '../src/structures/index';
import { firstLevelPasidEntry, vtdConfigCodec } from '../src/driver/index';
import { EcapBit, ecapWithout, capWithout, CapBit } from './support/host';
import { DEVICE, freshVtdScenario, GUEST_RAM, GUEST_RAM_HPA, type VtdScenario } from './support/vtd-scenario';

const hpa = (gpa: number) => GUEST_RAM_HPA + (gpa - GUEST_RAM.base);

function code(r: DmaResult): [number, string] | 'ok' {
  return r.ok ? 'ok' : [r.fault.vendor.code, r.fault.reason];
}

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isIommuError(e) ? e.code : String(e);
  }
  return undefined;
}

function hostEntry(s: VtdScenario, pasid: number) {
  const c = checkPasidEntry(s.vtd.hostPasidEntry(DEVICE, pasid), s.vtd.driver.caps);
  return c.ok ? c.value : undefined;
}

function mappingOf(s: VtdScenario, pasid: number | undefined) {
  return s.mappings.find((m) => m.pasid === pasid)!;
}

function bound(options: Parameters<typeof freshVtdScenario>[0] = {}): VtdScenario {
  const s = freshVtdScenario(options);
  s.iommu.bindPasidTable(s.domain, s.device, s.config);
  return s;
}

describe('a guest bound with bindPasidTable', () => {
  it('translates DMA with PASID and without (RID_PASID → guest PASID 0) through its own first level', () => {
    const s = bound();
    for (const m of s.mappings) {
      const r = s.iommu.translate({ device: DEVICE, pasid: m.pasid, address: m.gva + 0x1234, access: Access.READ });
      expect(r, `pasid ${m.pasid}`).toMatchObject({ ok: true, output: hpa(m.gpa) + 0x1234 });
    }
    const noPasid = mappingOf(s, undefined);
    expect(s.iommu.translate({ device: DEVICE, address: noPasid.gva, access: Access.WRITE })).toMatchObject({ ok: true, pageShift: 21 });
  });

  it('shadows each guest first-level entry into a nested host entry over the domain second level', () => {
    const s = bound();
    const guestRoot = s.guestDriver.pageTable(1).root;
    const e = hostEntry(s, 1)!;
    const vd = s.domain.vendor as unknown as { did: number; table: { builder: { root: number }; aw: number } };
    expect(e.pgtt).toBe(3);
    expect(e.firstLevel).toMatchObject({ tableAddress: guestRoot, levels: 4, wpe: true, eafe: false });
    expect(e.secondLevel).toMatchObject({ tableAddress: vd.table.builder.root, aw: vd.table.aw });
    expect([e.domainId, e.sre, e.pageWalkSnoop]).toEqual([vd.did, true, true]);
    expect(hostEntry(s, 70)!.firstLevel!.eafe).toBe(true);
    // The guest's PML4 is where a real machine would put it: at the HPA its GPA maps to.
    expect(s.domain.iovaToPhys(guestRoot)).toBe(hpa(guestRoot));
    // PASIDs the guest has no entry for are not present; PASIDs beyond its directory miss the directory.
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 2, address: 0, access: Access.READ }))).toEqual([0x59, 'bad-pasid-entry']);
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 300, address: 0, access: Access.READ }))).toEqual([0x51, 'bad-pasid-entry']);
  });

  it('supervisor requests: allowed with SRE (WPE honoured), fault 0x5D with SRE clear', () => {
    const s = bound();
    const m1 = mappingOf(s, 1);
    const m5 = mappingOf(s, 5);
    expect(s.iommu.translate({ device: DEVICE, pasid: 1, address: m1.gva, access: Access.READ | Access.PRIV }).ok).toBe(true);
    expect(s.iommu.translate({ device: DEVICE, pasid: 1, address: m1.gva, access: Access.WRITE | Access.PRIV }).ok).toBe(true);
    const r = s.iommu.translate({ device: DEVICE, pasid: 5, address: m5.gva, access: Access.READ | Access.PRIV });
    expect(code(r)).toEqual([0x5d, 'permission']);
    if (!r.ok) expect([r.fault.pasid, r.fault.perm, r.fault.addr]).toEqual([5, Access.READ | Access.PRIV, BigInt(m5.gva)]);
    expect(s.iommu.translate({ device: DEVICE, pasid: 5, address: m5.gva, access: Access.READ }).ok).toBe(true);
    // WPE: a supervisor write to a read-only page faults with WPE (PASID 1), not without it (PASID 3).
    s.guestDriver.map(1, 0x70_0000, m1.gpa, 0x1000, { read: true, user: true });
    s.guestDriver.setupFirstLevel(3, { sre: true });
    s.guestDriver.map(3, 0x70_0000, m1.gpa, 0x1000, { read: true, user: true });
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 1, address: 0x70_0000, access: Access.WRITE | Access.PRIV }))).toEqual([0x85, 'permission']);
    expect(s.iommu.translate({ device: DEVICE, pasid: 3, address: 0x70_0000, access: Access.WRITE | Access.PRIV }).ok).toBe(true);
    // User requests to a supervisor page: 0x81.
    s.guestDriver.map(3, 0x71_0000, m1.gpa, 0x1000, { read: true, write: true, user: false });
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 3, address: 0x71_0000, access: Access.READ }))).toEqual([0x81, 'permission']);
  });

  it('a ridPasid other than 0 goes into the context entry, and unbind puts 0 back', () => {
    const s = bound({ ridPasid: 5 });
    const ctx = () => SCALABLE_CONTEXT_ENTRY_LAYOUT.get(s.vtd.driver.readContextEntry(DEVICE), 'RID_PASID');
    expect(ctx()).toBe(5);
    const m = mappingOf(s, undefined);
    expect(s.iommu.translate({ device: DEVICE, address: m.gva, access: Access.READ })).toMatchObject({ ok: true, output: hpa(m.gpa) });
    s.iommu.unbindPasidTable(s.domain, DEVICE);
    expect(ctx()).toBe(0);
  });

  it('refreshes the shadow only when the guest invalidates its PASID cache', () => {
    const s = bound();
    const m5 = mappingOf(s, 5);
    const before = hostEntry(s, 5)!.firstLevel!.tableAddress;
    // The guest builds a new first level for PASID 5 and rewrites the entry, without invalidating yet.
    const fresh = s.guestDriver.setupFirstLevel(9); // a scratch builder we re-point PASID 5 at
    fresh.map(m5.gva, m5.gpa + 0x10_0000, 0x1000, { read: true, user: true });
    s.guestDriver.tables.writeEntry(5, firstLevelPasidEntry(77, { flptptr: fresh.root, flpm: 0 }));
    expect(hostEntry(s, 5)!.firstLevel!.tableAddress).toBe(before);
    expect(s.iommu.translate({ device: DEVICE, pasid: 5, address: m5.gva, access: Access.READ })).toMatchObject({ output: hpa(m5.gpa) });
    s.iommu.cacheInvalidate(s.domain, DEVICE, { version: 1, cache: CacheType.PASID, granularity: 'pasid', pasidInfo: { flags: InvalidateFlags.PASID, archid: 0, pasid: 5 } });
    expect(hostEntry(s, 5)!.firstLevel!.tableAddress).toBe(fresh.root);
    const did = (s.domain.vendor as unknown as { did: number }).did;
    expect(s.vtd.driver.queue.lastBatch.map((d) => [d.type, 'pasid' in d ? d.pasid : -1, 'did' in d ? d.did : -1])).toEqual([
      [7, 5, did],
      [6, 5, did],
    ]);
    expect(s.iommu.translate({ device: DEVICE, pasid: 5, address: m5.gva, access: Access.READ })).toMatchObject({ ok: true, output: hpa(m5.gpa + 0x10_0000) });
  });

  it('picks up new guest PASIDs (a new directory entry too), cleared ones, and domain-wide PASID-cache invalidations', () => {
    const s = bound();
    const m1 = mappingOf(s, 1);
    s.guestDriver.setupFirstLevel(200); // directory entry 3, new after the bind
    s.guestDriver.map(200, 0x30_0000, m1.gpa, 0x1000, { read: true, user: true });
    expect(s.iommu.translate({ device: DEVICE, pasid: 200, address: 0x30_0000, access: Access.READ })).toMatchObject({ ok: true, output: hpa(m1.gpa) });
    s.guestDriver.clearPasid(1);
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 1, address: m1.gva, access: Access.READ }))).toEqual([0x59, 'bad-pasid-entry']);
    // Without any invalidation the guest re-creates PASID 1; a domain-selective invalidation finds it.
    const b = s.guestDriver.tables;
    b.writeEntry(1, firstLevelPasidEntry(3, { flptptr: s.guestDriver.pageTable(200).root, flpm: 0 }));
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 1, address: 0x30_0000, access: Access.READ }))).toEqual([0x59, 'bad-pasid-entry']);
    s.iommu.cacheInvalidate(s.domain, DEVICE, { version: 1, cache: CacheType.PASID, granularity: 'domain' });
    expect(s.iommu.translate({ device: DEVICE, pasid: 1, address: 0x30_0000, access: Access.READ })).toMatchObject({ ok: true, output: hpa(m1.gpa) });
  });

  it('IOTLB: a stale translation may survive a guest unmap until the guest invalidates the range', () => {
    const s = bound();
    const m = mappingOf(s, 5);
    const req = { device: DEVICE, pasid: 5, address: m.gva, access: Access.READ };
    expect(s.iommu.translate(req)).toMatchObject({ ok: true, cached: false });
    s.guestDriver.pageTable(5).unmap(m.gva, 0x1000);
    expect(s.iommu.translate(req)).toMatchObject({ ok: true, cached: true });
    expect(code(s.iommu.translate(req, { uncached: true }))).toEqual([0x71, 'pte-fetch']);
    s.guestDriver.invalidateRange(5, m.gva, 0x1000);
    expect(s.vtd.driver.queue.lastBatch).toEqual([expect.objectContaining({ type: 6, granularity: 'page', pasid: 5, am: 0, address: BigInt(m.gva) })]);
    expect(code(s.iommu.translate(req))).toEqual([0x71, 'pte-fetch']);
  });

  it('unbind restores second-level-only translation and the pre-bind host structures exactly', () => {
    const s = freshVtdScenario();
    const snapshot = () => [0, 1, 5, 70, 200].map((p) => Array.from(s.vtd.hostPasidEntry(DEVICE, p)).join(','));
    const dirs = () => [0, 1, 3].map((d) => s.vtd.driver.pasidTables(DEVICE).readDirectoryEntry(d).present);
    const pre = [snapshot(), dirs()];
    s.iommu.bindPasidTable(s.domain, DEVICE, s.config);
    expect([snapshot(), dirs()]).not.toEqual(pre);
    s.iommu.unbindPasidTable(s.domain, DEVICE);
    expect([snapshot(), dirs()]).toEqual(pre);
    expect(hostEntry(s, 0)!.pgtt).toBe(2);
    // A request without PASID is a GPA again.
    expect(s.iommu.translate({ device: DEVICE, address: GUEST_RAM.base + 0x5000, access: Access.WRITE })).toMatchObject({ ok: true, output: GUEST_RAM_HPA + 0x5000 });
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 1, address: mappingOf(s, 1).gva, access: Access.READ }))).toEqual([0x59, 'bad-pasid-entry']);
  });

  it('never programs a malformed guest entry: it shadows as not present (bad-pasid-entry)', () => {
    const s = bound();
    const words = PASID_ENTRY_LAYOUT.encode({ P: 1, PGTT: 1, FLPTPTR: s.guestDriver.pageTable(5).root });
    words[0]! |= 1 << 10; // reserved bit 10
    s.guestDriver.writeRawEntry(5, words);
    expect(Array.from(s.vtd.hostPasidEntry(DEVICE, 5))).toEqual(new Array(16).fill(0));
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 5, address: mappingOf(s, 5).gva, access: Access.READ }))).toEqual([0x59, 'bad-pasid-entry']);
    // PGTT 010b: the vIOMMU reports no second level of its own.
    s.guestDriver.writeRawEntry(5, PASID_ENTRY_LAYOUT.encode({ P: 1, PGTT: 2, AW: 2, SLPTPTR: 0x1000 }));
    expect(hostEntry(s, 5)).toBeUndefined();
    // A correct entry again.
    s.guestDriver.writeRawEntry(5, firstLevelPasidEntry(4, { flptptr: s.guestDriver.pageTable(1).root, flpm: 0 }));
    expect(hostEntry(s, 5)!.firstLevel!.tableAddress).toBe(s.guestDriver.pageTable(1).root);
  });

  it('FPD in a guest entry suppresses recording: recorded = false and no handler call', () => {
    const s = freshVtdScenario({ pasids: [{ pasid: 0, options: {} }, { pasid: 6, options: { fpd: true } }] });
    s.iommu.bindPasidTable(s.domain, DEVICE, s.config);
    const seen: GenericFault[] = [];
    s.iommu.registerFaultHandler(DEVICE, { onFault: (f) => seen.push(f) });
    const r = s.iommu.translate({ device: DEVICE, pasid: 6, address: 0x5555_0000, access: Access.READ });
    expect(!r.ok && [r.fault.vendor.code, r.recorded]).toEqual([0x71, false]);
    const r0 = s.iommu.translate({ device: DEVICE, pasid: 0, address: 0x5555_0000, access: Access.READ });
    expect(!r0.ok && [r0.fault.vendor.code, r0.recorded]).toEqual([0x71, true]);
    expect(seen.map((f) => f.pasid)).toEqual([0]);
  });

  it('a guest pass-through PASID is translated by the second level alone; ERE clear blocks execute requests', () => {
    const s = bound();
    s.guestDriver.setupPassThrough(7);
    expect(hostEntry(s, 7)!.pgtt).toBe(2);
    expect(s.iommu.translate({ device: DEVICE, pasid: 7, address: GUEST_RAM.base + 0x3000, access: Access.WRITE })).toMatchObject({ ok: true, output: GUEST_RAM_HPA + 0x3000 });
    expect(code(s.iommu.translate({ device: DEVICE, pasid: 1, address: mappingOf(s, 1).gva, access: Access.EXEC }))).toEqual([0x5c, 'permission']);
  });

  it('five-level guest tables shadow with FLPM = 1', () => {
    const s = bound();
    const t = s.guestDriver.setupFirstLevel(11, { levels: 5 });
    t.map(0x1_0000_0000_0000, mappingOf(s, 1).gpa, 0x1000, { read: true, user: true });
    s.guestDriver.invalidateRange(11, 0x1_0000_0000_0000, 0x1000);
    expect(hostEntry(s, 11)!.firstLevel).toMatchObject({ flpm: 1, levels: 5 });
    expect(s.iommu.translate({ device: DEVICE, pasid: 11, address: 0x1_0000_0000_0000, access: Access.READ })).toMatchObject({ ok: true, output: hpa(mappingOf(s, 1).gpa) });
  });

  it('traces configuration reads and the two-dimensional walk', () => {
    const s = bound();
    const trace: TraceEntry[] = [];
    const m = mappingOf(s, 1);
    expect(s.iommu.translate({ device: DEVICE, pasid: 1, address: m.gva, access: Access.READ }, { trace }).ok).toBe(true);
    expect(trace.filter((t) => t.stage === 0).map((t) => t.label)).toContain('PASID entry');
    expect(trace.filter((t) => t.stage === 1)).toHaveLength(4);
    expect(trace.filter((t) => t.stage === 2 && t.purpose === 's1-table').length).toBeGreaterThanOrEqual(4);
  });
});

describe('bind checks', () => {
  it('checkBind reads the guest table but changes nothing, even when it rejects', () => {
    const s = freshVtdScenario({ pluginOptions: { ecap: ecapWithout(EcapBit.SRS) }, pasids: [{ pasid: 0, options: {} }, { pasid: 4, options: { sre: true } }] });
    const used = (s.vtd.host.allocator as PoolAllocator).used; // nothing below allocates after this
    const pool = () => s.sparse.readBytes(0x100_0000, used)!;
    const same = (a: Uint8Array, b: Uint8Array) => a.every((x, i) => x === b[i]);
    const before = pool();
    const submitted = s.vtd.driver.queue.submitted;
    expect(errorCode(() => s.vtd.checkBind(s.domain.vendor, DEVICE, s.config))).toBe('CONFIG_UNSUPPORTED');
    expect(same(pool(), before)).toBe(true);
    s.guestDriver.clearPasid(4);
    const cleared = pool();
    expect(errorCode(() => s.vtd.checkBind(s.domain.vendor, DEVICE, s.config))).toBeUndefined();
    expect(same(pool(), cleared)).toBe(true);
    expect(same(cleared, before)).toBe(false); // the guest's own invalidation did reach the host queue
    expect(s.vtd.boundTable(DEVICE)).toBeUndefined();
    expect(s.vtd.driver.queue.submitted).toBeGreaterThan(submitted);
  });

  it('installing the shadow ends with domain-selective PASID-cache and IOTLB invalidations', () => {
    const s = freshVtdScenario();
    s.iommu.bindPasidTable(s.domain, DEVICE, s.config);
    const did = (s.domain.vendor as unknown as { did: number }).did;
    expect(s.vtd.driver.queue.lastBatch).toEqual([
      { type: 7, granularity: 'domain', did, pasid: 0 },
      { type: 2, granularity: 'domain', drainWrites: false, drainReads: false, did, am: 0, ih: false, address: 0n },
    ]);
  });

  it('page responses go out as page-group response descriptors (type 9)', () => {
    const s = freshVtdScenario();
    s.vtd.pageResponse(DEVICE, { pasid: 2, group: 17, code: 'invalid' });
    expect(s.vtd.model.pageGroupResponses).toEqual([{ requesterId: DEVICE, pasid: 2, group: 17, last: true, code: 1 }]);
  });

  it('rejects a config for another model (an SMMUv3 CD table) with CONFIG_MODEL', () => {
    const s = freshVtdScenario();
    expect(errorCode(() => s.iommu.bindPasidTable(s.domain, DEVICE, { ...s.config, model: IommuModel.ARM_SMMUV3, vendor: undefined }))).toBe('CONFIG_MODEL');
    expect(s.iommu.boundConfig(DEVICE)).toBeUndefined();
  });

  it('rejects what the host cannot do with CONFIG_UNSUPPORTED, changing nothing', () => {
    const cases: [string, Parameters<typeof freshVtdScenario>[0]][] = [
      ['SRE without ECAP.SRS', { pluginOptions: { ecap: ecapWithout(EcapBit.SRS) }, pasids: [{ pasid: 0, options: { sre: true } }] }],
      ['EAFE without ECAP.EAFS', { pluginOptions: { ecap: ecapWithout(EcapBit.EAFS) }, pasids: [{ pasid: 0, options: { eafe: true } }] }],
      ['ERE without ECAP.ERS', { pluginOptions: { ecap: ecapWithout(EcapBit.ERS) }, pasids: [{ pasid: 0, options: { ere: true } }] }],
      ['5-level without CAP.FL5LP', { pluginOptions: { cap: capWithout(CapBit.FL5LP) }, pasids: [{ pasid: 0, options: { levels: 5 } }] }],
      ['ridPasid 5 without ECAP.RPS', { pluginOptions: { ecap: ecapWithout(EcapBit.RPS) }, ridPasid: 5 }],
    ];
    for (const [what, options] of cases) {
      const s = freshVtdScenario(options);
      const before = Array.from(s.vtd.hostPasidEntry(DEVICE, 0));
      const ctx = Array.from(s.vtd.driver.readContextEntry(DEVICE));
      expect([what, errorCode(() => s.iommu.bindPasidTable(s.domain, DEVICE, s.config))]).toEqual([what, 'CONFIG_UNSUPPORTED']);
      expect(Array.from(s.vtd.hostPasidEntry(DEVICE, 0))).toEqual(before);
      expect(Array.from(s.vtd.driver.readContextEntry(DEVICE))).toEqual(ctx);
    }
  });

  it('checks the vendor block and where the table is', () => {
    const s = freshVtdScenario();
    const vendor = (v: object) => ({ ...s.config, vendor: { model: IommuModel.INTEL_VTD, ...v } });
    expect(errorCode(() => s.iommu.bindPasidTable(s.domain, DEVICE, vendor({ ridPasid: 256 })))).toBe('CONFIG_VENDOR');
    expect(errorCode(() => s.iommu.bindPasidTable(s.domain, DEVICE, vendor({ ridPasid: -1 })))).toBe('CONFIG_VENDOR');
    expect(errorCode(() => s.iommu.bindPasidTable(s.domain, DEVICE, vendor({ pasid0: 1 })))).toBe('CONFIG_VENDOR');
    expect(errorCode(() => s.iommu.bindPasidTable(s.domain, DEVICE, { ...s.config, basePtr: 0x1000n }))).toBe('CONFIG_ADDRESS');
    expect(errorCode(() => s.iommu.bindPasidTable(s.domain, DEVICE, { ...s.config, vendor: undefined }))).toBeUndefined();
  });

  it('the vendor codec encodes ridPasid in 20 bits and rejects reserved bits', () => {
    const block = { model: IommuModel.INTEL_VTD, ridPasid: 0xabcde };
    const bytes = vtdConfigCodec.encode(block);
    expect(Array.from(bytes)).toEqual([0xde, 0xbc, 0x0a, 0, 0, 0, 0, 0]);
    expect(vtdConfigCodec.decode(bytes)).toEqual(block);
    expect(errorCode(() => vtdConfigCodec.decode(Uint8Array.of(0, 0, 0x10, 0, 0, 0, 0, 0)))).toBe('CONFIG_VENDOR');
    expect(errorCode(() => vtdConfigCodec.decode(Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0)))).toBe('CONFIG_VENDOR');
    expect(errorCode(() => vtdConfigCodec.encode({ model: IommuModel.INTEL_VTD, ridPasid: 2 ** 20 } as never))).toBe('CONFIG_VENDOR');
  });
});
