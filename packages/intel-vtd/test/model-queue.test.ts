import { describe, it, expect } from 'vitest';
import { Access, type PageTableBuilder } from '@viommu/core';
import { encodeQiDescriptor, type QiDescriptor } from '../src/structures/index';
import { Fsts, Gcmd, Gsts, QueueErrorInfo, VtdRegister } from '../src/model/index';
import { DATA_BASE, Machine, RW, URW } from './model-support';

/** What a driver does to use the invalidation queue: IQA, IQT = 0, GCMD.QIE, then descriptors and IQT. */
class QueueDriver {
  readonly base: number;
  readonly bytes: number;
  readonly step: number;
  tail = 0;

  constructor(
    readonly m: Machine,
    readonly wide: boolean,
    qs = wide ? 1 : 0,
  ) {
    this.bytes = 4096 * 2 ** qs;
    this.step = wide ? 32 : 16;
    this.base = m.alloc.allocate(this.bytes);
    m.model.writeRegister(VtdRegister.IQA, BigInt(this.base) | (wide ? 0x800n : 0n) | BigInt(qs));
    m.model.writeRegister(VtdRegister.IQT, 0n);
    this.gcmd(Gcmd.QIE, true);
  }

  gcmd(bit: number, on: boolean): void {
    const gsts = Number(this.m.model.readRegister(VtdRegister.GSTS, 4));
    let cmd = gsts & (Gsts.TES | Gsts.QIES);
    cmd = on ? cmd | bit : cmd & ~bit;
    this.m.model.writeRegister(VtdRegister.GCMD, BigInt(cmd >>> 0), 4);
  }

  /** Writes descriptors at the tail (raw words or decoded) and advances IQT once. */
  submit(...descs: (QiDescriptor | Uint32Array)[]): void {
    for (const d of descs) {
      const words = d instanceof Uint32Array ? d : encodeQiDescriptor(d, this.wide);
      this.m.write(this.base + this.tail, words);
      this.tail = (this.tail + this.step) % this.bytes;
    }
    this.m.model.writeRegister(VtdRegister.IQT, BigInt(this.tail));
  }

  get head(): number {
    return Number(this.m.model.readRegister(VtdRegister.IQH));
  }
}

const wait = (statusAddress: number, statusData: number, interruptFlag = false): QiDescriptor => ({
  type: 5,
  interruptFlag,
  statusWrite: true,
  fence: true,
  pageRequestDrain: false,
  statusData,
  statusAddress: BigInt(statusAddress),
});
const iotlbPage = (did: number, address: number, am = 0): QiDescriptor => ({ type: 2, granularity: 'page', drainReads: true, drainWrites: true, did, am, ih: false, address: BigInt(address) });
const iotlbDomain = (did: number): QiDescriptor => ({ type: 2, granularity: 'domain', drainReads: false, drainWrites: false, did, am: 0, ih: false, address: 0n });
const piotlbPage = (did: number, pasid: number, address: number, am = 0): QiDescriptor => ({ type: 6, granularity: 'page', did, pasid, am, ih: false, address: BigInt(address) });
const piotlbPasid = (did: number, pasid: number): QiDescriptor => ({ type: 6, granularity: 'pasid', did, pasid, am: 0, ih: false, address: 0n });
const pcache = (granularity: 'domain' | 'pasid' | 'global', did: number, pasid = 0): QiDescriptor => ({ type: 7, granularity, did, pasid });
const ccache = (granularity: 'global' | 'domain' | 'device', did: number, sid = 0, fm = 0): QiDescriptor => ({ type: 1, granularity, did, sid, fm });

const STATUS = 0x7f0_0000;

