import { describe, it, expect } from 'vitest';
import { Access, Perm, type PhysicalMemory, type SparseMemory, type TraceEntry, type U64 } from '@viommu/core';
import { decodeFaultRecord, DEFAULT_VTD_ECAP } from '../src/structures/index';
import type { VtdTranslateResult } from '../src/model/index';
import { DATA_BASE, Machine, makeGuest, RO, RW, URW } from './model-support';

const SID = 0x0508; // bus 5, devfn 8
const PASID = 0x1234;
const DID = 42;
const VA = 0x7f12_3456_7000;
const IOVA = 0x2000_0000;

type Fields = Record<string, number | bigint>;

/** A scalable machine with SID's context (PASIDE = 1) and a PASID table for `pasid`. */
function scalable(ctx: Fields = {}, pasid = PASID, wrap?: (m: SparseMemory) => PhysicalMemory) {
  const m = new Machine(true, {}, wrap);
  const dir = m.scalableContext(SID, ctx);
  const table = m.pasidDirectory(dir, pasid);
  m.enable();
  return { m, dir, table };
}

/** First-level-only setup: VA (user RW page) and VA + 0x1000 (supervisor read-only, executable) mapped. */
function firstLevel(pe: Fields = {}, flOptions: { nxe?: boolean } = { nxe: true }) {
  const s = scalable();
  const fl = s.m.firstLevel({ nxe: flOptions.nxe ?? true });
  fl.map(VA, DATA_BASE, 0x1000, URW);
  fl.map(VA + 0x1000, DATA_BASE + 0x1000, 0x1000, { read: true, exec: true });
  fl.map(VA + 0x2000, DATA_BASE + 0x2000, 0x1000, { read: true, user: true, exec: true });
  s.m.pasidEntry(s.table, PASID, { PGTT: 1, FLPTPTR: fl.root, DID, NXE: flOptions.nxe === false ? 0 : 1, SRE: 1, ERE: 1, ...pe });
  return { ...s, fl };
}

/** Second-level-only setup: IOVA RW, IOVA + 0x1000 RO, IOVA + 0x2000 write-only. */
function secondLevel(pe: Fields = {}, ctx: Fields = {}, pasid = PASID) {
  const s = scalable(ctx, pasid);
  const sl = s.m.secondLevel({ levels: 4, slee: pe.SLEE === 1 });
  sl.map(IOVA, DATA_BASE, 0x1000, RW);
  sl.map(IOVA + 0x1000, DATA_BASE + 0x1000, 0x1000, RO);
  sl.map(IOVA + 0x2000, DATA_BASE + 0x2000, 0x1000, { write: true });
  s.m.pasidEntry(s.table, pasid, { PGTT: 2, AW: 2, SLPTPTR: sl.root, DID, ...pe });
  return { ...s, sl };
}

interface Expect {
  reason: number;
  address?: bigint | number;
  write?: boolean;
  pasid?: number | undefined;
  priv?: boolean;
  exec?: boolean;
  recorded?: boolean;
}

function expectFault(r: VtdTranslateResult, e: Expect) {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.reason.toString(16)).toBe(e.reason.toString(16));
  const rec = decodeFaultRecord(r.record);
  expect(rec.reason).toBe(e.reason);
  expect(rec.sourceId).toBe(SID);
  expect(rec.pasid).toBe('pasid' in e ? e.pasid : PASID);
  expect(rec.type).toBe(e.write ? 'write' : 'read');
  expect(rec.privileged).toBe(e.priv ?? false);
  expect(rec.execute).toBe(e.exec ?? false);
  expect(rec.address).toBe(BigInt(e.address ?? VA) & ~0xfffn);
  expect(rec.addressType).toBe(0);
  expect(rec.fault).toBe(true);
  expect(r.recorded).toBe(e.recorded ?? true);
}

const read64 = (mem: PhysicalMemory, a: number): U64 => {
  const v = { hi: 0, lo: 0 };
  mem.read64(a, v);
  return v;
};

