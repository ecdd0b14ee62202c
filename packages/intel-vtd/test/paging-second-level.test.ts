import { describe, it, expect } from 'vitest';
import {
  Access,
  EntryKind,
  MemoryFetcher,
  Perm,
  type SparseMemory,
  TracingMemory,
  WalkState,
  WalkStop,
  walkStage,
  type PhysicalMemory,
} from '@viommu/core';
import { createSecondLevelFormat, SLLPS_1G, SLLPS_2M, type SecondLevelFormatOptions } from '../src/paging/index';
import { chain4, get, memory, PD, PDPT, PML4, PML5, PT, put, VA } from './support/paging-tables';

const R = 1n;
const W = 2n;
const X = 4n;
const PS = 0x80n;
const A = 0x100n;
const D = 0x200n;
const SNP = 0x800n;
const TM = 1n << 62n;

function walk(opts: SecondLevelFormatOptions, mem: PhysicalMemory, input: number, access: number, root = PML4) {
  const format = createSecondLevelFormat(opts);
  const state = new WalkState();
  const stop = walkStage(format, root, input, access, new MemoryFetcher(mem), state);
  return { stop, state, format, outcome: stop === WalkStop.OK ? 'ok' : `${state.fault}@${state.depth}` };
}

const base: SecondLevelFormatOptions = { levels: 4, hawBits: 46, sllps: SLLPS_2M | SLLPS_1G, leafSnp: true };

