/**
 * The Command queue (§4, §7.1): wrap-around, CERROR_ILL / CERROR_ABT stopping at the offending command,
 * resumption on GERRORN acknowledgement, CMD_SYNC completion MSIs, and the scope of each invalidation.
 */
import { Access, type PageTableBuilder } from '@viommu/core';
import { describe, expect, it } from 'vitest';
import { CD, encodeCommand } from '../src/structures/index';
import { CmdqError, Cr0, Gerror, SmmuReg } from '../src/model/index';
import { Fixture, Layout, RW, cdFields, s1SteFields, s2SteFields, stage1Tables, stage2Tables } from './model-fixture';

function cons(fx: Fixture): { rd: number; err: number } {
  const v = Number(fx.smmu.readRegister(SmmuReg.CMDQ_CONS));
  return { rd: v & 0xf_ffff, err: (v >>> 24) & 0x7f };
}

function cmdqErrorActive(fx: Fixture): boolean {
  return ((Number(fx.smmu.readRegister(SmmuReg.GERROR)) ^ Number(fx.smmu.readRegister(SmmuReg.GERRORN))) & Gerror.CMDQ_ERR) !== 0;
}

describe('Command queue consumption', () => {
  it('wraps: CONS follows PROD around a 4-entry queue, toggling the wrap bit', () => {
    const fx = new Fixture({ cmdqLog2: 2 });
    for (let round = 1; round <= 5; round++) {
      fx.cmd({ name: 'CMD_SYNC' }, { name: 'CMD_TLBI_NSNH_ALL' }, { name: 'CMD_SYNC' });
      const prod = Number(fx.smmu.readRegister(SmmuReg.CMDQ_PROD));
      expect(prod).toBe((round * 3) % 8);
      expect(cons(fx)).toEqual({ rd: prod, err: 0 });
    }
    expect(fx.smmu.commandLog.filter((c) => c.name === 'CMD_SYNC')).toHaveLength(10);
  });

  it('CERROR_ILL stops at the offending command until GERRORN acknowledges it; then processing resumes there', () => {
    const fx = new Fixture();
    const bad = Uint32Array.of(0x08, 0, 0, 0); // opcode 0x08 is Reserved
    fx.rawCmd(encodeCommand({ name: 'CMD_SYNC' }), bad, encodeCommand({ name: 'CMD_SYNC' }));
    expect(cons(fx)).toEqual({ rd: 1, err: CmdqError.CERROR_ILL });
    expect(cmdqErrorActive(fx)).toBe(true);
    // More commands and PROD writes do nothing while the error is active.
    fx.cmd({ name: 'CMD_SYNC' });
    expect(cons(fx).rd).toBe(1);
    // Software replaces the bad command with a CMD_SYNC and acknowledges.
    fx.writeStruct(Layout.CMDQ + 16, encodeCommand({ name: 'CMD_SYNC' }));
    const gerror = Number(fx.smmu.readRegister(SmmuReg.GERROR));
    fx.smmu.writeRegister(SmmuReg.GERRORN, gerror & Gerror.CMDQ_ERR);
    expect(cmdqErrorActive(fx)).toBe(false);
    expect(cons(fx).rd).toBe(4);
    expect(fx.smmu.commandLog.filter((c) => c.name === 'CMD_SYNC')).toHaveLength(4);
  });

  it('raises CERROR_ILL for SSec == 1, a non-zero RES0 field, CMD_SYNC CS == 0b11 and a Reserved TLBI range', () => {
    for (const words of [
      encodeCommand({ name: 'CMD_CFGI_STE', fields: { SSec: 1, StreamID: 3 } }),
      Uint32Array.of(0x46 | (1 << 8), 0, 0, 0),
      encodeCommand({ name: 'CMD_SYNC', fields: { CS: 3 } }),
      encodeCommand({ name: 'CMD_TLBI_NH_VA', fields: { TG: 1, NUM: 0, SCALE: 0, TTL: 0, Address: 0x1000n } }),
      encodeCommand({ name: 'CMD_TLBI_S2_IPA', fields: { TG: 2, TTL: 1, NUM: 1, Address: 0x4000 } }),
    ]) {
      const fx = new Fixture();
      fx.rawCmd(words);
      expect(cons(fx)).toEqual({ rd: 0, err: CmdqError.CERROR_ILL });
    }
  });

  it('raises CERROR_ABT for an external abort on the command fetch', () => {
    const fx = new Fixture();
    fx.smmu.writeRegister(SmmuReg.CR0, Cr0.SMMUEN);
    fx.smmu.writeRegister(SmmuReg.CMDQ_BASE, BigInt(Layout.BACKED_END | 4));
    fx.smmu.writeRegister(SmmuReg.CR0, Cr0.SMMUEN | Cr0.CMDQEN);
    fx.smmu.writeRegister(SmmuReg.CMDQ_PROD, 1);
    expect(cons(fx)).toEqual({ rd: 0, err: CmdqError.CERROR_ABT });
  });

  it('does not consume while CMDQEN == 0 and starts when it is set', () => {
    const fx = new Fixture();
    fx.smmu.writeRegister(SmmuReg.CR0, Cr0.SMMUEN);
    fx.writeStruct(Layout.CMDQ, encodeCommand({ name: 'CMD_SYNC' }));
    fx.smmu.writeRegister(SmmuReg.CMDQ_PROD, 1);
    expect(cons(fx).rd).toBe(0);
    fx.smmu.writeRegister(SmmuReg.CR0, Cr0.SMMUEN | Cr0.CMDQEN);
    expect(cons(fx).rd).toBe(1);
  });

  it('CMD_SYNC with CS = SIG_IRQ writes MSIData to MSIAddress', () => {
    const fx = new Fixture();
    fx.cmd({ name: 'CMD_SYNC', fields: { CS: 1, MSIData: 0xcafe_f00d, MSIAddress: Layout.STRUCTS + 0x100 } });
    expect(fx.mem.read32(Layout.STRUCTS + 0x100)).toBe(0xcafe_f00d);
  });

  it('accepts ATC_INV, PRI_RESP, RESUME, STALL_TERM and prefetches, and records the responses', () => {
    const fx = new Fixture();
    fx.cmd(
      { name: 'CMD_PREFETCH_CONFIG', fields: { StreamID: 1 } },
      { name: 'CMD_ATC_INV', fields: { StreamID: 1, Size: 52 } },
      { name: 'CMD_PRI_RESP', fields: { StreamID: 1, Resp: 2 } },
      { name: 'CMD_RESUME', fields: { StreamID: 1, STAG: 7 } },
      { name: 'CMD_STALL_TERM', fields: { StreamID: 1 } },
      { name: 'CMD_TLBI_EL2_ALL' },
    );
    expect(cons(fx)).toEqual({ rd: 6, err: 0 });
    expect(fx.smmu.commandLog.map((c) => c.name)).toEqual(['CMD_ATC_INV', 'CMD_PRI_RESP', 'CMD_RESUME', 'CMD_STALL_TERM']);
  });
});