describe('scalable mode: root table and context entry faults', () => {
  it('0x30: reserved TTM, or TTM = 01b without ECAP.SMTS', () => {
    const m = new Machine(true).enable(2);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x30 });
    const noSm = new Machine(true, { ecap: DEFAULT_VTD_ECAP & ~(1n << 43n) }).enable();
    const r = noSm.model.translate({ sourceId: SID, address: IOVA, access: Access.WRITE });
    expectFault(r, { reason: 0x30, pasid: undefined, address: IOVA, write: true });
  });

  it('0x38: root table not accessible', () => {
    const m = new Machine(true);
    m.model.writeRegister(0x20, 0x3000_0400n);
    m.model.writeRegister(0x18, 1n << 30n, 4);
    m.model.writeRegister(0x18, 1n << 31n, 4);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x38 });
  });

  it('0x39: the root entry half for the devfn is not present (lower and upper halves)', () => {
    const m = new Machine(true).enable();
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x39 });
    m.scalableContext(SID); // lower half present now
    const upperSid = 0x0588;
    const r = m.model.translate({ sourceId: upperSid, pasid: PASID, address: VA, access: Access.READ });
    expect(!r.ok && r.reason).toBe(0x39);
    expect(!r.ok && decodeFaultRecord(r.record).sourceId).toBe(upperSid);
  });

  it('0x3A: root entry reserved bits, recorded even with FPD in the context entry', () => {
    const m = new Machine(true).enable();
    m.scalableContext(SID, { FPD: 1 });
    m.writeRoot(5, { LP: 1, LCTP: m.contextTable(SID) });
    const a = m.rootTable + 5 * 16;
    const e = read64(m.memory, a);
    m.memory.write64(a, e.hi, e.lo | 0x2);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x3a });
  });

  it('0x40: context table not accessible', () => {
    const m = new Machine(true).enable();
    m.write(m.rootTable + 5 * 16, [0x3000_0001, 0, 0, 0]);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x40 });
  });

  it('0x41: context entry not present; FPD suppresses it even with P = 0', () => {
    const { m } = scalable({ P: 0 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x41 });
    m.scalableContext(SID, { P: 0, FPD: 1 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x41, recorded: false });
  });

  it('0x42: context entry reserved bits', () => {
    const { m } = scalable();
    const a = m.contextEntryAddress(SID);
    const e = read64(m.memory, a);
    m.memory.write64(a, e.hi, e.lo | 0x20);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x42 });
  });

  it('0x43: RID_PASID beyond what PDTS covers (the structures check reports it as an invalid context entry)', () => {
    const { m } = scalable({ RID_PASID: 0x2000 });
    expectFault(m.model.translate({ sourceId: SID, address: IOVA, access: Access.READ }), { reason: 0x43, pasid: undefined, address: IOVA });
  });

  it('0x45: request with PASID while PASIDE = 0; 0x46: PASID beyond PDTS', () => {
    const { m } = scalable({ PASIDE: 0 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x45 });
    // The faulting entry was not cached; a valid one is, until a context-cache invalidation.
    m.scalableContext(SID, { PDTS: 0 });
    expect(m.model.translate({ sourceId: SID, pasid: 0x2000, address: VA, access: Access.READ }).ok).toBe(false);
    m.model.writeRegister(0x28, (1n << 63n) | (3n << 61n) | (BigInt(SID) << 16n)); // CCMD device-selective
    expectFault(m.model.translate({ sourceId: SID, pasid: 0x2000, address: VA, access: Access.READ }), { reason: 0x46, pasid: 0x2000 });
  });
});

