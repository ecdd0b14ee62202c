import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
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
import { createFirstLevelFormat, firstLevelWalkInput, isCanonical, type FirstLevelFormatOptions } from '../src/paging/index';
import { chain4, get, memory, PD, PDPT, PML4, PML5, PT, put, VA } from './support/paging-tables';

const P = 1n;
const RW = 2n;
const US = 4n;
const A = 0x20n;
const D = 0x40n;
const PS = 0x80n;
const EA = 0x400n;
const XD = 1n << 63n;

function walk(opts: FirstLevelFormatOptions, mem: PhysicalMemory, input: number, access: number, root = PML4) {
  const format = createFirstLevelFormat(opts);
  const state = new WalkState();
  const stop = walkStage(format, root, input, access, new MemoryFetcher(mem), state);
  return { stop, state, format };
}

const base: FirstLevelFormatOptions = { levels: 4, hawBits: 46, nxe: true, sre: true };

describe('first-level format: shape', () => {
  it('describes 4- and 5-level tables with VT-d level numbers and leaf depths', () => {
    const f4 = createFirstLevelFormat({ levels: 4, hawBits: 46 });
    expect(f4.inputBits).toBe(48);
    expect(f4.outputBits).toBe(46);
    expect(f4.shifts).toEqual([39, 30, 21, 12]);
    expect(f4.indexBits).toEqual([9, 9, 9, 9]);
    expect(f4.archLevels).toEqual([4, 3, 2, 1]);
    expect(f4.leafDepths).toEqual([false, false, true, true]);
    const f5 = createFirstLevelFormat({ levels: 5, hawBits: 52, fl1gp: true });
    expect(f5.inputBits).toBe(57);
    expect(f5.shifts).toEqual([48, 39, 30, 21, 12]);
    expect(f5.archLevels).toEqual([5, 4, 3, 2, 1]);
    expect(f5.leafDepths).toEqual([false, false, true, true, true]);
    expect(f5.options.nxe).toBe(false);
  });

  it('rejects bad options with IommuError ARGUMENT', () => {
    expect(() => createFirstLevelFormat({ levels: 3 as 4, hawBits: 46 })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => createFirstLevelFormat({ levels: 4, hawBits: 53 })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => createFirstLevelFormat({ levels: 4, hawBits: 31 })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => createFirstLevelFormat({ levels: 4, hawBits: 48, pageShift: 13 as 12 })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});

describe('first-level format: known-answer walks', () => {
  it('walks a 4 KiB page through four levels and sets A everywhere', () => {
    const mem = memory();
    chain4(mem, 0x12_3456_7000n, P | RW | US);
    const { stop, state } = walk(base, mem, VA, Access.READ);
    expect(stop).toBe(WalkStop.OK);
    expect(state.output).toBe(0x12_3456_7abc);
    expect(state.leafShift).toBe(12);
    expect(state.depth).toBe(3);
    expect(state.global).toBe(false);
    expect(state.permitted).toBe(Perm.ALL);
    // D is clear: a cached copy must not serve writes.
    expect(state.cachePermitted).toBe(Perm.ALL & ~(Perm.UW | Perm.PW));
    expect(get(mem, PML4, 1)).toBe(0x3027n);
    expect(get(mem, PDPT, 1)).toBe(0x4027n);
    expect(get(mem, PD, 1)).toBe(0x5027n);
    expect(get(mem, PT, 1)).toBe(0x12_3456_7027n);
  });

  it('sets D only in the leaf on a write', () => {
    const mem = memory();
    chain4(mem, 0x12_3456_7000n, P | RW | US);
    const { stop, state } = walk(base, mem, VA, Access.WRITE);
    expect(stop).toBe(WalkStop.OK);
    expect(state.cachePermitted).toBe(Perm.ALL);
    expect(get(mem, PD, 1)).toBe(0x5027n);
    expect(get(mem, PT, 1)).toBe(0x12_3456_7067n);
  });

  it('walks a 2 MiB page (PDE.PS) keeping the 21-bit offset', () => {
    const mem = memory();
    chain4(mem, 0n, P | RW | US);
    put(mem, PD, 1, 0x1_0020_0000n | P | RW | US | PS);
    const { stop, state } = walk(base, mem, VA, Access.READ);
    expect(stop).toBe(WalkStop.OK);
    expect(state.output).toBe(0x1_0020_1abc);
    expect(state.leafShift).toBe(21);
    expect(state.depth).toBe(2);
  });

  it('walks a 1 GiB page (PDPE.PS) only with FL1GP', () => {
    const mem = memory();
    chain4(mem, 0n, P | RW | US);
    put(mem, PDPT, 1, 0x40_0000_0000n | P | RW | US | PS);
    const ok = walk({ ...base, fl1gp: true }, mem, VA, Access.READ);
    expect(ok.stop).toBe(WalkStop.OK);
    expect(ok.state.output).toBe(0x40_0020_1abc);
    expect(ok.state.leafShift).toBe(30);
    const bad = walk(base, mem, VA, Access.READ);
    expect(bad.stop).toBe(WalkStop.FAULT);
    expect(bad.state.fault).toBe('reserved');
    expect(bad.state.depth).toBe(1);
  });

  it('walks five levels from a PML5 root', () => {
    const mem = memory();
    chain4(mem, 0xabc_d000n, P | RW | US);
    put(mem, PML5, 1, BigInt(PML4) | P | RW | US);
    const { stop, state } = walk({ ...base, levels: 5 }, mem, 0x1_0000_0000_0000 + VA, Access.READ, PML5);
    expect(stop).toBe(WalkStop.OK);
    expect(state.output).toBe(0xabc_dabc);
    expect(state.depth).toBe(4);
  });

  it('reports the PAT index (PAT:PCD:PWT) from bit 7 of a PTE and bit 12 of a large leaf', () => {
    const mem = memory();
    chain4(mem, 0x7000n, P | RW | US);
    put(mem, PT, 1, 0x7000n | P | US | 0x80n | 0x08n); // PAT and PWT
    expect(walk(base, mem, VA, Access.READ).state.attrs).toBe(0b101);
    put(mem, PD, 1, 0x20_0000n | P | US | PS | 0x1000n | 0x10n); // PAT (bit 12) and PCD
    const large = walk(base, mem, VA, Access.READ);
    expect(large.state.attrs).toBe(0b110);
    expect(large.state.output).toBe(0x20_1abc); // bit 12 is PAT, not address
  });

  it('an entry with P = 0 is a translation fault at its level', () => {
    const mem = memory();
    chain4(mem, 0x7000n, P | RW | US);
    put(mem, PD, 1, 0xffff_ffff_ffff_fffen); // P clear: every other bit is don't-care
    const { stop, state } = walk(base, mem, VA, Access.READ);
    expect(stop).toBe(WalkStop.FAULT);
    expect(state.fault).toBe('translation');
    expect(state.depth).toBe(2);
  });
});

describe('first-level format: reserved bits (VT-d §3.6)', () => {
  function faultAt(opts: FirstLevelFormatOptions, setup: (mem: SparseMemory) => void) {
    const mem = memory();
    chain4(mem, 0x7000n, P | RW | US);
    setup(mem);
    const r = walk(opts, mem, VA, Access.READ);
    return r.stop === WalkStop.OK ? 'ok' : `${r.state.fault}@${r.state.depth}`;
  }

  it('address bits 51:HAW are reserved in every present entry', () => {
    for (const [table, depth] of [[PML4, 0], [PDPT, 1], [PD, 2], [PT, 3]] as const) {
      const next = table === PT ? 0x7000n : BigInt(table + 0x1000);
      expect(faultAt(base, (m) => put(m, table, 1, next | (1n << 46n) | P | RW | US))).toBe(`reserved@${depth}`);
      expect(faultAt(base, (m) => put(m, table, 1, next | (1n << 51n) | P | RW | US))).toBe(`reserved@${depth}`);
    }
    // Bit 45 is an address bit for HAW 46: the next table would be far away, so test it on the leaf.
    expect(faultAt(base, (m) => put(m, PT, 1, (1n << 45n) | P | US))).toBe('ok');
    expect(faultAt({ ...base, hawBits: 52 }, (m) => put(m, PT, 1, (1n << 51n) | P | US))).toBe('ok');
  });

  it('PS is reserved in a PML4E and a PML5E', () => {
    expect(faultAt(base, (m) => put(m, PML4, 1, BigInt(PDPT) | P | RW | US | PS))).toBe('reserved@0');
    const mem = memory();
    chain4(mem, 0x7000n, P | RW | US);
    put(mem, PML5, 1, BigInt(PML4) | P | RW | US | PS);
    const r = walk({ ...base, levels: 5, fl1gp: true }, mem, 0x1_0000_0000_0000 + VA, Access.READ, PML5);
    expect([r.state.fault, r.state.depth]).toEqual(['reserved', 0]);
  });

  it('PS in a PDPE is reserved without FL1GP, and bits 29:13 of a 1 GiB leaf always', () => {
    const leaf1g = 0x40_0000_0000n | P | US | PS;
    expect(faultAt(base, (m) => put(m, PDPT, 1, leaf1g))).toBe('reserved@1');
    const g = { ...base, fl1gp: true };
    expect(faultAt(g, (m) => put(m, PDPT, 1, leaf1g))).toBe('ok');
    expect(faultAt(g, (m) => put(m, PDPT, 1, leaf1g | (1n << 13n)))).toBe('reserved@1');
    expect(faultAt(g, (m) => put(m, PDPT, 1, leaf1g | (1n << 29n)))).toBe('reserved@1');
    expect(faultAt(g, (m) => put(m, PDPT, 1, leaf1g | (1n << 12n)))).toBe('ok'); // PAT
  });

  it('bits 20:13 of a 2 MiB leaf are reserved, bit 12 is PAT', () => {
    const leaf2m = 0x20_0000n | P | US | PS;
    expect(faultAt(base, (m) => put(m, PD, 1, leaf2m | (1n << 13n)))).toBe('reserved@2');
    expect(faultAt(base, (m) => put(m, PD, 1, leaf2m | (1n << 20n)))).toBe('reserved@2');
    expect(faultAt(base, (m) => put(m, PD, 1, leaf2m | (1n << 12n)))).toBe('ok');
    expect(faultAt(base, (m) => put(m, PD, 1, leaf2m | (1n << 21n)))).toBe('ok');
  });

  it('XD is reserved when NXE = 0, at every level', () => {
    const noNx = { ...base, nxe: false };
    for (const [table, depth] of [[PML4, 0], [PDPT, 1], [PD, 2], [PT, 3]] as const) {
      const next = table === PT ? 0x7000n : BigInt(table + 0x1000);
      expect(faultAt(noNx, (m) => put(m, table, 1, next | XD | P | RW | US))).toBe(`reserved@${depth}`);
      expect(faultAt(base, (m) => put(m, table, 1, next | XD | P | RW | US))).toBe('ok');
    }
  });

  it('ignores bits 62:52, 11:8 and (without EAFE) EA', () => {
    const ignored = (0x7ffn << 52n) | 0xf00n;
    expect(faultAt(base, (m) => put(m, PDPT, 1, BigInt(PD) | ignored | P | RW | US))).toBe('ok');
    expect(faultAt(base, (m) => put(m, PT, 1, 0x7000n | ignored | P | RW | US))).toBe('ok');
  });
});

describe('first-level format: A/D/EA updates', () => {
  it('writes back only when a flag changes (sticky flags, no redundant writes)', () => {
    const inner = memory();
    chain4(inner, 0x12_3456_7000n, P | RW | US);
    const mem = new TracingMemory(inner);
    const writes = () => mem.accesses.filter((a) => a.kind === 'write').length;
    walk(base, mem, VA, Access.READ);
    expect(writes()).toBe(4); // A in four entries
    mem.clear();
    walk(base, mem, VA, Access.READ);
    expect(writes()).toBe(0);
    walk(base, mem, VA, Access.WRITE);
    expect(writes()).toBe(1); // D in the leaf
    mem.clear();
    const again = walk(base, mem, VA, Access.WRITE);
    expect(writes()).toBe(0);
    expect(again.state.cachePermitted).toBe(Perm.ALL);
    // A later read sees D set and may cache the write rights.
    expect(walk(base, mem, VA, Access.READ).state.cachePermitted).toBe(Perm.ALL);
  });

  it('sets EA with A when EAFE = 1', () => {
    const mem = memory();
    chain4(mem, 0x7000n, P | RW | US);
    walk({ ...base, eafe: true }, mem, VA, Access.WRITE);
    expect(get(mem, PML4, 1)).toBe(BigInt(PDPT) | P | RW | US | A | EA);
    expect(get(mem, PT, 1)).toBe(0x7000n | P | RW | US | A | D | EA);
  });

  it('a permission fault leaves the leaf untouched but the upper entries accessed', () => {
    const mem = memory();
    chain4(mem, 0x7000n, P | US);
    const { stop, state } = walk(base, mem, VA, Access.WRITE);
    expect([stop, state.fault, state.faultDetail, state.depth]).toEqual([WalkStop.FAULT, 'permission', 'write', 3]);
    expect(get(mem, PD, 1)).toBe(BigInt(PT) | P | US | A);
    expect(get(mem, PT, 1)).toBe(0x7000n | P | US);
  });

  it('a reserved fault sets no flag in the faulting entry', () => {
    const mem = memory();
    chain4(mem, 0x7000n, P | RW | US);
    put(mem, PD, 1, BigInt(PT) | P | RW | US | XD);
    walk({ ...base, nxe: false }, mem, VA, Access.READ);
    expect(get(mem, PDPT, 1)).toBe(BigInt(PD) | P | RW | US | A);
    expect(get(mem, PD, 1)).toBe(BigInt(PT) | P | RW | US | XD);
  });
});

/** The VT-d §3.6 access-rights table, written out per request type (the independent reference). */
function referenceAllowed(
  levels: readonly { rw: boolean; us: boolean; xd: boolean }[],
  request: { priv: boolean; kind: 'read' | 'write' | 'exec' },
  o: { wpe: boolean; smep: boolean; nxe: boolean },
): boolean {
  const everyUS = levels.every((l) => l.us);
  const everyRW = levels.every((l) => l.rw);
  const noXD = !o.nxe || levels.every((l) => !l.xd);
  if (!request.priv) {
    if (request.kind === 'read') return everyUS;
    if (request.kind === 'write') return everyUS && everyRW;
    return everyUS && noXD;
  }
  if (request.kind === 'read') return true;
  if (request.kind === 'write') return !o.wpe || everyRW;
  const someSupervisor = levels.some((l) => !l.us);
  return (!o.smep || someSupervisor) && noXD;
}

describe('first-level format: access rights (VT-d §3.6 table)', () => {
  it('matches the reference for every U/S, R/W, XD combination over four levels and every WPE/SMEP/NXE', () => {
    const mem = memory();
    const fetcher = new MemoryFetcher(mem);
    const state = new WalkState();
    const kinds = ['read', 'write', 'exec'] as const;
    const accessOf = { read: Access.READ, write: Access.WRITE, exec: Access.EXEC | Access.READ };
    let checked = 0;
    for (let sw = 0; sw < 8; sw++) {
      const o = { wpe: (sw & 1) !== 0, smep: (sw & 2) !== 0, nxe: (sw & 4) !== 0 };
      const format = createFirstLevelFormat({ levels: 4, hawBits: 46, sre: true, ...o });
      for (let bits = 0; bits < 1 << 12; bits++) {
        const lv = [0, 1, 2, 3].map((i) => ({ rw: ((bits >> (3 * i)) & 1) !== 0, us: ((bits >> (3 * i + 1)) & 1) !== 0, xd: ((bits >> (3 * i + 2)) & 1) !== 0 }));
        if (!o.nxe && lv.some((l) => l.xd)) continue; // reserved without NXE, tested above
        const tables = [PML4, PDPT, PD, PT];
        lv.forEach((l, i) => {
          const next = i === 3 ? 0x7000n : BigInt(tables[i + 1]!);
          put(mem, tables[i]!, 1, next | P | A | D | (l.rw ? RW : 0n) | (l.us ? US : 0n) | (l.xd ? XD : 0n));
        });
        let expectedPerm = 0;
        for (const priv of [false, true]) {
          for (const kind of kinds) {
            if (referenceAllowed(lv, { priv, kind }, o)) expectedPerm |= { read: Perm.UR, write: Perm.UW, exec: Perm.UX }[kind] << (priv ? 3 : 0);
          }
        }
        for (const priv of [false, true]) {
          for (const kind of kinds) {
            const access = accessOf[kind] | (priv ? Access.PRIV : 0);
            const stop = walkStage(format, PML4, VA, access, fetcher, state);
            const allowed = referenceAllowed(lv, { priv, kind }, o);
            if (allowed !== (stop === WalkStop.OK)) {
              throw new Error(`mismatch ${JSON.stringify({ o, lv, priv, kind, fault: state.fault, detail: state.faultDetail })}`);
            }
            if (allowed) {
              expect(state.permitted).toBe(expectedPerm);
            } else {
              const expectedDetail = !priv && !lv.every((l) => l.us) ? 'user' : kind;
              expect(state.faultDetail).toBe(expectedDetail);
            }
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100_000);
  });

  it('grants no supervisor right without SRE, and faults privileged walks at the root', () => {
    const mem = memory();
    chain4(mem, 0x7000n, P | RW | US);
    const user = walk({ ...base, sre: false }, mem, VA, Access.READ);
    expect(user.state.permitted).toBe(Perm.UR | Perm.UW | Perm.UX);
    const tracing = new TracingMemory(mem);
    const priv = walk({ ...base, sre: false }, tracing, VA, Access.READ | Access.PRIV);
    expect([priv.stop, priv.state.fault, priv.state.faultDetail, priv.state.depth]).toEqual([WalkStop.FAULT, 'permission', 'supervisor', 0]);
    expect(tracing.accesses.map((a) => a.kind)).toEqual(['read']); // the root entry only, nothing written
  });
});

describe('first-level format: canonical addresses', () => {
  const reference = (v: bigint, n: number) => BigInt.asIntN(n, v) === BigInt.asIntN(64, v);
  const halves = (v: bigint) => ({ hi: Number(v >> 32n), lo: Number(v & 0xffff_ffffn) });

  it('known answers at the 48- and 57-bit boundaries', () => {
    const cases: [bigint, 4 | 5, boolean][] = [
      [0x0000_7fff_ffff_ffffn, 4, true],
      [0x0000_8000_0000_0000n, 4, false],
      [0xffff_8000_0000_0000n, 4, true],
      [0xffff_7fff_ffff_ffffn, 4, false],
      [0xfffe_8000_0000_0000n, 4, false],
      [0x0000_8000_0000_0000n, 5, true],
      [0x00ff_ffff_ffff_ffffn, 5, true],
      [0x0100_0000_0000_0000n, 5, false],
      [0xff00_0000_0000_0000n, 5, true],
      [0xfe00_0000_0000_0000n, 5, false],
      [0xffff_ffff_ffff_ffffn, 4, true],
      [0n, 5, true],
    ];
    for (const [v, levels, ok] of cases) {
      const { hi, lo } = halves(v);
      expect(isCanonical(hi, lo, levels)).toBe(ok);
    }
  });

  it('agrees with sign extension on random addresses', () => {
    const near = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.tuple(fc.constantFrom(47n, 56n), fc.bigInt({ min: 0n, max: (1n << 20n) - 1n }), fc.boolean()).map(([bit, low, up]) => {
        const v = (1n << bit) | low;
        return up ? BigInt.asUintN(64, -v) : v;
      }),
    );
    fc.assert(
      fc.property(near, fc.constantFrom(4 as const, 5 as const), (v, levels) => {
        const { hi, lo } = halves(v);
        expect(isCanonical(hi, lo, levels)).toBe(reference(v, levels === 5 ? 57 : 48));
      }),
      { numRuns: 2000 },
    );
  });

  it('firstLevelWalkInput keeps the indexed bits of an upper-half address', () => {
    expect(firstLevelWalkInput(0xffff_8000, 0x1234_5000, 4)).toBe(0x8000_1234_5000);
    expect(firstLevelWalkInput(0xfe00_0012, 0x1000, 5)).toBe(0x12_0000_1000); // bits 63:57 dropped
    expect(firstLevelWalkInput(0xff00_0012, 0x1000, 5)).toBe(0x100_0012_0000_1000); // bit 56 is indexed (PML5 256)
  });
});

describe('first-level format: encode / classify / split', () => {
  it('encodes tables and leaves that classify and decode back', () => {
    const f = createFirstLevelFormat({ levels: 4, hawBits: 48, nxe: true, fl1gp: true, sre: true });
    const out = { hi: 0, lo: 0 };
    f.encodeTable(0x12_3456_7000, 0, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(0x12_3456_7000n | P | RW | US | A);
    expect(f.classify(out.hi, out.lo, 0)).toBe(EntryKind.TABLE);
    f.encodeLeaf(0x40_0000_0000, 1, { read: true, write: true, user: true, exec: false, attrIndex: 5 }, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(0x40_0000_0000n | XD | P | RW | US | A | PS | 0x1000n | 0x08n);
    expect(f.classify(out.hi, out.lo, 1)).toBe(EntryKind.LEAF);
    expect(f.address(out.hi, out.lo, 1)).toBe(0x40_0000_0000);
    f.encodeLeaf(0x7000, 3, { write: false, user: false, exec: true, accessed: false, dirty: true, attrIndex: 4 }, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(0x7000n | P | D | 0x80n);
    expect(f.classify(0, 0x7000 | 0x81, 3)).toBe(EntryKind.LEAF);
    expect(f.classify(0, 0x7000, 3)).toBe(EntryKind.INVALID);
    expect(f.classify(0, 0x7000 | 1 | 0x80, 0)).toBe(EntryKind.TABLE); // PS in a PML4E never makes a leaf
  });

  it('splits a 1 GiB leaf into 2 MiB leaves and a 2 MiB leaf into PTEs, moving PAT', () => {
    const f = createFirstLevelFormat({ levels: 4, hawBits: 48, nxe: true, fl1gp: true });
    const out = { hi: 0, lo: 0 };
    const big = 0x40_0000_0000n | XD | P | RW | US | A | D | PS | 0x1000n | 0x10n;
    f.splitLeaf(Number(big >> 32n), Number(big & 0xffff_ffffn), 1, 0x40_0020_0000, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(0x40_0020_0000n | XD | P | RW | US | A | D | PS | 0x1000n | 0x10n);
    f.splitLeaf(out.hi, out.lo, 2, 0x40_0020_3000, out);
    expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(0x40_0020_3000n | XD | P | RW | US | A | D | 0x80n | 0x10n);
  });
});
