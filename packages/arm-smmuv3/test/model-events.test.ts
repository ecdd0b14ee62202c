/**
 * One test per event the model raises, checking every field of the record (Arm IHI0070 §7.3), and that
 * the record reached the Event queue.
 */
import { Access, PoolAllocator, type PageTableBuilder, type TranslatedMemory } from '@viommu/core';
import { describe, expect, it } from 'vitest';
import { CD, decodeEvent } from '../src/structures/index';
import type { SmmuTranslateFault } from '../src/model/index';
import { Fixture, Layout, RO, RW, cdFields, guestView, l1cdWords, s1SteFields, s2SteFields, stage1Tables, stage2Tables } from './model-fixture';

/** An unbacked physical address (external abort), within the 48-bit OAS. */
const UNBACKED = 0x80_0000_0000;

function fault(r: unknown): SmmuTranslateFault {
  expect(r).toMatchObject({ ok: false });
  return r as SmmuTranslateFault;
}

/** Expects an event with exactly these fields, recorded in the queue with the same record. */
function expectEvent(fx: Fixture, r: unknown, name: string, fields: Record<string, number | bigint>): void {
  const f = fault(r);
  expect(f.event).toEqual({ name, code: f.event!.code, fields });
  expect(f.recorded).toBe(true);
  const queued = fx.smmu.readEvents();
  expect(queued).toEqual([f.event]);
  expect(decodeEvent(f.record!)).toEqual(f.event);
}

function s1World(fx: Fixture, sid = 3, cdExtra: Parameters<typeof CD.encode>[0] = {}) {
  const s1 = stage1Tables(fx.mem, fx.pool);
  s1.map(0x40_0000, Layout.DATA, 0x2000, RW);
  s1.map(0x60_0000, Layout.DATA + 0x10_0000, 0x1000, RO);
  const cd = fx.structAlloc(64);
  fx.writeStruct(cd, CD.encode(cdFields(s1.root, 5, cdExtra)));
  fx.writeSte(sid, s1SteFields(cd));
  return { s1, cd };
}

const GPA = 0x4000_0000;
const GPA_PA = 0x0c00_0000;

function nestedWorld(fx: Fixture, sid = 4) {
  const s2 = stage2Tables(fx.mem, fx.pool);
  s2.map(GPA, GPA_PA, 16 * 1024 * 1024, RW);
  const guest: TranslatedMemory = guestView(fx, s2);
  const galloc = new PoolAllocator(guest, GPA + 0x10_0000, 0x80_0000);
  const s1: PageTableBuilder = stage1Tables(guest, galloc);
  s1.map(0x7000, GPA + 0x9000, 0x1000, RW);
  const cdIpa = GPA;
  fx.writeStruct(cdIpa, CD.encode(cdFields(s1.root, 1)), guest);
  fx.writeSte(sid, { V: 1, Config: 7, S1ContextPtr: BigInt(cdIpa), ...s2SteFields(s2.root, 2) });
  return { s2, guest, s1, cdIpa };
}

const HDR = (sid: number, ssid?: number) => ({ SSV: ssid === undefined ? 0 : 1, SubstreamID: ssid ?? 0, StreamID: sid });
const TRANSLATION = (sid: number, input: bigint, more: Record<string, number | bigint>, ssid?: number) => ({
  ...HDR(sid, ssid),
  STAG: 0,
  Stall: 0,
  PnU: 0,
  InD: 0,
  RnW: 1,
  S2: 0,
  CLASS: 2,
  InputAddr: input,
  IPA: 0,
  ...more,
});

