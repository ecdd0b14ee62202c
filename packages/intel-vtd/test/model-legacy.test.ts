import { describe, it, expect } from 'vitest';
import { Access, isIommuError, Perm, type TraceEntry } from '@viommu/core';
import { decodeFaultRecord, DEFAULT_VTD_CAP, LEGACY_CONTEXT_ENTRY_LAYOUT, VtdFaultReason } from '../src/structures/index';
import { VtdModel, VtdRegister } from '../src/model/index';
import { DATA_BASE, Machine, RO, RW } from './model-support';

const SID = 0x0310; // bus 3, device 2, function 0
const DID = 7;
const IOVA = 0x1234_5000;

/** A legacy machine with SID's context pointing at a fresh 4-level second-level table mapping IOVA → DATA_BASE. */
function setup(contextFields: Record<string, number | bigint> = {}) {
  const m = new Machine(false);
  const sl = m.secondLevel({ levels: 4 });
  sl.map(IOVA, DATA_BASE, 0x1000, RW);
  sl.map(IOVA + 0x1000, DATA_BASE + 0x1000, 0x1000, RO);
  m.legacyContext(SID, { P: 1, TT: 0, AW: 2, SLPTPTR: sl.root, DID, ...contextFields });
  m.enable();
  return { m, sl };
}

function expectFault(r: ReturnType<Machine['model']['translate']>, reason: number, opts: { write?: boolean; address?: number; recorded?: boolean } = {}) {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.reason).toBe(reason);
  const rec = decodeFaultRecord(r.record);
  expect(rec.reason).toBe(reason);
  expect(rec.sourceId).toBe(SID);
  expect(rec.pasid).toBeUndefined();
  expect(rec.type).toBe(opts.write ? 'write' : 'read');
  expect(rec.address).toBe(BigInt(opts.address ?? IOVA) & ~0xfffn);
  expect(rec.fault).toBe(true);
  expect(r.recorded).toBe(opts.recorded ?? true);
}

describe('legacy mode translation', () => {
  it('translates through the second level, with page size and rights', () => {
    const { m } = setup();
    const r = m.model.translate({ sourceId: SID, address: IOVA + 0x123, access: Access.WRITE });
    expect(r).toEqual({ ok: true, output: DATA_BASE + 0x123, pageShift: 12, permitted: Perm.ALL, cached: false });
    const ro = m.model.translate({ sourceId: SID, address: IOVA + 0x1008, access: Access.READ });
    expect(ro.ok && ro.output).toBe(DATA_BASE + 0x1008);
    expect(ro.ok && ro.permitted).toBe(Perm.UR | Perm.PR | Perm.UX | Perm.PX);
  });

  it('serves a repeated translation from the IOTLB', () => {
    const { m } = setup();
    m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ });
    const r = m.model.translate({ sourceId: SID, address: IOVA + 8, access: Access.READ });
    expect(r.ok && r.cached).toBe(true);
    expect(r.ok && r.output).toBe(DATA_BASE + 8);
  });

  it('does not translate while TE is clear', () => {
    const m = new Machine(false);
    const r = m.model.translate({ sourceId: SID, address: 0x5000, access: Access.READ });
    expect(r).toEqual({ ok: true, output: 0x5000, pageShift: 12, permitted: Perm.ALL, cached: false });
  });

  it('passes TT=10b requests through untranslated', () => {
    const m = new Machine(false);
    m.legacyContext(SID, { P: 1, TT: 2, AW: 2, DID });
    m.enable();
    const r = m.model.translate({ sourceId: SID, address: 0xabc_d123, access: Access.WRITE });
    expect(r).toEqual({ ok: true, output: 0xabc_d123, pageShift: 12, permitted: Perm.ALL, cached: false });
  });

  it('ignores PR and ER on requests without PASID', () => {
    const { m } = setup();
    const r = m.model.translate({ sourceId: SID, address: IOVA, access: Access.EXEC | Access.PRIV });
    expect(r.ok).toBe(true);
  });

  it('traces root and context reads as stage-0 entries before the walk', () => {
    const { m } = setup();
    const trace: TraceEntry[] = [];
    m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }, { trace });
    expect(trace.slice(0, 4).map((t) => [t.stage, t.label, t.depth])).toEqual([
      [0, 'root entry', 0],
      [0, 'root entry', 0],
      [0, 'context entry', 1],
      [0, 'context entry', 1],
    ]);
    expect(trace[0]!.address).toBe(m.rootTable + 3 * 16);
    expect(trace.slice(4).map((t) => [t.stage, t.level])).toEqual([
      [2, 4],
      [2, 3],
      [2, 2],
      [2, 1],
    ]);
  });
});