describe('second-level format: shape', () => {
  it('derives AGAW, levels and leaf depths', () => {
    const f3 = createSecondLevelFormat({ levels: 3, hawBits: 39 });
    expect([f3.inputBits, f3.outputBits, f3.options.agawBits]).toEqual([39, 39, 39]);
    expect(f3.shifts).toEqual([30, 21, 12]);
    expect(f3.archLevels).toEqual([3, 2, 1]);
    expect(f3.leafDepths).toEqual([false, false, true]);
    const f5 = createSecondLevelFormat({ levels: 5, agawBits: 57, hawBits: 52, sllps: SLLPS_2M | SLLPS_1G });
    expect(f5.archLevels).toEqual([5, 4, 3, 2, 1]);
    expect(f5.leafDepths).toEqual([false, false, true, true, true]);
    expect(createSecondLevelFormat({ levels: 4, hawBits: 46, mgawBits: 40 }).inputBits).toBe(40);
    expect(createSecondLevelFormat({ levels: 4, hawBits: 46, sllps: SLLPS_2M }).leafDepths).toEqual([false, false, true, true]);
  });

  it('rejects bad options with IommuError ARGUMENT', () => {
    const bad = (o: SecondLevelFormatOptions) => expect(() => createSecondLevelFormat(o)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    bad({ levels: 2 as 3, hawBits: 39 });
    bad({ levels: 4, agawBits: 39, hawBits: 46 });
    bad({ levels: 4, hawBits: 60 });
    bad({ levels: 4, hawBits: 46, sllps: 16 });
  });
});

describe('second-level format: known-answer walks', () => {
  it('walks a 4 KiB page; without SLADE no flag is written', () => {
    const mem = new TracingMemory(memory());
    chain4(mem, 0x12_3456_7000n, R | W);
    mem.clear();
    const { stop, state } = walk(base, mem, VA, Access.WRITE);
    expect(stop).toBe(WalkStop.OK);
    expect(state.output).toBe(0x12_3456_7abc);
    expect(state.leafShift).toBe(12);
    expect(state.permitted).toBe(Perm.UR | Perm.UW | Perm.UX | Perm.PR | Perm.PW | Perm.PX);
    expect(state.cachePermitted).toBe(state.permitted);
    expect(state.global).toBe(true);
    expect(mem.accesses.map((a) => `${a.kind}@${a.address.toString(16)}`)).toEqual(['read@2008', 'read@3008', 'read@4008', 'read@5008']);
  });

  it('with SLADE sets A in every entry and D in the leaf on a write, sticky', () => {
    const inner = memory();
    chain4(inner, 0x7000n, R | W);
    const mem = new TracingMemory(inner);
    const o = { ...base, slade: true };
    const read = walk(o, mem, VA, Access.READ);
    expect(read.state.cachePermitted).toBe(Perm.UR | Perm.UX | Perm.PR | Perm.PX); // D clear: writes need a walk
    expect([get(mem, PML4, 1), get(mem, PT, 1)]).toEqual([BigInt(PDPT) | R | W | A, 0x7000n | R | W | A]);
    mem.clear();
    walk(o, mem, VA, Access.WRITE);
    expect(mem.accesses.filter((a) => a.kind === 'write').map((a) => a.address)).toEqual([PT + 8]);
    expect([get(mem, PD, 1), get(mem, PT, 1)]).toEqual([BigInt(PT) | R | W | A, 0x7000n | R | W | A | D]);
    mem.clear();
    expect(walk(o, mem, VA, Access.READ).state.cachePermitted).toBe(Perm.ALL);
    expect(mem.accesses.filter((a) => a.kind === 'write')).toEqual([]);
  });

  it('walks 2 MiB and 1 GiB pages', () => {
    const mem = memory();
    chain4(mem, 0n, R | W);
    put(mem, PD, 1, 0x1_0020_0000n | R | PS);
    expect(walk(base, mem, VA, Access.READ).state.output).toBe(0x1_0020_1abc);
    put(mem, PDPT, 1, 0x40_0000_0000n | R | PS);
    const big = walk(base, mem, VA, Access.READ);
    expect([big.state.output, big.state.leafShift, big.state.depth]).toEqual([0x40_0020_1abc, 30, 1]);
  });

  it('walks 3- and 5-level tables', () => {
    const mem = memory();
    chain4(mem, 0x9000n, R | W);
    expect(walk({ ...base, levels: 3 }, mem, 0x4020_1abc, Access.READ, PDPT).state.output).toBe(0x9abc);
    put(mem, PML5, 1, BigInt(PML4) | R | W);
    const r5 = walk({ ...base, levels: 5 }, mem, 0x1_0000_0000_0000 + VA, Access.READ, PML5);
    expect([r5.state.output, r5.state.depth]).toEqual([0x9abc, 4]);
  });

  it('reports EMT/IPAT (bits 6:3) as attrs', () => {
    const mem = memory();
    chain4(mem, 0x9000n, R | W);
    put(mem, PT, 1, 0x9000n | R | 0x78n);
    expect(walk(base, mem, VA, Access.READ).state.attrs).toBe(0xf);
  });

  it('inputs at or above 2^min(AGAW, MGAW) are an inputRange fault', () => {
    const mem = memory();
    expect(walk(base, mem, 2 ** 48, Access.READ).outcome).toBe('inputRange@0');
    expect(walk({ ...base, mgawBits: 39 }, mem, VA, Access.READ).outcome).toBe('inputRange@0');
    expect(walk({ ...base, levels: 3 }, mem, 2 ** 39, Access.READ, PDPT).outcome).toBe('inputRange@0');
  });
});

describe('second-level format: presence and rights', () => {
  it('R = W = 0 is not present; X alone is present only with SLEE', () => {
    const mem = memory();
    chain4(mem, 0x9000n, R | W);
    put(mem, PD, 1, BigInt(PT) | X | SNP | TM); // reserved bits are not checked in a non-present entry
    expect(walk(base, mem, VA, Access.READ).outcome).toBe('translation@2');
    put(mem, PD, 1, BigInt(PT) | X);
    const slee = walk({ ...base, slee: true }, mem, VA, Access.READ);
    expect([slee.outcome, slee.state.faultDetail]).toEqual(['permission@3', 'read']);
  });

  it('read needs R, write W, execute R (and X with SLEE) at every level', () => {
    const mem = memory();
    const cases: { flags: bigint[]; slee: boolean; read: boolean; write: boolean; exec: boolean }[] = [
      { flags: [R | W, R | W, R | W, R | W], slee: false, read: true, write: true, exec: true },
      { flags: [R | W, W, R | W, R | W], slee: false, read: false, write: true, exec: false },
      { flags: [R | W, R | W, R, R | W], slee: false, read: true, write: false, exec: true },
      { flags: [R | W | X, R | W | X, R | W | X, R | W], slee: true, read: true, write: true, exec: false },
      { flags: [R | W | X, R | W | X, R | W | X, R | W | X], slee: true, read: true, write: true, exec: true },
      { flags: [W | X, R | W | X, R | W | X, R | W | X], slee: true, read: false, write: true, exec: false },
    ];
    for (const c of cases) {
      const tables = [PML4, PDPT, PD, PT];
      c.flags.forEach((f, i) => put(mem, tables[i]!, 1, (i === 3 ? 0x9000n : BigInt(tables[i + 1]!)) | f));
      const o = { ...base, slee: c.slee };
      const r = walk(o, mem, VA, Access.READ);
      const w = walk(o, mem, VA, Access.WRITE);
      const x = walk(o, mem, VA, Access.EXEC | Access.READ);
      expect([r.stop === WalkStop.OK, w.stop === WalkStop.OK, x.stop === WalkStop.OK]).toEqual([c.read, c.write, c.exec]);
      if (!c.read) expect(r.state.faultDetail).toBe('read');
      if (!c.write) expect(w.state.faultDetail).toBe('write');
      if (!c.exec) expect(x.state.faultDetail).toBe(c.read ? 'exec' : 'read');
      const granted = r.stop === WalkStop.OK ? r.state.permitted : w.state.permitted;
      const expected = (c.read ? Perm.UR | Perm.PR : 0) | (c.write ? Perm.UW | Perm.PW : 0) | (c.exec ? Perm.UX | Perm.PX : 0);
      expect(granted).toBe(expected);
    }
  });

  it('an AtomicOp (read + write) missing both rights reports the write', () => {
    const mem = memory();
    chain4(mem, 0x9000n, R | W);
    put(mem, PT, 1, 0x9000n | X); // present with SLEE, but neither readable nor writable
    const r = walk({ ...base, slee: true }, mem, VA, Access.READ | Access.WRITE);
    expect([r.state.fault, r.state.faultDetail]).toEqual(['permission', 'write']);
  });
});

describe('second-level format: reserved bits (QEMU VTD_SPTE_*_RSVD_MASK, VT-d §9.8)', () => {
  function outcome(opts: SecondLevelFormatOptions, setup: (mem: SparseMemory) => void): string {
    const mem = memory();
    chain4(mem, 0x9000n, R | W);
    setup(mem);
    return walk(opts, mem, VA, Access.READ).outcome;
  }

  it('address bits 51:HAW and TM are reserved in every entry (TM allowed in leaves with `tm`)', () => {
    for (const [table, depth] of [[PML4, 0], [PDPT, 1], [PD, 2], [PT, 3]] as const) {
      const next = table === PT ? 0x9000n : BigInt(table + 0x1000);
      expect(outcome(base, (m) => put(m, table, 1, next | (1n << 46n) | R | W))).toBe(`reserved@${depth}`);
      expect(outcome(base, (m) => put(m, table, 1, next | (1n << 51n) | R | W))).toBe(`reserved@${depth}`);
      expect(outcome(base, (m) => put(m, table, 1, next | TM | R | W))).toBe(`reserved@${depth}`);
      expect(outcome({ ...base, tm: true }, (m) => put(m, table, 1, next | TM | R | W))).toBe(table === PT ? 'ok' : `reserved@${depth}`);
    }
    expect(outcome(base, (m) => put(m, PT, 1, (1n << 45n) | R))).toBe('ok');
  });

  it('SNP is reserved in non-leaf entries, and in leaves unless snoop control applies', () => {
    expect(outcome(base, (m) => put(m, PDPT, 1, BigInt(PD) | SNP | R | W))).toBe('reserved@1');
    expect(outcome(base, (m) => put(m, PD, 1, BigInt(PT) | SNP | R | W))).toBe('reserved@2');
    expect(outcome(base, (m) => put(m, PT, 1, 0x9000n | SNP | R))).toBe('ok');
    expect(outcome({ ...base, leafSnp: false }, (m) => put(m, PT, 1, 0x9000n | SNP | R))).toBe('reserved@3');
    expect(outcome({ ...base, leafSnp: false }, (m) => put(m, PD, 1, 0x20_0000n | SNP | PS | R))).toBe('reserved@2');
    expect(outcome(base, (m) => put(m, PD, 1, 0x20_0000n | SNP | PS | R))).toBe('ok');
  });

  it('PS is reserved in SL-PML4E/PML5E and where CAP.SLLPS does not allow the page size', () => {
    expect(outcome(base, (m) => put(m, PML4, 1, BigInt(PDPT) | PS | R | W))).toBe('reserved@0');
    const mem = memory();
    chain4(mem, 0x9000n, R | W);
    put(mem, PML5, 1, BigInt(PML4) | PS | R | W);
    expect(walk({ ...base, levels: 5 }, mem, 0x1_0000_0000_0000 + VA, Access.READ, PML5).outcome).toBe('reserved@0');
    expect(outcome({ ...base, sllps: SLLPS_2M }, (m) => put(m, PDPT, 1, 0x40_0000_0000n | PS | R))).toBe('reserved@1');
    expect(outcome({ ...base, sllps: SLLPS_1G }, (m) => put(m, PD, 1, 0x20_0000n | PS | R))).toBe('reserved@2');
    expect(outcome({ ...base, sllps: 0 }, (m) => put(m, PD, 1, 0x20_0000n | PS | R))).toBe('reserved@2');
    expect(outcome(base, (m) => put(m, PT, 1, 0x9000n | PS | R))).toBe('ok'); // bit 7 of a PTE is ignored
  });

  it('bits 20:12 of a 2 MiB leaf and 29:12 of a 1 GiB leaf are reserved', () => {
    expect(outcome(base, (m) => put(m, PD, 1, 0x20_0000n | (1n << 12n) | PS | R))).toBe('reserved@2');
    expect(outcome(base, (m) => put(m, PD, 1, 0x20_0000n | (1n << 20n) | PS | R))).toBe('reserved@2');
    expect(outcome(base, (m) => put(m, PD, 1, 0x20_0000n | (1n << 21n) | PS | R))).toBe('ok');
    expect(outcome(base, (m) => put(m, PDPT, 1, 0x40_0000_0000n | (1n << 12n) | PS | R))).toBe('reserved@1');
    expect(outcome(base, (m) => put(m, PDPT, 1, 0x40_0000_0000n | (1n << 29n) | PS | R))).toBe('reserved@1');
  });

  it('ignores bits 63, 61:52, 10, 6:3 and (without SLADE) A/D', () => {
    const ignored = (1n << 63n) | (0x3ffn << 52n) | 0x400n | 0x78n | A | D;
    expect(outcome(base, (m) => put(m, PDPT, 1, BigInt(PD) | ignored | R | W))).toBe('ok');
    expect(outcome(base, (m) => put(m, PT, 1, 0x9000n | ignored | R | W))).toBe('ok');
  });
});

describe('second-level format: encode / classify / split', () => {
  it('encodes tables and leaves', () => {
    const f = createSecondLevelFormat({ ...base, slade: true, slee: true });
    const out = { hi: 0, lo: 0 };
    f.encodeTable(0x12_3456_7000, 0, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(0x12_3456_7000n | R | W | X);
    f.encodeLeaf(0x40_0000_0000, 1, { read: true, write: false, exec: true, dirty: true, attrIndex: 6 }, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(0x40_0000_0000n | R | X | A | D | PS | 0x30n);
    expect(f.classify(out.hi, out.lo, 1)).toBe(EntryKind.LEAF);
    expect(f.address(out.hi, out.lo, 1)).toBe(0x40_0000_0000);
    const plain = createSecondLevelFormat(base);
    plain.encodeLeaf(0x9000, 3, { read: true, write: true, exec: true }, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(0x9000n | R | W); // no X without SLEE, no A without SLADE
    expect(plain.classify(0, 0x9000 | 4, 3)).toBe(EntryKind.INVALID); // X alone without SLEE
    expect(plain.classify(0, 0x9000 | 1 | 0x80, 0)).toBe(EntryKind.TABLE);
  });

  it('splits large leaves keeping the attributes', () => {
    const f = createSecondLevelFormat(base);
    const out = { hi: 0, lo: 0 };
    const big = (0x155n << 52n) | 0x40_0000_0000n | R | W | SNP | PS | 0x28n;
    f.splitLeaf(Number(big >> 32n), Number(big & 0xffff_ffffn), 1, 0x40_0020_0000, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe((0x155n << 52n) | 0x40_0020_0000n | R | W | SNP | PS | 0x28n);
    f.splitLeaf(out.hi, out.lo, 2, 0x40_0020_3000, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe((0x155n << 52n) | 0x40_0020_3000n | R | W | SNP | 0x28n);
  });
});
