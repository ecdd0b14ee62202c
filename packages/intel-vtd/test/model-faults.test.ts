import { describe, it, expect } from 'vitest';
import { Access } from '@viommu/core';
import { decodeFaultRecord, DEFAULT_VTD_CAP } from '../src/structures/index';
import { FaultLog, Fsts, Gcmd, VtdRegister } from '../src/model/index';
import { Machine } from './model-support';

/** A legacy machine where every bus has no root entry: each request faults 0x1 with its own SID. */
function machine(onFaultEvent?: () => void, cap?: bigint) {
  return new Machine(false, { onFaultEvent, ...(cap === undefined ? {} : { cap }) }).enable();
}

const fault = (m: Machine, sid: number, access: number = Access.READ) => m.model.translate({ sourceId: sid, address: 0x1000 * sid, access });
const fsts = (m: Machine) => Number(m.model.readRegister(VtdRegister.FSTS, 4));

describe('primary fault logging', () => {
  it('records into consecutive registers, FRI names the first, PPF is the OR of the F bits', () => {
    const m = machine();
    for (let i = 0; i < 3; i++) expect(fault(m, 0x100 + i).ok).toBe(false);
    expect(fsts(m)).toBe(Fsts.PPF);
    const faults = m.model.readFaults();
    expect(faults.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(faults.map((f) => decodeFaultRecord(f.record).sourceId)).toEqual([0x100, 0x101, 0x102]);
    // The register file shows the same 128 bits: low qword at +0, high at +8.
    const lo = m.model.readRegister(m.model.faultRecordOffset(1));
    const hi = m.model.readRegister(m.model.faultRecordOffset(1) + 8);
    expect(lo).toBe(0x101000n);
    expect(hi >> 63n).toBe(1n);
    expect(Number((hi >> 32n) & 0xffn)).toBe(0x1);
    expect(Number(hi & 0xffffn)).toBe(0x101);
  });

  it('sets PFO and drops the fault when the next register is still pending; drops all while PFO is set', () => {
    const m = machine();
    const n = m.model.faultLog.count;
    for (let i = 0; i < n; i++) expect(fault(m, 0x200 + i).ok).toBe(false);
    const dropped = fault(m, 0x300);
    expect(!dropped.ok && dropped.recorded).toBe(false);
    expect(fsts(m)).toBe(Fsts.PPF | Fsts.PFO);
    // Free register 0 (RW1C on F): still dropped while PFO is set.
    m.model.writeRegister(m.model.faultRecordOffset(0) + 8, 1n << 63n);
    expect(m.model.readFaults()).toHaveLength(n - 1);
    const stillDropped = fault(m, 0x301);
    expect(!stillDropped.ok && stillDropped.recorded).toBe(false);
    // Clear PFO: the next fault lands in register 0 (the index wrapped), FRI unchanged (PPF stayed set).
    m.model.writeRegister(VtdRegister.FSTS, BigInt(Fsts.PFO), 4);
    expect(fsts(m)).toBe(Fsts.PPF);
    const r = fault(m, 0x302);
    expect(!r.ok && r.recorded).toBe(true);
    expect(decodeFaultRecord(m.model.readFaults()[0]!.record).sourceId).toBe(0x302);
    expect((fsts(m) >> 8) & 0xff).toBe(0);
  });

  it('FRI records the index of the first fault logged while PPF was clear', () => {
    const m = machine();
    fault(m, 0x100);
    fault(m, 0x101);
    m.model.clearFaults();
    expect(fsts(m)).toBe(0);
    fault(m, 0x102, Access.WRITE);
    expect(fsts(m)).toBe(Fsts.PPF | (2 << 8));
    const rec = decodeFaultRecord(m.model.readFaults()[0]!.record);
    expect(rec.type).toBe('write');
    expect(m.model.readFaults()[0]!.index).toBe(2);
  });

  it('writing 0 to F or to the low qword changes nothing', () => {
    const m = machine();
    fault(m, 0x100);
    const off = m.model.faultRecordOffset(0);
    const before = [m.model.readRegister(off), m.model.readRegister(off + 8)];
    m.model.writeRegister(off, 0n);
    m.model.writeRegister(off + 8, 0n);
    m.model.writeRegister(off + 8, 0x7fff_ffff_ffff_ffffn);
    expect([m.model.readRegister(off), m.model.readRegister(off + 8)]).toEqual(before);
  });

  it('supports the NFR + 1 registers CAP declares (here 2)', () => {
    const cap = (DEFAULT_VTD_CAP & ~(0xffn << 40n)) | (1n << 40n);
    const m = machine(undefined, cap);
    expect(m.model.faultLog.count).toBe(2);
    fault(m, 1);
    fault(m, 2);
    const r = fault(m, 3);
    expect(!r.ok && r.recorded).toBe(false);
    expect(fsts(m) & Fsts.PFO).toBe(Fsts.PFO);
    // Beyond the last fault recording register is nothing.
    expect(m.model.readRegister(m.model.faultRecordOffset(2) + 8)).toBe(0n);
  });

  it('resets the recording index when translation is disabled', () => {
    const m = machine();
    fault(m, 0x100);
    fault(m, 0x101);
    m.model.clearFaults();
    m.model.writeRegister(VtdRegister.GCMD, 0n, 4);
    m.model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.TE), 4);
    fault(m, 0x102);
    expect(m.model.readFaults()[0]!.index).toBe(0);
  });
});

describe('fault event interrupt (FECTL)', () => {
  it('raises one event per transition of PPF, held pending while masked', () => {
    let events = 0;
    const m = machine(() => events++);
    fault(m, 0x100); // IM = 1 at reset: pending, not delivered
    expect(events).toBe(0);
    expect(Number(m.model.readRegister(VtdRegister.FECTL, 4)) >>> 0).toBe(0xc000_0000);
    m.model.writeRegister(VtdRegister.FECTL, 0n, 4); // unmask: delivered
    expect(events).toBe(1);
    expect(m.model.readRegister(VtdRegister.FECTL, 4)).toBe(0n);
    fault(m, 0x101); // PPF already set: no new event
    expect(events).toBe(1);
    m.model.clearFaults();
    fault(m, 0x102);
    expect(events).toBe(2);
  });

  it('FaultLog clears IP once software serviced every status bit', () => {
    const log = new FaultLog(2);
    log.record(new Uint32Array([0, 0, 1, 1]));
    expect(log.readFectl() >>> 0).toBe(0xc000_0000);
    log.writeWord(0, 3, 0x8000_0000);
    expect(log.readFectl() >>> 0).toBe(0x8000_0000);
    log.setQueueError();
    expect(log.readFsts()).toBe(Fsts.IQE);
    expect(log.readFectl() >>> 0).toBe(0xc000_0000);
    log.writeFsts(Fsts.IQE);
    expect(log.readFectl() >>> 0).toBe(0x8000_0000);
  });
});