describe('invalidation scopes', () => {
  /** A stage-1 stream: SID 1, VMID 2, ASID 5; page 0x1000 (nG) and 0x2000 (global). */
  function s1Stream(fx: Fixture): PageTableBuilder {
    const s1 = stage1Tables(fx.mem, fx.pool);
    s1.map(0x1000, Layout.DATA, 0x1000, { ...RW, global: false });
    s1.map(0x2000, Layout.DATA + 0x1000, 0x1000, RW);
    const cd = fx.structAlloc(64);
    fx.writeStruct(cd, CD.encode(cdFields(s1.root, 5)));
    fx.writeSte(1, s1SteFields(cd, { S2VMID: 2 }));
    return s1;
  }
  const read = (fx: Fixture, address: number, streamId = 1) => fx.smmu.translate({ streamId, address, access: Access.READ });
  /** Remaps a page to a new output without invalidating. */
  const remap = (s: PageTableBuilder, va: number, pa: number, prot = RW) => {
    s.unmap(va, 0x1000);
    s.map(va, pa, 0x1000, prot);
  };

  it('TLB entries stay until invalidated; NH_ASID spares global entries, NH_VA takes both', () => {
    const fx = new Fixture();
    const s1 = s1Stream(fx);
    read(fx, 0x1000);
    read(fx, 0x2000);
    remap(s1, 0x1000, Layout.DATA + 0x8000, { ...RW, global: false });
    remap(s1, 0x2000, Layout.DATA + 0x9000);
    expect(read(fx, 0x1000)).toMatchObject({ output: Layout.DATA, cached: true });
    fx.cmd({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: 2, ASID: 5 } }, { name: 'CMD_SYNC' });
    expect(read(fx, 0x1000)).toMatchObject({ output: Layout.DATA + 0x8000, cached: false });
    expect(read(fx, 0x2000)).toMatchObject({ output: Layout.DATA + 0x1000, cached: true });
    fx.cmd({ name: 'CMD_TLBI_NH_VA', fields: { VMID: 2, ASID: 9, Address: 0x2000n } });
    expect(read(fx, 0x2000)).toMatchObject({ output: Layout.DATA + 0x9000, cached: false });
    // A different VMID's invalidation does not touch VMID 2.
    remap(s1, 0x2000, Layout.DATA + 0xa000);
    fx.cmd({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: 3 } });
    expect(read(fx, 0x2000)).toMatchObject({ output: Layout.DATA + 0x9000, cached: true });
    fx.cmd({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: 2 } });
    expect(read(fx, 0x2000)).toMatchObject({ output: Layout.DATA + 0xa000, cached: false });
  });

  it('range TLBI with TTL only drops leaves of that level', () => {
    const fx = new Fixture();
    const s1 = s1Stream(fx);
    s1.map(0x20_0000, 0x80_0000, 0x20_0000, RW); // a level-2 block
    read(fx, 0x20_0000);
    read(fx, 0x1000);
    remap(s1, 0x1000, Layout.DATA + 0x8000, { ...RW, global: false });
    // 2 MiB from 0, TTL = 2: the level-3 page entry at 0x1000 stays, the level-2 block goes.
    fx.cmd({ name: 'CMD_TLBI_NH_VAA', fields: { VMID: 2, TG: 1, NUM: 1, SCALE: 9, TTL: 2, Address: 0n } });
    expect(read(fx, 0x1000)).toMatchObject({ output: Layout.DATA, cached: true });
    expect(read(fx, 0x20_1000)).toMatchObject({ cached: false });
    fx.cmd({ name: 'CMD_TLBI_NH_VAA', fields: { VMID: 2, TG: 1, NUM: 1, SCALE: 0, TTL: 3, Address: 0x1000n } });
    expect(read(fx, 0x1000)).toMatchObject({ output: Layout.DATA + 0x8000, cached: false });
  });

  /** A stage-2 table that maps the structures and table pool 1:1, so stage-1 tables and CDs keep their PAs as IPAs. */
  function identityStage2(fx: Fixture): PageTableBuilder {
    const s2 = stage2Tables(fx.mem, fx.pool);
    s2.map(Layout.STRUCTS, Layout.STRUCTS, Layout.DATA - Layout.STRUCTS, RW);
    return s2;
  }

  it('an NH_VA on any page of a stage-1 block drops combined entries of the whole block', () => {
    const fx = new Fixture();
    const s2 = identityStage2(fx);
    for (let off = 0; off < 0x20_0000; off += 0x1000) s2.map(0x1000_0000 + off, Layout.DATA + off, 0x1000, RW); // 4 KiB stage-2 pages
    const s1 = stage1Tables(fx.mem, fx.pool);
    s1.map(0x20_0000, 0x1000_0000, 0x20_0000, RW); // a 2 MiB stage-1 block
    const cd = fx.structAlloc(64);
    fx.writeStruct(cd, CD.encode(cdFields(s1.root, 5)));
    fx.writeSte(4, { V: 1, Config: 7, S1ContextPtr: BigInt(cd), ...s2SteFields(s2.root, 2) });
    expect(read(fx, 0x20_0000, 4)).toMatchObject({ ok: true, pageShift: 12, output: Layout.DATA });
    expect(read(fx, 0x3f_f000, 4)).toMatchObject({ ok: true, pageShift: 12, output: Layout.DATA + 0x1f_f000 });
    expect(read(fx, 0x3f_f000, 4)).toMatchObject({ cached: true });
    fx.cmd({ name: 'CMD_TLBI_NH_VA', fields: { VMID: 2, ASID: 5, Address: 0x20_0000n } });
    expect(read(fx, 0x3f_f000, 4)).toMatchObject({ cached: false });
  });

  it('S2_IPA drops stage-2-only entries but may leave combined nested entries (§4.4.3.1); S12_VMALL drops both', () => {
    const fx = new Fixture();
    const s2 = identityStage2(fx);
    s2.map(0x1000_0000, Layout.DATA, 0x1000, RW);
    fx.writeSte(9, { V: 1, Config: 6, ...s2SteFields(s2.root, 3) });
    const s1 = stage1Tables(fx.mem, fx.pool);
    s1.map(0x5000, 0x1000_0000, 0x1000, RW);
    const cd = fx.structAlloc(64);
    fx.writeStruct(cd, CD.encode(cdFields(s1.root, 5)));
    fx.writeSte(10, { V: 1, Config: 7, S1ContextPtr: BigInt(cd), ...s2SteFields(s2.root, 3) });
    expect(read(fx, 0x1000_0000, 9)).toMatchObject({ ok: true, output: Layout.DATA });
    expect(read(fx, 0x5000, 10)).toMatchObject({ ok: true, output: Layout.DATA });
    remap(s2, 0x1000_0000, Layout.DATA + 0x7000);
    fx.cmd({ name: 'CMD_TLBI_S2_IPA', fields: { VMID: 3, Address: 0x1000_0000 } }, { name: 'CMD_SYNC' });
    expect(read(fx, 0x1000_0000, 9)).toMatchObject({ output: Layout.DATA + 0x7000, cached: false });
    expect(read(fx, 0x5000, 10)).toMatchObject({ output: Layout.DATA, cached: true });
    fx.cmd({ name: 'CMD_TLBI_S12_VMALL', fields: { VMID: 3 } });
    expect(read(fx, 0x5000, 10)).toMatchObject({ output: Layout.DATA + 0x7000, cached: false });
  });

  it('CFGI_STE drops the STE and its CDs; with Leaf = 1 a cached L1STD stays', () => {
    const fx = new Fixture({ split: 6, log2Size: 10 });
    const s1 = s1Stream(fx); // SID 1 through L1STD 0
    expect(read(fx, 0x1000)).toMatchObject({ ok: true });
    // Make the STE invalid: still cached until CFGI_STE.
    fx.writeSte(1, { V: 0 });
    expect(read(fx, 0x5000)).toMatchObject({ ok: false, event: { name: 'F_TRANSLATION' } });
    fx.cmd({ name: 'CMD_CFGI_STE', fields: { StreamID: 1, Leaf: 1 } });
    expect(read(fx, 0x5000)).toMatchObject({ ok: false, event: { name: 'C_BAD_STE' } });
    // Invalidate the L1STD in memory: the cached one is still used after a leaf CFGI_STE.
    fx.writeStruct(Layout.STRTAB, Uint32Array.of(0, 0));
    fx.cmd({ name: 'CMD_CFGI_STE', fields: { StreamID: 1, Leaf: 1 } });
    expect(read(fx, 0x5000)).toMatchObject({ event: { name: 'C_BAD_STE' } });
    fx.cmd({ name: 'CMD_CFGI_STE', fields: { StreamID: 1, Leaf: 0 } });
    expect(read(fx, 0x5000)).toMatchObject({ event: { name: 'C_BAD_STREAMID' } });
    expect(s1.root).toBeGreaterThan(0);
  });

  it('CFGI_CD drops one CD; with Leaf = 0 also the L1CD locating it; CFGI_CD_ALL drops them all', () => {
    const fx = new Fixture();
    const s1 = stage1Tables(fx.mem, fx.pool);
    s1.map(0x1000, Layout.DATA, 0x1000, RW);
    const l1 = fx.structAlloc(8 * 4, 64);
    const l2 = fx.structAlloc(64 * 64, 4096);
    fx.writeStruct(l1, Uint32Array.of((l2 | 1) >>> 0, 0));
    fx.writeStruct(l2 + 3 * 64, CD.encode(cdFields(s1.root, 7)));
    fx.writeSte(2, s1SteFields(l1, { S1CDMax: 8, S1Fmt: 1 }));
    const r = (ssid: number) => fx.smmu.translate({ streamId: 2, substreamId: ssid, address: 0x1000, access: Access.READ });
    expect(r(3)).toMatchObject({ ok: true });
    fx.writeStruct(l2 + 3 * 64, CD.encode({ V: 0 }));
    fx.cmd({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: 0 } });
    expect(r(3)).toMatchObject({ ok: true }); // the CD is cached
    fx.cmd({ name: 'CMD_CFGI_CD', fields: { StreamID: 2, SubstreamID: 3, Leaf: 1 } });
    expect(r(3)).toMatchObject({ event: { name: 'C_BAD_CD' } });
    // Invalidate the L1CD in memory: only a non-leaf CFGI_CD (or CFGI_CD_ALL) forgets the cached one.
    fx.writeStruct(l1, Uint32Array.of(0, 0));
    fx.cmd({ name: 'CMD_CFGI_CD', fields: { StreamID: 2, SubstreamID: 3, Leaf: 1 } });
    expect(r(3)).toMatchObject({ event: { name: 'C_BAD_CD' } });
    fx.cmd({ name: 'CMD_CFGI_CD', fields: { StreamID: 2, SubstreamID: 3, Leaf: 0 } });
    expect(r(3)).toMatchObject({ event: { name: 'C_BAD_SUBSTREAMID' } });
    fx.writeStruct(l1, Uint32Array.of((l2 | 1) >>> 0, 0));
    fx.writeStruct(l2 + 3 * 64, CD.encode(cdFields(s1.root, 7)));
    fx.cmd({ name: 'CMD_CFGI_CD_ALL', fields: { StreamID: 2 } });
    expect(r(3)).toMatchObject({ ok: true });
  });
});