describe('legacy mode fault reasons', () => {
  it('0x31: request with PASID in legacy mode (RTA.2), never suppressed', () => {
    const { m } = setup({ FPD: 1 });
    const r = m.model.translate({ sourceId: SID, pasid: 5, address: IOVA, access: Access.READ });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(0x31);
    expect(r.recorded).toBe(true);
    const rec = decodeFaultRecord(r.record);
    expect(rec.pasid).toBe(5);
    expect(rec.sourceId).toBe(SID);
  });

  it('0x8: root table not accessible', () => {
    const m = new Machine(false);
    m.model.writeRegister(VtdRegister.RTADDR, BigInt(0x2000_0000)); // unbacked
    m.model.writeRegister(VtdRegister.GCMD, 1n << 30n, 4);
    m.model.writeRegister(VtdRegister.GCMD, 1n << 31n, 4);
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x8);
  });

  it('0x1: root entry not present; 0xA: root entry reserved bits', () => {
    const m = new Machine(false).enable();
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x1);
    m.contextTable(SID);
    m.writeRoot(3, { P: 1 });
    m.write(m.rootTable + 3 * 16 + 8, [1, 0]); // bit 64
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.WRITE }), 0xa, { write: true });
  });

  it('root faults are recorded even with FPD set in the context entry', () => {
    const m = new Machine(false).enable();
    m.legacyContext(SID, { P: 1, FPD: 1, TT: 0, AW: 2, DID });
    m.write(m.rootTable + 3 * 16, [0x2, 0, 0, 0]); // reserved bit 1, P = 0 → 0x1 first
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x1);
  });

  it('0x9: context table not accessible', () => {
    const m = new Machine(false).enable();
    m.write(m.rootTable + 3 * 16, [0x1 | 0x3000_0000, 0, 0, 0]); // CTP 0x3000_0000 is unbacked
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x9);
  });

  it('0x2: context entry not present, suppressed by FPD even with P = 0', () => {
    const m = new Machine(false).enable();
    m.legacyContext(SID, {});
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x2);
    m.legacyContext(SID, { FPD: 1 });
    const r = m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ });
    expectFault(r, 0x2, { recorded: false });
    expect(!r.ok && r.suppressed).toBe(true);
    expect(m.model.readFaults()).toHaveLength(1);
  });

  it('0xB: context entry reserved bits; 0x3: TT reserved, AW unsupported', () => {
    const m = new Machine(false).enable();
    const words = LEGACY_CONTEXT_ENTRY_LAYOUT.encode({ P: 1, AW: 2, DID });
    words[3] = 0x100; // bit 104
    m.rawContext(SID, words);
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0xb);
    m.legacyContext(SID, { P: 1, TT: 3, AW: 2, DID });
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x3);
    m.legacyContext(SID, { P: 1, TT: 0, AW: 4, DID }); // 66-bit AGAW is not in SAGAW
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x3);
  });

  it('0x3 with FPD is suppressed', () => {
    const m = new Machine(false).enable();
    m.legacyContext(SID, { P: 1, FPD: 1, TT: 3, AW: 2, DID });
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x3, { recorded: false });
  });

  it('0x4: address beyond MGAW/AGAW', () => {
    const { m } = setup({ AW: 1 }); // 3-level, 39-bit AGAW
    const addr = 2 ** 39;
    expectFault(m.model.translate({ sourceId: SID, address: addr, access: Access.READ }), 0x4, { address: addr });
  });

  it('0x6 / 0x5: not present entries report the missing right; 0x5 on a read-only page', () => {
    const { m } = setup();
    const hole = 0x4000_0000;
    expectFault(m.model.translate({ sourceId: SID, address: hole, access: Access.READ }), 0x6, { address: hole });
    expectFault(m.model.translate({ sourceId: SID, address: hole, access: Access.WRITE }), 0x5, { address: hole, write: true });
    expectFault(m.model.translate({ sourceId: SID, address: IOVA + 0x1000, access: Access.WRITE }), 0x5, { address: IOVA + 0x1000, write: true });
  });

  it('0xC: reserved bits in a second-level entry; 0x7: next table not accessible', () => {
    const { m, sl } = setup();
    // Corrupt the level-4 entry: bit 62 (TM, reserved without TM support) set.
    const l4 = sl.root + ((IOVA / 2 ** 39) & 511) * 8;
    const tmp = { hi: 0, lo: 0 };
    m.memory.read64(l4, tmp);
    m.memory.write64(l4, (tmp.hi | 0x4000_0000) >>> 0, tmp.lo);
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0xc);
    // Point it at unbacked memory instead.
    m.memory.write64(l4, 0, 0x3000_0003);
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), 0x7);
  });

  it('0x3: the second-level root itself is unreadable (paging helper mapping of a root access error)', () => {
    const m = new Machine(false);
    m.legacyContext(SID, { P: 1, TT: 0, AW: 2, SLPTPTR: 0x3000_0000, DID });
    m.enable();
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), VtdFaultReason.CONTEXT_ENTRY_INVALID);
  });

  it('walk faults honour FPD', () => {
    const { m } = setup({ FPD: 1 });
    const r = m.model.translate({ sourceId: SID, address: 0x4000_0000, access: Access.READ });
    expect(!r.ok && r.reason).toBe(0x6);
    expect(!r.ok && r.recorded).toBe(false);
    expect(m.model.readFaults()).toHaveLength(0);
  });
});