describe('invalidation queue mechanics', () => {
  for (const wide of [false, true]) {
    it(`processes ${wide ? '256' : '128'}-bit descriptors up to IQT, wrapping around the queue`, () => {
      const m = new Machine(true).enable();
      const q = new QueueDriver(m, wide);
      const entries = q.bytes / q.step;
      let data = 0;
      for (let batch = 0; batch < 5; batch++) {
        const descs = Array.from({ length: 100 }, () => wait(STATUS, ++data));
        q.submit(...descs);
        expect(q.head).toBe(q.tail);
        expect(m.memory.read32(STATUS)).toBe(data);
      }
      expect(m.model.queue.executed).toBe(500);
      expect(500 * q.step > entries * q.step).toBe(true); // wrapped at least once
      expect(q.head).toBe((500 * q.step) % q.bytes);
    });
  }

  it('a wait descriptor with IF sets ICS.IWC and raises a completion event (held while IECTL.IM)', () => {
    let events = 0;
    const m = new Machine(true, { onInvalidationEvent: () => events++ }).enable();
    const q = new QueueDriver(m, true);
    q.submit(wait(STATUS, 0xabcd, true));
    expect(m.model.readRegister(VtdRegister.ICS, 4)).toBe(1n);
    expect(m.model.readRegister(VtdRegister.IECTL, 4)).toBe(0xc000_0000n);
    expect(events).toBe(0);
    m.model.writeRegister(VtdRegister.IECTL, 0n, 4);
    expect(events).toBe(1);
    q.submit(wait(STATUS, 1, true)); // IWC still set: no new event
    expect(events).toBe(1);
    m.model.writeRegister(VtdRegister.ICS, 1n, 4);
    expect(m.model.readRegister(VtdRegister.ICS, 4)).toBe(0n);
    q.submit(wait(STATUS, 2, true));
    expect(events).toBe(2);
  });

  it('stops at a malformed descriptor with FSTS.IQE and IQH on it, and resumes once IQE is cleared', () => {
    const m = new Machine(true).enable();
    const q = new QueueDriver(m, false);
    const bad = encodeQiDescriptor(wait(STATUS, 2), false);
    bad[0] = (bad[0]! & ~0xf) | 0xa; // type 10 does not exist
    q.submit(encodeQiDescriptor(wait(STATUS, 1), false), bad, encodeQiDescriptor(wait(STATUS, 3), false));
    expect(m.memory.read32(STATUS)).toBe(1);
    expect(Number(m.model.readRegister(VtdRegister.FSTS, 4)) & Fsts.IQE).toBe(Fsts.IQE);
    expect(q.head).toBe(16);
    expect(m.model.readRegister(VtdRegister.IQERCD)).toBe(BigInt(QueueErrorInfo.INVALID_TYPE));
    // A further tail write does nothing while IQE is set.
    m.model.writeRegister(VtdRegister.IQT, BigInt(q.tail));
    expect(q.head).toBe(16);
    // Software fixes the descriptor and clears IQE: hardware resumes at IQH.
    m.write(q.base + 16, encodeQiDescriptor(wait(STATUS, 2), false));
    m.model.writeRegister(VtdRegister.FSTS, BigInt(Fsts.IQE), 4);
    expect(m.memory.read32(STATUS)).toBe(3);
    expect(q.head).toBe(q.tail);
  });

  it('rejects reserved bits (IQEI 4), a non-zero upper half in 256-bit mode, and a misaligned 256-bit tail (IQEI 6)', () => {
    const m = new Machine(true).enable();
    const q = new QueueDriver(m, true);
    const reserved = encodeQiDescriptor(iotlbDomain(1), true);
    reserved[0] = reserved[0]! | 0x100; // bit 8 is reserved in the IOTLB descriptor
    q.submit(reserved);
    expect(m.model.readRegister(VtdRegister.IQERCD)).toBe(4n);
    expect(q.head).toBe(0);

    const m2 = new Machine(true).enable();
    const q2 = new QueueDriver(m2, true);
    const upper = encodeQiDescriptor(iotlbDomain(1), true);
    upper[5] = 1; // qw2
    q2.submit(encodeQiDescriptor(wait(STATUS, 5), true), upper);
    expect(Number(m2.model.readRegister(VtdRegister.FSTS, 4)) & Fsts.IQE).toBe(Fsts.IQE);
    expect(q2.head).toBe(32);
    // The page-group response's upper half is private data, not reserved.
    const m3 = new Machine(true).enable();
    const q3 = new QueueDriver(m3, true);
    q3.submit({ type: 9, pasidPresent: true, privateDataPresent: true, responseCode: 0, rid: 0x100, pasid: 7, lastPageInGroup: true, prgIndex: 3, privateData: [1n, 2n] });
    expect(Number(m3.model.readRegister(VtdRegister.FSTS, 4)) & Fsts.IQE).toBe(0);
    expect(m3.model.pageGroupResponses).toEqual([{ requesterId: 0x100, pasid: 7, group: 3, last: true, code: 0 }]);

    const m4 = new Machine(true).enable();
    new QueueDriver(m4, true);
    m4.model.writeRegister(VtdRegister.IQT, 0x10n);
    expect(m4.model.readRegister(VtdRegister.IQERCD)).toBe(BigInt(QueueErrorInfo.TAIL_MISALIGNED));
  });

  it('rejects a reserved granularity (PASID-cache G = 10b) and accepts device-TLB and IEC descriptors', () => {
    const m = new Machine(true).enable();
    const q = new QueueDriver(m, true);
    q.submit(
      { type: 3, pfsid: 0, qdep: 0, sid: 0x100, size: false, address: 0x1000n },
      { type: 4, granularity: 'global', im: 0, iidx: 0 },
      { type: 8, qdep: 0, pfsid: 0, sid: 0x100, pasid: 3, global: false, size: false, address: 0x1000n },
    );
    expect(m.model.queue.executed).toBe(3);
    const bad = encodeQiDescriptor(pcache('global', 0), true);
    bad[0] = (bad[0]! & ~0x30) | 0x20; // G = 10b
    q.submit(bad);
    expect(m.model.readRegister(VtdRegister.IQERCD)).toBe(4n);
  });

  it('disabling queued invalidation resets IQH', () => {
    const m = new Machine(true).enable();
    const q = new QueueDriver(m, false);
    q.submit(wait(STATUS, 1), wait(STATUS, 2));
    expect(q.head).toBe(32);
    q.gcmd(Gcmd.QIE, false);
    expect(q.head).toBe(0);
    expect(Number(m.model.readRegister(VtdRegister.GSTS, 4)) & Gsts.QIES).toBe(0);
  });
});