describe('scalable mode: PASID directory and PASID entry faults', () => {
  it('0x50: PASID directory not accessible', () => {
    const { m } = scalable({ PASIDDIRPTR: 0x3000_0000 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x50 });
  });

  it('0x51: directory entry not present, suppressed by its own FPD even with P = 0', () => {
    const { m, dir } = scalable();
    m.pasidDirectory(dir, PASID, { P: 0 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x51 });
    m.pasidDirectory(dir, PASID, { P: 0, FPD: 1 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x51, recorded: false });
  });

  it('0x52: directory entry reserved bits', () => {
    const { m, dir } = scalable();
    const a = dir + (PASID >>> 6) * 8;
    const e = read64(m.memory, a);
    m.memory.write64(a, e.hi, e.lo | 0x4);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x52 });
  });

  it('0x58: PASID table not accessible (never suppressed)', () => {
    const { m, dir } = scalable({ FPD: 1 });
    m.pasidDirectory(dir, PASID, { FPD: 1 }, 0x3000_0000);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x58 });
  });

  it('0x59: PASID entry not present, suppressed by the PASID entry FPD even with P = 0', () => {
    const { m, table } = scalable();
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x59 });
    m.pasidEntry(table, PASID, { P: 0, FPD: 1 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x59, recorded: false });
  });

  it('0x5A: PASID entry reserved bits; 0x5B: reserved PGTT or unsupported AW', () => {
    const { m, table } = scalable();
    m.pasidEntry(table, PASID, { PGTT: 2, AW: 2, DID });
    const a = table + (PASID & 63) * 64;
    const e = read64(m.memory, a);
    m.memory.write64(a, e.hi, e.lo | 0x400);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x5a });
    m.pasidEntry(table, PASID, { PGTT: 5, DID });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x5b });
    m.pasidEntry(table, PASID, { PGTT: 2, AW: 4, DID });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x5b });
  });

  it('0x5C: execute request with ERE = 0; 0x5D: supervisor request with SRE = 0', () => {
    const { m } = firstLevel({ ERE: 0, SRE: 0 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.EXEC }), { reason: 0x5c, exec: true });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ | Access.PRIV }), { reason: 0x5d, priv: true });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.WRITE | Access.PRIV }), { reason: 0x5d, priv: true, write: true });
  });

  it('FPD of the PASID entry suppresses walk faults; non-qualified faults stay recorded', () => {
    const { m } = firstLevel({ FPD: 1 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x10_0000, access: Access.READ }), {
      reason: 0x71,
      address: VA + 0x10_0000,
      recorded: false,
    });
    expect(m.model.readFaults()).toHaveLength(0);
  });
});

describe('scalable mode: requests without PASID use RID_PASID and RID_PRIV', () => {
  it('translates through the RID_PASID entry and tags the IOTLB with RID_PASID', () => {
    const rid = 0x42;
    const { m } = secondLevel({}, { RID_PASID: rid }, rid);
    const r = m.model.translate({ sourceId: SID, address: IOVA + 0x10, access: Access.WRITE });
    expect(r).toEqual({ ok: true, output: DATA_BASE + 0x10, pageShift: 12, permitted: Perm.ALL, cached: false });
    expect(m.model.caches.iotlb.lookup(DID, rid, IOVA)).toBeDefined();
    // A request with PASID = RID_PASID uses the same entry and hits the same IOTLB entry.
    const same = m.model.translate({ sourceId: SID, pasid: rid, address: IOVA, access: Access.READ });
    expect(same.ok && same.cached).toBe(true);
  });

  it('RID_PRIV makes requests without PASID supervisor requests (0x5D with SRE = 0, no PRIV in the record)', () => {
    const { m, fl } = (() => {
      const s = scalable({ RID_PASID: 0, RID_PRIV: 1 }, 0);
      const fl = s.m.firstLevel({ nxe: true });
      fl.map(0x1000, DATA_BASE, 0x1000, { read: true });
      s.m.pasidEntry(s.table, 0, { PGTT: 1, FLPTPTR: fl.root, DID, NXE: 1 });
      return { ...s, fl };
    })();
    expect(fl.root).toBeGreaterThan(0);
    expectFault(m.model.translate({ sourceId: SID, address: 0x1000, access: Access.READ }), { reason: 0x5d, pasid: undefined, address: 0x1000 });
  });

  it('without RID_PRIV a request without PASID is a user request (U/S = 0 page faults 0x81)', () => {
    const s = scalable({ RID_PASID: 0 }, 0);
    const fl = s.m.firstLevel({ nxe: true });
    fl.map(0x1000, DATA_BASE, 0x1000, { read: true }); // supervisor page
    s.m.pasidEntry(s.table, 0, { PGTT: 1, FLPTPTR: fl.root, DID, NXE: 1, SRE: 1 });
    expectFault(s.m.model.translate({ sourceId: SID, address: 0x1000, access: Access.READ | Access.PRIV | Access.EXEC }), {
      reason: 0x81,
      pasid: undefined,
      address: 0x1000,
    });
  });
});