describe('configuration events', () => {
  it('C_BAD_STREAMID: StreamID beyond STRTAB_BASE_CFG.LOG2SIZE; suppressed without CR2.RECINVSID', () => {
    const fx = new Fixture({ log2Size: 8 });
    expectEvent(fx, fx.smmu.translate({ streamId: 0x1234, substreamId: 5, address: 0, access: Access.READ }), 'C_BAD_STREAMID', HDR(0x1234, 5));
    const quiet = new Fixture({ recinvsid: false });
    const r = fault(quiet.smmu.translate({ streamId: 0x1234, address: 0, access: Access.READ }));
    expect(r).toMatchObject({ recorded: false, delivery: 'suppressed', event: { name: 'C_BAD_STREAMID' } });
    expect(quiet.smmu.readEvents()).toEqual([]);
  });

  it('C_BAD_STREAMID: an L1STD with Span == 0 in a 2-level Stream table', () => {
    const fx = new Fixture({ split: 6, log2Size: 12 });
    expectEvent(fx, fx.smmu.translate({ streamId: 0x345, address: 0, access: Access.READ }), 'C_BAD_STREAMID', HDR(0x345));
  });

  it('F_STE_FETCH: the level-2 STE array is unbacked; FetchAddr is the STE address', () => {
    const fx = new Fixture({ split: 6, log2Size: 12 });
    // L1STD for SIDs 0x40..0x7f: Span 7, L2Ptr unbacked.
    fx.writeStruct(Layout.STRTAB + 8, Uint32Array.of(7 | 0, 0x80));
    expectEvent(fx, fx.smmu.translate({ streamId: 0x45, address: 0x10, access: Access.READ }), 'F_STE_FETCH', {
      ...HDR(0x45),
      FetchAddr: BigInt(UNBACKED + 5 * 64),
    });
  });

  it('C_BAD_STE: V == 0, and an ILLEGAL stage-2 configuration', () => {
    const fx = new Fixture();
    expectEvent(fx, fx.smmu.translate({ streamId: 1, address: 0, access: Access.READ }), 'C_BAD_STE', HDR(1));
    fx.writeSte(2, { V: 1, Config: 6, ...s2SteFields(0x10_0000, 1, { S2T0SZ: 10 }) });
    expectEvent(fx, fx.smmu.translate({ streamId: 2, substreamId: 3, address: 0, access: Access.READ }), 'C_BAD_STE', HDR(2, 3));
  });

  it('no event for Config == 0b000 (abort)', () => {
    const fx = new Fixture();
    fx.writeSte(1, { V: 1, Config: 0 });
    const r = fault(fx.smmu.translate({ streamId: 1, address: 0, access: Access.READ }));
    expect(r).toMatchObject({ event: undefined, recorded: false, abort: 'STE_ABORT' });
    expect(fx.smmu.readEvents()).toEqual([]);
  });

  it('F_STREAM_DISABLED: no SubstreamID with S1DSS == terminate; its record has only StreamID', () => {
    const fx = new Fixture();
    const cd = fx.structAlloc(64 * 16, 1024);
    fx.writeSte(6, s1SteFields(cd, { S1CDMax: 4, S1DSS: 0 }));
    expectEvent(fx, fx.smmu.translate({ streamId: 6, address: 0, access: Access.WRITE }), 'F_STREAM_DISABLED', { StreamID: 6 });
  });

  it('C_BAD_SUBSTREAMID: SSID ≥ 2^S1CDMax, SSID with stage 1 disabled, L1CD.V == 0', () => {
    const fx = new Fixture();
    const cd = fx.structAlloc(64 * 16, 1024);
    fx.writeSte(6, s1SteFields(cd, { S1CDMax: 4, S1DSS: 0 }));
    expectEvent(fx, fx.smmu.translate({ streamId: 6, substreamId: 16, address: 0, access: Access.READ }), 'C_BAD_SUBSTREAMID', { SubstreamID: 16, StreamID: 6 });
    fx.writeSte(7, { V: 1, Config: 4 });
    expectEvent(fx, fx.smmu.translate({ streamId: 7, substreamId: 1, address: 0, access: Access.READ }), 'C_BAD_SUBSTREAMID', { SubstreamID: 1, StreamID: 7 });
    const l1 = fx.structAlloc(8 * 4, 64);
    fx.writeStruct(l1, l1cdWords(0, false));
    fx.writeSte(8, s1SteFields(l1, { S1CDMax: 8, S1Fmt: 1, S1DSS: 2 }));
    expectEvent(fx, fx.smmu.translate({ streamId: 8, substreamId: 9, address: 0, access: Access.READ }), 'C_BAD_SUBSTREAMID', { SubstreamID: 9, StreamID: 8 });
    // Without a SubstreamID, S1DSS = Substream0 fetches CD 0 through the same invalid L1CD: SubstreamID 0.
    expectEvent(fx, fx.smmu.translate({ streamId: 8, address: 0, access: Access.READ }), 'C_BAD_SUBSTREAMID', { SubstreamID: 0, StreamID: 8 });
  });

  it('F_CD_FETCH: S1ContextPtr points at unbacked memory; FetchAddr is the CD address', () => {
    const fx = new Fixture();
    fx.writeSte(5, s1SteFields(UNBACKED + 0x1000, { S1CDMax: 4, S1DSS: 1 }));
    expectEvent(fx, fx.smmu.translate({ streamId: 5, substreamId: 3, address: 0, access: Access.READ }), 'F_CD_FETCH', {
      ...HDR(5, 3),
      FetchAddr: BigInt(UNBACKED + 0x1000 + 3 * 64),
    });
  });

  it('C_BAD_CD: CD.V == 0', () => {
    const fx = new Fixture();
    const cd = fx.structAlloc(64);
    fx.writeSte(5, s1SteFields(cd));
    expectEvent(fx, fx.smmu.translate({ streamId: 5, address: 0x1000, access: Access.READ }), 'C_BAD_CD', HDR(5));
  });
});