describe('request and option validation', () => {
  it('throws IommuError ARGUMENT for malformed requests, never a fault', () => {
    const { m } = setup();
    const bad = [
      { sourceId: 0x1_0000, address: 0, access: Access.READ },
      { sourceId: -1, address: 0, access: Access.READ },
      { sourceId: SID, pasid: 1 << 20, address: 0, access: Access.READ },
      { sourceId: SID, address: -1, access: Access.READ },
      { sourceId: SID, address: 2 ** 60, access: Access.READ },
      { sourceId: SID, address: 1n << 64n, access: Access.READ },
      { sourceId: SID, address: 0, access: Access.PRIV },
      { sourceId: SID, address: 0, access: 16 | Access.READ },
    ];
    for (const req of bad) {
      let caught: unknown;
      try {
        m.model.translate(req);
      } catch (e) {
        caught = e;
      }
      expect(isIommuError(caught, 'ARGUMENT')).toBe(true);
    }
  });

  it('accepts 64-bit bigint addresses (beyond the AGAW: 0x4 with the full address in FI)', () => {
    const { m } = setup();
    const high = 0xdead_beef_0000_1000n;
    const r = m.model.translate({ sourceId: SID, address: high, access: Access.READ });
    expect(!r.ok && r.reason).toBe(0x4);
    expect(!r.ok && decodeFaultRecord(r.record).address).toBe(high);
  });

  it('pass-through beyond the host address width faults 0x4', () => {
    const m = new Machine(false);
    m.legacyContext(SID, { P: 1, TT: 2, AW: 2, DID });
    m.enable();
    const beyond = 2 ** m.model.haw;
    expectFault(m.model.translate({ sourceId: SID, address: beyond, access: Access.READ }), 0x4, { address: beyond });
  });

  it('rejects CAP/ECAP whose IOTLB or fault recording registers overlap the fixed ones or each other', () => {
    const m = new Machine(false);
    const fro = (v: bigint) => (DEFAULT_VTD_CAP & ~(0x3ffn << 24n)) | (v << 24n);
    expect(() => new VtdModel(m.memory, { cap: fro(0x8n) })).toThrow(/IRO/);
    expect(() => new VtdModel(m.memory, { cap: fro(0xfn) })).toThrow(/overlapping/);
    expect(new VtdModel(m.memory, { cap: fro(0x10n) }).faultRecordOffset(0)).toBe(0x100);
  });
});