describe('scalable mode: first-level translation (PGTT = 001b)', () => {
  it('translates user and supervisor requests and traces the configuration reads', () => {
    const { m } = firstLevel();
    const trace: TraceEntry[] = [];
    const r = m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x10, access: Access.WRITE }, { trace });
    expect(r).toEqual({ ok: true, output: DATA_BASE + 0x10, pageShift: 12, permitted: Perm.UR | Perm.UW | Perm.PR | Perm.PW, cached: false });
    const labels = trace.filter((t) => t.stage === 0).map((t) => t.label);
    expect(labels).toEqual([
      'root entry',
      'root entry',
      'context entry',
      'context entry',
      'context entry',
      'context entry',
      'PASID directory entry',
      ...Array(8).fill('PASID entry'),
    ]);
    expect(trace.filter((t) => t.stage === 1 && !t.write).map((t) => t.level)).toEqual([4, 3, 2, 1]);
    const sup = m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x1000, access: Access.READ | Access.PRIV | Access.EXEC });
    expect(sup.ok && sup.output).toBe(DATA_BASE + 0x1000);
  });

  it('accepts canonical high-half addresses and faults 0x80 on non-canonical ones', () => {
    const s = scalable();
    const fl = s.m.firstLevel({ nxe: true });
    fl.map(0xffff_8000_0000, DATA_BASE, 0x1000, URW); // low 48 bits of 0xffff_ffff_8000_0000
    s.m.pasidEntry(s.table, PASID, { PGTT: 1, FLPTPTR: fl.root, DID, NXE: 1 });
    const high = 0xffff_ffff_8000_0123n;
    const ok = s.m.model.translate({ sourceId: SID, pasid: PASID, address: high, access: Access.READ });
    expect(ok.ok && ok.output).toBe(DATA_BASE + 0x123);
    const bad = 0x0000_8000_0000_0000n;
    expectFault(s.m.model.translate({ sourceId: SID, pasid: PASID, address: bad, access: Access.READ }), { reason: 0x80, address: bad });
    const bad2 = 0x8000_0000_0000_1000n;
    expectFault(s.m.model.translate({ sourceId: SID, pasid: PASID, address: bad2, access: Access.READ }), { reason: 0x80, address: bad2 });
  });

  it('0x71 not present, 0x72 reserved (XD with NXE = 0), 0x73 root unreadable, 0x70 lower table unreadable', () => {
    const { m, fl, table } = firstLevel();
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x40_0000, access: Access.READ }), {
      reason: 0x71,
      address: VA + 0x40_0000,
    });
    // Same tables with NXE = 0 in the PASID entry: the XD bits the builder set are reserved.
    m.pasidEntry(table, PASID, { PGTT: 1, FLPTPTR: fl.root, DID, NXE: 0 });
    invalidateAll(m);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x72 });
    m.pasidEntry(table, PASID, { PGTT: 1, FLPTPTR: 0x3000_0000, DID, NXE: 1 });
    invalidateAll(m);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x73 });
    m.pasidEntry(table, PASID, { PGTT: 1, FLPTPTR: fl.root, DID, NXE: 1 });
    invalidateAll(m);
    const pml4e = fl.root + Math.floor(VA / 2 ** 39) % 512 * 8;
    m.memory.write64(pml4e, 0, 0x3000_0007);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.READ }), { reason: 0x70 });
  });

  it('0x81 user request to a supervisor page; 0x85 write to a read-only page; 0x82 execute on XD', () => {
    const { m } = firstLevel();
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x1000, access: Access.READ }), { reason: 0x81, address: VA + 0x1000 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x2000, access: Access.WRITE }), {
      reason: 0x85,
      address: VA + 0x2000,
      write: true,
    });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.EXEC }), { reason: 0x82, exec: true });
  });

  it('WPE: supervisor writes to read-only pages succeed with WPE = 0 and fault 0x85 with WPE = 1', () => {
    const a = firstLevel({ WPE: 0 });
    const ok = a.m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x1000, access: Access.WRITE | Access.PRIV });
    expect(ok.ok).toBe(true);
    const b = firstLevel({ WPE: 1 });
    expectFault(b.m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x1000, access: Access.WRITE | Access.PRIV }), {
      reason: 0x85,
      address: VA + 0x1000,
      write: true,
      priv: true,
    });
  });

  it('SMEP: supervisor execute on a user page faults 0x82 only with SMEP = 1', () => {
    const a = firstLevel({ SMEP: 0 });
    expect(a.m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x2000, access: Access.EXEC | Access.PRIV }).ok).toBe(true);
    const b = firstLevel({ SMEP: 1 });
    expectFault(b.m.model.translate({ sourceId: SID, pasid: PASID, address: VA + 0x2000, access: Access.EXEC | Access.PRIV }), {
      reason: 0x82,
      address: VA + 0x2000,
      exec: true,
      priv: true,
    });
  });

  it('NXE = 0: nothing is execute-disabled (pages built without XD execute)', () => {
    const { m } = firstLevel({ NXE: 0 }, { nxe: false });
    expect(m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.EXEC }).ok).toBe(true);
  });

  it('0x91: the A/D write-back of a first-level entry fails', () => {
    let readOnlyPage = -1;
    const wrap = (mem: SparseMemory): PhysicalMemory =>
      new Proxy(mem, {
        get(target, prop, receiver) {
          if (prop === 'write64') {
            return (a: number, hi: number, lo: number) => (Math.floor(a / 4096) === readOnlyPage ? false : target.write64(a, hi, lo));
          }
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
        },
      });
    const s = scalable({}, PASID, wrap);
    const fl = s.m.firstLevel({ nxe: true });
    fl.map(VA, DATA_BASE, 0x1000, { ...URW, dirty: false });
    s.m.pasidEntry(s.table, PASID, { PGTT: 1, FLPTPTR: fl.root, DID, NXE: 1 });
    const leaf = fl.lookup(VA)!;
    expect(leaf).toBeDefined();
    // The page table holding the leaf: walk down the builder's tables.
    let table = fl.root;
    for (let depth = 0; depth < 3; depth++) {
      const e = read64(s.m.memory, table + (Math.floor(VA / 2 ** (39 - 9 * depth)) % 512) * 8);
      table = e.hi * 2 ** 32 + (e.lo & 0xffff_f000);
    }
    readOnlyPage = Math.floor(table / 4096);
    expectFault(s.m.model.translate({ sourceId: SID, pasid: PASID, address: VA, access: Access.WRITE }), { reason: 0x91, write: true });
  });
});