describe('translation events, stage 1', () => {
  it('F_TRANSLATION: unmapped VA; VA outside TTB0; EPD1 half (InputAddr keeps the top byte)', () => {
    const fx = new Fixture();
    s1World(fx);
    expectEvent(fx, fx.smmu.translate({ streamId: 3, address: 0x50_0000, access: Access.READ | Access.PRIV }), 'F_TRANSLATION', TRANSLATION(3, 0x50_0000n, { PnU: 1 }));
    expectEvent(fx, fx.smmu.translate({ streamId: 3, address: 2 ** 40, access: Access.WRITE }), 'F_TRANSLATION', TRANSLATION(3, 2n ** 40n, { RnW: 0 }));
    const ttb1 = 0xffff_ff80_0000_0000n;
    expectEvent(fx, fx.smmu.translate({ streamId: 3, address: ttb1, access: Access.EXEC }), 'F_TRANSLATION', TRANSLATION(3, ttb1, { InD: 1 }));
  });

  it('F_ADDR_SIZE: a stage-1 output beyond CD.IPS; and stage-1 bypass beyond the OAS (Config 0b100)', () => {
    const fx = new Fixture();
    const { s1 } = s1World(fx);
    s1.map(0x80_0000, 0x1_0000_0000, 0x1000, RW); // 4 GiB: beyond a 32-bit IPS
    const cd32 = fx.structAlloc(64);
    fx.writeStruct(cd32, CD.encode(cdFields(s1.root, 6, { IPS: 0 })));
    fx.writeSte(4, s1SteFields(cd32));
    expectEvent(fx, fx.smmu.translate({ streamId: 4, address: 0x80_0010, access: Access.READ }), 'F_ADDR_SIZE', TRANSLATION(4, 0x80_0010n, {}));
    fx.writeSte(5, { V: 1, Config: 4 });
    expectEvent(fx, fx.smmu.translate({ streamId: 5, address: 2 ** 48, access: Access.READ }), 'F_ADDR_SIZE', TRANSLATION(5, 2n ** 48n, {}));
    expect(fx.smmu.translate({ streamId: 5, address: 2 ** 48 - 1, access: Access.READ })).toMatchObject({ ok: true, output: 2 ** 48 - 1 });
  });

  it('F_ACCESS: AF == 0 without HA', () => {
    const fx = new Fixture();
    const { s1 } = s1World(fx);
    s1.map(0x90_0000, Layout.DATA, 0x1000, { ...RW, accessed: false });
    expectEvent(fx, fx.smmu.translate({ streamId: 3, address: 0x90_0004, access: Access.READ }), 'F_ACCESS', TRANSLATION(3, 0x90_0004n, {}));
  });

  it('F_PERMISSION: a write to a read-only page, with its SubstreamID', () => {
    const fx = new Fixture();
    const s1 = stage1Tables(fx.mem, fx.pool);
    s1.map(0x60_0000, Layout.DATA, 0x1000, RO);
    const table = fx.structAlloc(64 * 16, 1024);
    fx.writeStruct(table + 2 * 64, CD.encode(cdFields(s1.root, 9)));
    fx.writeSte(3, s1SteFields(table, { S1CDMax: 4, S1DSS: 0 }));
    expectEvent(fx, fx.smmu.translate({ streamId: 3, substreamId: 2, address: 0x60_0000, access: Access.WRITE }), 'F_PERMISSION', {
      ...TRANSLATION(3, 0x60_0000n, { RnW: 0 }, 2),
      TTRnW: 0,
    });
  });

  it('F_WALK_EABT: a stage-1 table descriptor pointing at unbacked memory (S2 = 0, CLASS = TT)', () => {
    const fx = new Fixture();
    const { s1 } = s1World(fx);
    // Root (level 1) entry 1 → a level-2 table at an unbacked PA.
    fx.mem.write64(s1.root + 8, Math.floor(UNBACKED / 2 ** 32), (UNBACKED % 2 ** 32) | 3);
    const va = 0x4000_0000 + 0x20_0000 * 3;
    expectEvent(fx, fx.smmu.translate({ streamId: 3, address: va, access: Access.READ }), 'F_WALK_EABT', {
      ...HDR(3),
      PnU: 0,
      InD: 0,
      RnW: 1,
      S2: 0,
      CLASS: 1,
      InputAddr: BigInt(va),
      FetchAddr: BigInt(UNBACKED + 3 * 8),
    });
  });

  it('CD.R == 0: a stage-1 translation fault is not recorded', () => {
    const fx = new Fixture();
    s1World(fx, 3, { R: 0 });
    const r = fault(fx.smmu.translate({ streamId: 3, address: 0x50_0000, access: Access.READ }));
    expect(r).toMatchObject({ recorded: false, delivery: 'suppressed', event: { name: 'F_TRANSLATION' } });
    expect(fx.smmu.readEvents()).toEqual([]);
  });
});