describe('descriptors drop exactly what they cover', () => {
  const SID = 0x0210;
  const PASID = 9;
  const DID = 42;
  const IOVA = 0x5000_0000;

  /** Scalable: PASID 9 second-level (DID 42), PASID 10 first-level (DID 42). */
  function setup() {
    const m = new Machine(true);
    const dir = m.scalableContext(SID);
    const table = m.pasidDirectory(dir, PASID);
    const sl = m.secondLevel();
    sl.map(IOVA, DATA_BASE, 0x2000, RW);
    m.pasidEntry(table, PASID, { PGTT: 2, AW: 2, SLPTPTR: sl.root, DID });
    const fl = m.firstLevel();
    fl.map(IOVA, DATA_BASE + 0x10000, 0x2000, URW);
    m.pasidEntry(table, PASID + 1, { PGTT: 1, FLPTPTR: fl.root, DID });
    m.enable();
    const q = new QueueDriver(m, true);
    return { m, q, sl, fl, table, dir };
  }

  const remap = (b: PageTableBuilder, iova: number, pa: number, prot = RW) => {
    b.unmap(iova, 0x1000);
    b.map(iova, pa, 0x1000, prot);
  };
  const out = (m: Machine, pasid: number, address: number) => {
    const r = m.model.translate({ sourceId: SID, pasid, address, access: Access.READ });
    return r.ok ? r.output : -r.reason;
  };

  it('IOTLB page-selective (type 2) for a second-level PASID', () => {
    const { m, q, sl } = setup();
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE);
    remap(sl, IOVA, DATA_BASE + 0x8000);
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE); // stale until invalidated
    q.submit(iotlbPage(DID + 1, IOVA), iotlbPage(DID, IOVA + 0x1000), piotlbPasid(DID, PASID));
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE); // wrong DID, other page, PASID-based for a second-level entry
    q.submit(iotlbPage(DID, IOVA + 0x1000, 1)); // AM = 1 covers IOVA
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE + 0x8000);
  });

  it('PASID-based IOTLB (type 6) for a first-level PASID; type 2 page-selective drops first-level entries of the DID', () => {
    const { m, q, fl } = setup();
    expect(out(m, PASID + 1, IOVA)).toBe(DATA_BASE + 0x10000);
    remap(fl, IOVA, DATA_BASE + 0x20000, URW);
    q.submit(piotlbPage(DID, PASID, IOVA), piotlbPage(DID + 1, PASID + 1, IOVA), piotlbPage(DID, PASID + 1, IOVA + 0x1000));
    expect(out(m, PASID + 1, IOVA)).toBe(DATA_BASE + 0x10000);
    q.submit(piotlbPage(DID, PASID + 1, IOVA));
    expect(out(m, PASID + 1, IOVA)).toBe(DATA_BASE + 0x20000);
    remap(fl, IOVA, DATA_BASE + 0x30000, URW);
    q.submit(iotlbPage(DID, 0x7000_0000));
    expect(out(m, PASID + 1, IOVA)).toBe(DATA_BASE + 0x30000);
  });

  it('PASID cache (type 7) for a changed PASID entry', () => {
    const { m, q, table } = setup();
    expect(out(m, PASID, IOVA + 0x1000)).toBe(DATA_BASE + 0x1000);
    const other = m.secondLevel();
    other.map(IOVA, DATA_BASE + 0x40000, 0x2000, RW);
    m.pasidEntry(table, PASID, { PGTT: 2, AW: 2, SLPTPTR: other.root, DID: DID + 1 });
    q.submit(iotlbDomain(DID)); // the IOTLB is clean now, the PASID cache is not
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE);
    q.submit(pcache('pasid', DID + 1, PASID), pcache('domain', DID + 1), pcache('pasid', DID, PASID + 1));
    q.submit(iotlbDomain(DID));
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE); // the cached entry is tagged with DID 42
    q.submit(pcache('pasid', DID, PASID));
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE + 0x40000);
    m.pasidEntry(table, PASID, { P: 0 });
    q.submit(pcache('global', 0), iotlbDomain(DID + 1));
    expect(out(m, PASID, IOVA)).toBe(-0x59);
  });

  it('context cache (type 1) device-selective with a function mask', () => {
    const { m, q } = setup();
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE);
    m.scalableContext(SID, { PASIDE: 0 });
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE);
    q.submit(ccache('device', 0, SID + 0x8, 3), ccache('domain', 1)); // other device (function mask covers only bits 2:0)
    // Scalable-mode context entries hold no DID, so the domain-selective one dropped them all.
    expect(out(m, PASID, IOVA)).toBe(-0x45);
    m.scalableContext(SID, {});
    q.submit(ccache('device', 0, SID + 0x8, 3));
    expect(out(m, PASID, IOVA)).toBe(-0x45);
    q.submit(ccache('device', 0, SID | 0x7, 3));
    // The new context points to an empty PASID directory, but the PASID cache still holds the old entry.
    expect(out(m, PASID, IOVA)).toBe(DATA_BASE);
    q.submit(pcache('global', 0));
    expect(out(m, PASID, IOVA)).toBe(-0x51);
  });
});