describe('scalable mode: second-level translation (PGTT = 010b) and pass-through (100b)', () => {
  it('translates and faults 0x83 beyond the AGAW', () => {
    const { m } = secondLevel({ AW: 1 });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: 2 ** 39, access: Access.READ }), { reason: 0x83, address: 2 ** 39 });
  });

  it('0x79 not present, 0x85 write to read-only, 0x86 read of write-only, 0x82 execute with SLEE and X = 0', () => {
    const { m } = secondLevel({ SLEE: 1, ERE: 1 });
    expect(m.model.translate({ sourceId: SID, pasid: PASID, address: IOVA + 0x1000, access: Access.READ }).ok).toBe(true);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: IOVA + 0x10_0000, access: Access.READ }), {
      reason: 0x79,
      address: IOVA + 0x10_0000,
    });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: IOVA + 0x1000, access: Access.WRITE }), {
      reason: 0x85,
      address: IOVA + 0x1000,
      write: true,
    });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: IOVA + 0x2000, access: Access.READ }), {
      reason: 0x86,
      address: IOVA + 0x2000,
    });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: IOVA, access: Access.EXEC }), { reason: 0x82, address: IOVA, exec: true });
  });

  it('0x7A reserved bits, 0x7B SLPTPTR unreadable, 0x78 lower table unreadable', () => {
    const { m, sl, table } = secondLevel();
    const l4 = sl.root + Math.floor(IOVA / 2 ** 39) * 8;
    const e = read64(m.memory, l4);
    m.memory.write64(l4, e.hi, e.lo | 0x80); // PS in an SL-PML4E is reserved
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: IOVA, access: Access.READ }), { reason: 0x7a, address: IOVA });
    m.memory.write64(l4, 0, 0x3000_0003);
    invalidateAll(m);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: IOVA, access: Access.READ }), { reason: 0x78, address: IOVA });
    m.pasidEntry(table, PASID, { PGTT: 2, AW: 2, SLPTPTR: 0x3000_0000, DID });
    invalidateAll(m);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: IOVA, access: Access.READ }), { reason: 0x7b, address: IOVA });
  });

  it('pass-through: output = input, 0x83 at or beyond 2^HAW', () => {
    const { m, table } = scalable();
    m.pasidEntry(table, PASID, { PGTT: 4, DID });
    const r = m.model.translate({ sourceId: SID, pasid: PASID, address: 0x1234_5678, access: Access.WRITE });
    expect(r).toEqual({ ok: true, output: 0x1234_5678, pageShift: 12, permitted: Perm.ALL, cached: false });
    const beyond = 2 ** m.model.haw;
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: beyond, access: Access.READ }), { reason: 0x83, address: beyond });
  });
});