describe('translation events, stage 2', () => {
  it('F_TRANSLATION on the final IPA (CLASS = IN, IPA given) and for an IPA beyond S2T0SZ', () => {
    const fx = new Fixture();
    const { s1 } = nestedWorld(fx);
    s1.map(0x8000, 0x7000_0000, 0x1000, RW); // IPA not mapped by stage 2
    expectEvent(fx, fx.smmu.translate({ streamId: 4, address: 0x8abc, access: Access.READ }), 'F_TRANSLATION', TRANSLATION(4, 0x8abcn, { S2: 1, CLASS: 2, IPA: 0x7000_0000 }));
    const s2 = stage2Tables(fx.mem, fx.pool);
    fx.writeSte(9, { V: 1, Config: 6, ...s2SteFields(s2.root, 3) });
    expectEvent(fx, fx.smmu.translate({ streamId: 9, address: 2 ** 39 + 0x3000, access: Access.READ }), 'F_TRANSLATION', TRANSLATION(9, 2n ** 39n + 0x3000n, { S2: 1, CLASS: 2, IPA: 2 ** 39 + 0x3000 }));
  });

  it('F_TRANSLATION while fetching the CD (CLASS = CD, IPA = the CD address)', () => {
    const fx = new Fixture();
    const { s2 } = nestedWorld(fx);
    fx.writeSte(5, { V: 1, Config: 7, S1ContextPtr: 0x7800_0040n, ...s2SteFields(s2.root, 2) });
    expectEvent(fx, fx.smmu.translate({ streamId: 5, address: 0x7000, access: Access.READ }), 'F_TRANSLATION', TRANSLATION(5, 0x7000n, { S2: 1, CLASS: 0, IPA: 0x7800_0000 }));
  });

  it('F_TRANSLATION while fetching a stage-1 table (CLASS = TT, IPA = the descriptor address)', () => {
    const fx = new Fixture();
    const { s1, guest } = nestedWorld(fx);
    // Stage-1 root entry 1 → a level-2 table at IPA 0x7800_0000, which stage 2 does not map.
    guest.write64(s1.root + 8, 0, 0x7800_0000 | 3);
    const va = 0x4000_0000 + 0x20_0000 * 5 + 0x123;
    expectEvent(fx, fx.smmu.translate({ streamId: 4, address: va, access: Access.WRITE }), 'F_TRANSLATION', TRANSLATION(4, BigInt(va), { RnW: 0, S2: 1, CLASS: 1, IPA: 0x7800_0000 }));
  });

  it('F_WALK_EABT at stage 2 while fetching a stage-1 table (S2 = 1, CLASS = TT)', () => {
    const fx = new Fixture();
    const { s1, s2, guest } = nestedWorld(fx);
    // Stage-2 root (level 1) entry 2 (IPA 2–3 GiB) → a level-2 table at an unbacked PA.
    fx.mem.write64(s2.root + 2 * 8, Math.floor(UNBACKED / 2 ** 32), (UNBACKED % 2 ** 32) | 3);
    guest.write64(s1.root + 8, 0, (0x8000_0000 + 0x60_0000) | 3);
    const va = 0x4000_0000;
    expectEvent(fx, fx.smmu.translate({ streamId: 4, address: va, access: Access.READ }), 'F_WALK_EABT', {
      ...HDR(4),
      PnU: 0,
      InD: 0,
      RnW: 1,
      S2: 1,
      CLASS: 1,
      InputAddr: BigInt(va),
      FetchAddr: BigInt(UNBACKED + 3 * 8),
    });
  });

  it('F_PERMISSION and F_ACCESS at stage 2 on the final IPA (a read of the read-only page succeeds)', () => {
    const fx = new Fixture();
    const { s1, s2 } = nestedWorld(fx);
    s2.map(0x5000_0000, Layout.DATA, 0x1000, { read: true, write: false });
    s2.map(0x5000_1000, Layout.DATA, 0x1000, { ...RW, accessed: false });
    s1.map(0x1_0000, 0x5000_0000, 0x2000, RW);
    expectEvent(fx, fx.smmu.translate({ streamId: 4, address: 0x1_0008, access: Access.WRITE }), 'F_PERMISSION', {
      ...TRANSLATION(4, 0x1_0008n, { RnW: 0, S2: 1, CLASS: 2, IPA: 0x5000_0000 }),
      TTRnW: 0,
    });
    expectEvent(fx, fx.smmu.translate({ streamId: 4, address: 0x1_1008, access: Access.READ }), 'F_ACCESS', TRANSLATION(4, 0x1_1008n, { S2: 1, CLASS: 2, IPA: 0x5000_1000 }));
    expect(fx.smmu.translate({ streamId: 4, address: 0x1_0008, access: Access.READ })).toMatchObject({ ok: true, output: Layout.DATA + 8 });
  });

  it('F_PERMISSION at stage 2 on a stage-1 table read (CLASS = TT, TTRnW = 1)', () => {
    const fx = new Fixture();
    const { s1, s2, guest } = nestedWorld(fx);
    s2.map(0x5000_0000, Layout.DATA, 0x1000, { read: false, write: true });
    guest.write64(s1.root + 8, 0, 0x5000_0000 | 3);
    const va = 0x4000_0000 + 0x20_0000 * 2;
    expectEvent(fx, fx.smmu.translate({ streamId: 4, address: va, access: Access.READ }), 'F_PERMISSION', {
      ...TRANSLATION(4, BigInt(va), { S2: 1, CLASS: 1, IPA: 0x5000_0000 }),
      TTRnW: 1,
    });
  });

  it('F_ADDR_SIZE at stage 2: an output beyond S2PS', () => {
    const fx = new Fixture();
    const s2 = stage2Tables(fx.mem, fx.pool);
    s2.map(0x1_0000, 0x1_0000_0000, 0x1000, RW);
    fx.writeSte(9, { V: 1, Config: 6, ...s2SteFields(s2.root, 3, { S2PS: 0 }) });
    expectEvent(fx, fx.smmu.translate({ streamId: 9, address: 0x1_0010, access: Access.READ }), 'F_ADDR_SIZE', TRANSLATION(9, 0x1_0010n, { S2: 1, CLASS: 2, IPA: 0x1_0000 }));
  });

  it('F_CD_FETCH when the CD IPA translates to unbacked memory; STE.S2R == 0 leaves stage-2 faults unrecorded', () => {
    const fx = new Fixture();
    const { s2 } = nestedWorld(fx);
    s2.map(0x6000_0000, UNBACKED, 0x1000, RW);
    fx.writeSte(5, { V: 1, Config: 7, S1ContextPtr: 0x6000_0080n, ...s2SteFields(s2.root, 2) });
    expectEvent(fx, fx.smmu.translate({ streamId: 5, address: 0x7000, access: Access.READ }), 'F_CD_FETCH', { ...HDR(5), FetchAddr: BigInt(UNBACKED + 0x80) });
    fx.writeSte(6, { V: 1, Config: 7, S1ContextPtr: 0x7800_0040n, ...s2SteFields(s2.root, 2, { S2R: 0 }) });
    const r = fault(fx.smmu.translate({ streamId: 6, address: 0x7000, access: Access.READ }));
    expect(r).toMatchObject({ recorded: false, delivery: 'suppressed', event: { name: 'F_TRANSLATION', fields: { S2: 1, CLASS: 0 } } });
  });

  it('STE.S2PTW: a CD or stage-1 table in stage-2 Device memory is a stage-2 F_PERMISSION (CLASS = CD / TT); the final IPA may be Device', () => {
    const fx = new Fixture();
    const { s1, s2, guest } = nestedWorld(fx);
    const DEVICE = { ...RW, attrIndex: 0b0001 }; // MemAttr[3:2] = 00: Device-nGnRE
    s2.map(0x5000_0000, Layout.DATA, 0x1000, DEVICE);
    s2.map(0x5000_1000, Layout.DATA + 0x1000, 0x1000, DEVICE);
    s1.map(0x3000, 0x5000_0000, 0x1000, RW); // DMA into Device memory: allowed
    guest.write64(s1.root + 8, 0, 0x5000_1000 | 3); // a stage-1 table in Device memory
    fx.writeSte(4, { V: 1, Config: 7, S1ContextPtr: BigInt(GPA), ...s2SteFields(s2.root, 2, { S2PTW: 1 }) });
    fx.writeSte(5, { V: 1, Config: 7, S1ContextPtr: 0x5000_0040n, ...s2SteFields(s2.root, 2, { S2PTW: 1 }) });
    expect(fx.smmu.translate({ streamId: 4, address: 0x3008, access: Access.READ })).toMatchObject({ ok: true, output: Layout.DATA + 8 });
    const va = 0x4000_0000 + 0x20_0000;
    expectEvent(fx, fx.smmu.translate({ streamId: 4, address: va, access: Access.READ }), 'F_PERMISSION', {
      ...TRANSLATION(4, BigInt(va), { S2: 1, CLASS: 1, IPA: 0x5000_1000 }),
      TTRnW: 1,
    });
    expectEvent(fx, fx.smmu.translate({ streamId: 5, address: 0x3000, access: Access.READ }), 'F_PERMISSION', TRANSLATION(5, 0x3000n, { S2: 1, CLASS: 0, IPA: 0x5000_0000, TTRnW: 0 }));
    // Without S2PTW the same table walk succeeds (and finds nothing mapped: a stage-1 fault).
    fx.writeSte(4, { V: 1, Config: 7, S1ContextPtr: BigInt(GPA), ...s2SteFields(s2.root, 2) });
    fx.cmd({ name: 'CMD_CFGI_STE', fields: { StreamID: 4, Leaf: 1 } });
    expect(fx.smmu.translate({ streamId: 4, address: va, access: Access.READ })).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION', fields: { S2: 0 } } });
  });
});