describe('scalable mode: nested translation (PGTT = 011b)', () => {
  const GUEST_HOST = 0x400_0000; // guest RAM at HPA 64 MiB
  const GUEST_SIZE = 0x100_0000; // 16 MiB
  const GVA = 0x4000_1000;

  function nested(slOptions = {}) {
    const s = scalable();
    const guest = makeGuest(s.m, GUEST_HOST, GUEST_SIZE, 0x10_0000, 0x40_0000, slOptions);
    const fl = s.m.firstLevel({ nxe: true, hawBits: 52 }, guest.memory, guest.alloc);
    fl.map(GVA, 0x80_0000, 0x1000, URW); // GVA → GPA 8 MiB → HPA 72 MiB
    s.m.pasidEntry(s.table, PASID, { PGTT: 3, AW: 2, SLPTPTR: guest.sl.root, FLPTPTR: fl.root, DID, NXE: 1, SRE: 1 });
    return { ...s, guest, fl };
  }

  /** HPA of the GPA page holding the first-level table entry for `gva` at `depth`. */
  function flTableGpa(fl: { root: number }, mem: PhysicalMemory, gva: number, depth: number): number {
    let table = fl.root;
    for (let d = 0; d < depth; d++) {
      const e = read64(mem, table + (Math.floor(gva / 2 ** (39 - 9 * d)) % 512) * 8);
      table = e.hi * 2 ** 32 + (e.lo & 0xffff_f000);
    }
    return table;
  }

  it('translates GVA → GPA → HPA, reading first-level tables through the second level', () => {
    const { m } = nested();
    const trace: TraceEntry[] = [];
    const r = m.model.translate({ sourceId: SID, pasid: PASID, address: GVA + 0x44, access: Access.WRITE }, { trace });
    expect(r.ok && r.output).toBe(GUEST_HOST + 0x80_0000 + 0x44);
    const s1 = trace.filter((t) => t.stage === 1 && !t.write);
    expect(s1.map((t) => t.level)).toEqual([4, 3, 2, 1]);
    expect(s1.every((t) => t.ipa !== undefined && t.address === t.ipa + GUEST_HOST)).toBe(true);
  });

  it('0x74: FLPTPTR itself beyond MGAW (reported by the PASID-entry check)', () => {
    const { m, table, guest } = nested();
    m.pasidEntry(table, PASID, { PGTT: 3, AW: 2, SLPTPTR: guest.sl.root, FLPTPTR: 2 ** 48, DID, NXE: 1, SRE: 1 });
    invalidateAll(m);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: GVA, access: Access.READ }), { reason: 0x74, address: GVA });
  });

  it('0x74: a first-level table pointer beyond the second level input range', () => {
    const { m, fl, guest } = nested();
    const pml4e = fl.root + Math.floor(GVA / 2 ** 39) * 8;
    guest.memory.write64(pml4e, 0x1_0000, 0x7); // GPA 2^48
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: GVA, access: Access.READ }), { reason: 0x74, address: GVA });
  });

  it('0x75 / 0x76: the second level denies reading the first-level root / a lower table', () => {
    const { m, fl, guest } = nested();
    const root = fl.root;
    guest.sl.unmap(root, 0x1000);
    guest.sl.map(root, GUEST_HOST + root, 0x1000, { write: true });
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: GVA, access: Access.READ }), { reason: 0x75, address: GVA });
    guest.sl.unmap(root, 0x1000);
    guest.sl.map(root, GUEST_HOST + root, 0x1000, RW);
    const pt = flTableGpa(fl, guest.memory, GVA, 3);
    guest.sl.unmap(pt, 0x1000);
    guest.sl.map(pt, GUEST_HOST + pt, 0x1000, { write: true });
    invalidateAll(m);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: GVA, access: Access.READ }), { reason: 0x76, address: GVA });
  });

  it('0x77: the second level denies the write-back of a first-level D update', () => {
    const { m, fl, guest } = nested();
    const pt = flTableGpa(fl, guest.memory, GVA, 3);
    guest.sl.unmap(pt, 0x1000);
    guest.sl.map(pt, GUEST_HOST + pt, 0x1000, RO);
    expect(m.model.translate({ sourceId: SID, pasid: PASID, address: GVA, access: Access.READ }).ok).toBe(true);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: GVA, access: Access.WRITE }), { reason: 0x77, address: GVA, write: true });
  });

  it('0x84: the first-level output GPA beyond the second level input range; 0x79 output GPA unmapped', () => {
    const { m, fl } = nested();
    fl.map(GVA + 0x1000, 2 ** 48, 0x1000, URW);
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: GVA + 0x1000, access: Access.READ }), {
      reason: 0x84,
      address: GVA + 0x1000,
    });
    fl.map(GVA + 0x2000, 0x200_0000, 0x1000, URW); // GPA 32 MiB: beyond the guest's 16 MiB
    expectFault(m.model.translate({ sourceId: SID, pasid: PASID, address: GVA + 0x2000, access: Access.READ }), {
      reason: 0x79,
      address: GVA + 0x2000,
    });
  });
});

/** Global context-cache, PASID-cache and IOTLB invalidation through the registers and the queue-less paths. */
function invalidateAll(m: Machine): void {
  m.model.caches.invalidateContextGlobal();
  m.model.caches.invalidatePasidCacheGlobal();
  m.model.caches.invalidateIotlbGlobal();
}
