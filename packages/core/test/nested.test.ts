import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PoolAllocator } from '../src/memory/allocator';
import { read64Big, write64Big, writeWords, type PhysicalMemory } from '../src/memory/physical-memory';
import { SparseMemory } from '../src/memory/sparse-memory';
import { TranslatedMemory } from '../src/memory/translated-memory';
import { PageTableBuilder } from '../src/pagetable/builder';
import { Access, Perm, type FaultKind, type MapProt, type PageTableFormat } from '../src/pagetable/format';
import { NestedTranslator, type TraceEntry, type TranslationContext, type TranslationFault, type TranslationResult } from '../src/translate/nested';
import { createToyFormat, toyEntry, type ToyFormatOptions } from './support/toy-format';

const KiB4 = 0x1000;
const MiB2 = 0x20_0000;
const RWX: MapProt = { read: true, write: true, exec: true };
const USER_RW: MapProt = { read: true, write: true, user: true };

// ---- A nested environment: host memory, stage 2 over it, a guest's stage 1 in IPA space ---------------------

const S2_POOL = 0x100_0000;
const S2_POOL_SIZE = 0x10_0000;
const GUEST_SIZE = 0x100_0000; // IPA [0, 16 MiB)
const S1_POOL = 0x10_0000; // IPA of the guest's table pool
const S1_POOL_SIZE = 0x10_0000;
const DATA = 0x40_0000; // IPA of guest data

/**
 * Builds host memory with stage-2 tables mapping IPA [0, 16 MiB) linearly to `guestPa`, and a stage-1 builder
 * whose tables live at IPAs (written through a linear guest view, independent of later stage-2 edits).
 * `guestPa` off a 2 MiB boundary forces 4 KiB stage-2 pages.
 */
function nestedEnv(s1Options: ToyFormatOptions, s2Options: ToyFormatOptions, guestPa = 0x1000_1000) {
  const host = new SparseMemory().back(S2_POOL, S2_POOL_SIZE).back(guestPa, GUEST_SIZE);
  const s1f = createToyFormat(s1Options);
  const s2f = createToyFormat(s2Options);
  const s2 = new PageTableBuilder(s2f, host, new PoolAllocator(host, S2_POOL, S2_POOL_SIZE));
  s2.map(0, guestPa, GUEST_SIZE, RWX);
  const guest = new TranslatedMemory(host, (ipa) => (ipa < GUEST_SIZE ? guestPa + ipa : undefined));
  const s1 = new PageTableBuilder(s1f, guest, new PoolAllocator(guest, S1_POOL, S1_POOL_SIZE));
  const translator = new NestedTranslator(host);
  const ctx: TranslationContext = { stage1: { format: s1f, root: s1.root }, stage2: { format: s2f, root: s2.root } };
  /** Changes the stage-2 mapping of one IPA page. */
  const remapS2 = (ipa: number, pa: number | undefined, prot: MapProt = RWX) => {
    s2.unmap(ipa, KiB4);
    if (pa !== undefined) s2.map(ipa, pa, KiB4, prot);
  };
  return { host, guest, guestPa, s1f, s2f, s1, s2, translator, ctx, remapS2 };
}

/** The IPA of each stage-1 table on the walk for `input` (root first), read through the guest view. */
function tableChain(format: PageTableFormat, memory: PhysicalMemory, root: number, input: number): number[] {
  const out: number[] = [];
  let table = root;
  for (let depth = 0; depth < format.levels; depth++) {
    out.push(table);
    const index = Math.floor(input / 2 ** format.shifts[depth]!) % 2 ** format.indexBits[depth]!;
    const v = read64Big(memory, table + index * 8)!;
    if ((v & 3n) !== 3n) break;
    table = format.address(Number(v >> 32n), Number(v & 0xffff_ffffn), depth);
  }
  return out;
}

function entryIpa(format: PageTableFormat, table: number, input: number, depth: number): number {
  return table + (Math.floor(input / 2 ** format.shifts[depth]!) % 2 ** format.indexBits[depth]!) * 8;
}

function expectFault(r: TranslationResult): TranslationFault {
  expect(r.ok, JSON.stringify(r)).toBe(false);
  return r as TranslationFault;
}

// ---- Known answer --------------------------------------------------------------------------------------------

describe('NestedTranslator: a hand-worked 2-level over 2-level walk', () => {
  // Toy descriptors (see test/support/toy-format.ts): V=1 T=2 R=4 W=8 X=16 U=32 A=64, address in 51:12.
  // Stage 2 (root PA 0x10000, levels 2 → arch levels 2, 3):
  //   root[0]        = 0x1101f  table → PA 0x11000 (V T R W X)
  //   L3[1] IPA 0x1000 = 0x2004d  page → PA 0x20000 (V R W A)   stage-1 root
  //   L3[2] IPA 0x2000 = 0x2104d  page → PA 0x21000 (V R W A)   stage-1 leaf table
  //   L3[5] IPA 0x5000 = 0x5005d  page → PA 0x50000 (V R W X A) data
  // Stage 1 (root IPA 0x1000), VA 0x00401234: index[0] = VA >> 21 = 2, index[1] = (VA >> 12) & 511 = 1
  //   root[2]  at IPA 0x1010 = 0x203f  table → IPA 0x2000 (V T R W X U)
  //   leaf[1]  at IPA 0x2008 = 0x506d  page  → IPA 0x5000 (V R W U A)
  // Output IPA 0x5234 → PA 0x50234.
  function handBuilt() {
    const host = new SparseMemory().back(0x10000, 0x50000);
    const put = (pa: number, v: bigint) => write64Big(host, pa, v);
    put(0x10000, 0x1101fn);
    put(0x11008, 0x2004dn);
    put(0x11010, 0x2104dn);
    put(0x11028, 0x5005dn);
    put(0x20010, 0x203fn);
    put(0x21008, 0x506dn);
    const ctx: TranslationContext = {
      stage1: { format: createToyFormat({ levels: 2, outputBits: 32, stage: 1 }), root: 0x1000 },
      stage2: { format: createToyFormat({ levels: 2, outputBits: 36, stage: 2 }), root: 0x10000 },
    };
    return { host, ctx, translator: new NestedTranslator(host) };
  }

  it('the hand-built descriptors are what the toy encoders produce', () => {
    expect(toyEntry({ address: 0x11000, table: true, r: true, w: true, x: true, a: false })).toBe(0x1101fn);
    expect(toyEntry({ address: 0x20000, r: true, w: true })).toBe(0x2004dn);
    expect(toyEntry({ address: 0x50000, r: true, w: true, x: true })).toBe(0x5005dn);
    expect(toyEntry({ address: 0x2000, table: true, r: true, w: true, x: true, u: true, a: false })).toBe(0x203fn);
    expect(toyEntry({ address: 0x5000, r: true, w: true, u: true })).toBe(0x506dn);
  });

  it('translates with the exact trace: per stage-1 level the stage-2 reads then the descriptor; then the output', () => {
    const { ctx, translator } = handBuilt();
    translator.trace = [];
    const r = translator.translate(ctx, 0x0040_1234, Access.READ);
    expect(r).toEqual({
      ok: true,
      output: 0x50234,
      ipa: 0x5234,
      pageShift: 12,
      permitted: Perm.UR | Perm.UW | Perm.PR | Perm.PW,
      cachePermitted: Perm.UR | Perm.UW | Perm.PR | Perm.PW,
      global: true,
      attrs1: 0,
      attrs2: 0,
      s1Level: 3,
      s2Level: 3,
      reads: 8, // L1 * (L2 + 1) + L2 = 2 * 3 + 2
    });
    const s2 = (depth: number, address: number, value: bigint, purpose: 's1-table' | 'output', s1Depth?: number): TraceEntry => ({
      stage: 2,
      level: depth + 2,
      depth,
      address,
      value,
      purpose,
      ...(s1Depth === undefined ? {} : { s1Depth }),
    });
    expect(translator.trace).toEqual([
      s2(0, 0x10000, 0x1101fn, 's1-table', 0),
      s2(1, 0x11008, 0x2004dn, 's1-table', 0),
      { stage: 1, level: 2, depth: 0, address: 0x20010, ipa: 0x1010, value: 0x203fn },
      s2(0, 0x10000, 0x1101fn, 's1-table', 1),
      s2(1, 0x11010, 0x2104dn, 's1-table', 1),
      { stage: 1, level: 3, depth: 1, address: 0x21008, ipa: 0x2008, value: 0x506dn },
      s2(0, 0x10000, 0x1101fn, 'output'),
      s2(1, 0x11028, 0x5005dn, 'output'),
    ]);
  });

  it('a stage-2 hole under the stage-1 leaf table faults as stage 2, s1-table, at the IPA of the descriptor', () => {
    const { host, ctx, translator } = handBuilt();
    write64Big(host, 0x11010, 0n);
    const f = expectFault(translator.translate(ctx, 0x0040_1234, Access.READ));
    expect(f).toEqual({
      ok: false,
      stage: 2,
      kind: 'translation',
      detail: '',
      depth: 1,
      level: 3,
      address: 0x2008,
      purpose: 's1-table',
      s1Depth: 1,
      s1Level: 3,
      reads: 5,
    });
  });

  it('a stage-2 hole on the output faults as stage 2, purpose output, at the output IPA', () => {
    const { host, ctx, translator } = handBuilt();
    write64Big(host, 0x11028, 0n);
    expect(translator.translate(ctx, 0x0040_1234, Access.READ)).toEqual({
      ok: false,
      stage: 2,
      kind: 'translation',
      detail: '',
      depth: 1,
      level: 3,
      address: 0x5234,
      purpose: 'output',
      reads: 8,
    });
  });

  it('a stage-1 permission fault wins over a stage-2 hole on the output', () => {
    const { host, ctx, translator } = handBuilt();
    write64Big(host, 0x11028, 0n);
    write64Big(host, 0x21008, toyEntry({ address: 0x5000, r: true, u: true }));
    expect(translator.translate(ctx, 0x0040_1234, Access.WRITE)).toEqual({
      ok: false,
      stage: 1,
      kind: 'permission',
      detail: 'write',
      depth: 1,
      level: 3,
      address: 0x0040_1234,
      reads: 6,
    });
  });

  it('an unbacked stage-1 table behind a valid stage-2 mapping is a stage-1 external abort', () => {
    const { host, ctx, translator } = handBuilt();
    write64Big(host, 0x11010, toyEntry({ address: 0x9000_0000, r: true, w: true }));
    expect(translator.translate(ctx, 0x0040_1234, Access.READ)).toEqual({
      ok: false,
      stage: 1,
      kind: 'externalAbort',
      detail: '',
      depth: 1,
      level: 3,
      address: 0x0040_1234,
      fetchAddress: 0x9000_0008,
      reads: 6,
    });
  });

  it('an unbacked stage-2 table is a stage-2 external abort on whatever it served', () => {
    const { host, ctx, translator } = handBuilt();
    write64Big(host, 0x10000, toyEntry({ address: 0x8000_0000, table: true, r: true, w: true, x: true }));
    expect(translator.translate(ctx, 0x0040_1234, Access.READ)).toEqual({
      ok: false,
      stage: 2,
      kind: 'externalAbort',
      detail: '',
      depth: 1,
      level: 3,
      address: 0x1010,
      fetchAddress: 0x8000_0008,
      purpose: 's1-table',
      s1Depth: 0,
      s1Level: 2,
      reads: 2,
    });
  });

  it('a stage-1 fault reports stage 1 with the input address', () => {
    const { ctx, translator } = handBuilt();
    expect(translator.translate(ctx, 0x0060_0000, Access.READ)).toEqual({
      ok: false,
      stage: 1,
      kind: 'translation',
      detail: '',
      depth: 0,
      level: 2,
      address: 0x0060_0000,
      reads: 3,
    });
    expect(translator.translate(ctx, 2 ** 30, Access.READ)).toMatchObject({ ok: false, stage: 1, kind: 'inputRange', level: -1, reads: 0 });
  });
});

// ---- Read counts and trace shape for every combination of levels -------------------------------------------

describe('NestedTranslator: L1 levels over L2 levels read L1*(L2+1)+L2 descriptors', () => {
  const combos = [2, 3, 4].flatMap((l1) => [2, 3, 4].map((l2) => [l1, l2] as const));
  it.each(combos)('%i over %i', (l1, l2) => {
    const env = nestedEnv({ levels: l1, outputBits: 32, stage: 1 }, { levels: l2, outputBits: 40, stage: 2 });
    const va = 0x3f_e000 + 0x123;
    env.s1.map(0x3f_e000, DATA + 0x7000, KiB4, USER_RW);
    env.translator.trace = [];
    const r = env.translator.translate(env.ctx, va, Access.READ);
    expect(r).toMatchObject({ ok: true, output: env.guestPa + DATA + 0x7123, ipa: DATA + 0x7123, pageShift: 12, reads: l1 * (l2 + 1) + l2 });
    const trace = env.translator.trace;
    const expectedShape: string[] = [];
    for (let d = 0; d < l1; d++) {
      for (let e = 0; e < l2; e++) expectedShape.push(`2:${e}:s1-table:${d}`);
      expectedShape.push(`1:${d}`);
    }
    for (let e = 0; e < l2; e++) expectedShape.push(`2:${e}:output`);
    expect(trace.map((t) => (t.stage === 1 ? `1:${t.depth}` : `2:${t.depth}:${t.purpose}${t.s1Depth === undefined ? '' : ':' + t.s1Depth}`))).toEqual(expectedShape);
    // Stage-1 descriptors are read at the host address of their IPA.
    const chain = tableChain(env.s1f, env.guest, env.s1.root, va);
    trace.filter((t) => t.stage === 1).forEach((t, d) => {
      expect(t.ipa).toBe(entryIpa(env.s1f, chain[d]!, va, d));
      expect(t.address).toBe(env.guestPa + t.ipa!);
      expect(t.level).toBe(4 - l1 + d);
    });
  });
});

// ---- Faults through a built environment ----------------------------------------------------------------------

describe('NestedTranslator: stage-2 faults on stage-1 table fetches', () => {
  it.each([
    [3, 2, 0],
    [3, 2, 1],
    [4, 3, 2],
    [2, 4, 1],
  ])('%i over %i: a hole under the stage-1 table at depth %i', (l1, l2, holeDepth) => {
    const env = nestedEnv({ levels: l1, outputBits: 32, stage: 1 }, { levels: l2, outputBits: 40, stage: 2 });
    const va = 0x1234_5000 % 2 ** env.s1f.inputBits;
    env.s1.map(va, DATA, KiB4, USER_RW);
    const chain = tableChain(env.s1f, env.guest, env.s1.root, va);
    env.remapS2(chain[holeDepth]!, undefined);
    const f = expectFault(env.translator.translate(env.ctx, va + 0x42, Access.READ));
    expect(f).toMatchObject({
      stage: 2,
      kind: 'translation',
      purpose: 's1-table',
      s1Depth: holeDepth,
      s1Level: 4 - l1 + holeDepth,
      address: entryIpa(env.s1f, chain[holeDepth]!, va, holeDepth),
      depth: l2 - 1,
      level: 3,
      reads: holeDepth * (l2 + 1) + l2,
    });
    expect(f.onUpdate).toBeUndefined();
  });

  it('stage-2 permission on a stage-1 table fetch (no read right)', () => {
    const env = nestedEnv({ levels: 3, outputBits: 32, stage: 1 }, { levels: 3, outputBits: 40, stage: 2 });
    env.s1.map(0, DATA, KiB4, USER_RW);
    const root = env.s1.root;
    env.remapS2(root, env.guestPa + root, { write: true });
    expect(env.translator.translate(env.ctx, 0, Access.READ)).toMatchObject({
      ok: false,
      stage: 2,
      kind: 'permission',
      detail: 'read',
      purpose: 's1-table',
      s1Depth: 0,
      address: root,
    });
  });

  it('the output through stage 2: hole, read-only, and the stage-2 level', () => {
    const env = nestedEnv({ levels: 3, outputBits: 32, stage: 1 }, { levels: 3, outputBits: 40, stage: 2 });
    env.s1.map(0x20_0000, DATA, MiB2, USER_RW);
    env.remapS2(DATA + 0x3000, undefined);
    env.remapS2(DATA + 0x4000, env.guestPa + DATA + 0x4000, { read: true });
    const hole = expectFault(env.translator.translate(env.ctx, 0x20_3008, Access.READ));
    // Stage 1 maps a 2 MiB block (2 levels, 4 reads each); then 3 stage-2 reads for the output.
    expect(hole).toMatchObject({ stage: 2, kind: 'translation', purpose: 'output', address: DATA + 0x3008, level: 3, reads: 2 * 4 + 3 });
    expect(hole.s1Depth).toBeUndefined();
    expect(env.translator.translate(env.ctx, 0x20_4008, Access.WRITE)).toMatchObject({ ok: false, stage: 2, kind: 'permission', detail: 'write', purpose: 'output', address: DATA + 0x4008 });
    expect(env.translator.translate(env.ctx, 0x20_4008, Access.READ)).toMatchObject({ ok: true, output: env.guestPa + DATA + 0x4008, permitted: Perm.UR | Perm.PR, pageShift: 12 });
  });
});

describe('NestedTranslator: access-flag write-back through stage 2', () => {
  function setup() {
    const env = nestedEnv({ levels: 3, outputBits: 32, stage: 1, hwAccessFlag: true }, { levels: 2, outputBits: 40, stage: 2 });
    const va = 0x40_5000;
    env.s1.map(va, DATA, KiB4, { read: true, user: true, accessed: false });
    const chain = tableChain(env.s1f, env.guest, env.s1.root, va);
    const leafIpa = entryIpa(env.s1f, chain[2]!, va, 2);
    return { ...env, va, leafIpa, leafTable: chain[2]! };
  }

  it('needs stage-2 write permission on the stage-1 table page; without it a stage-2 fault on the update', () => {
    const env = setup();
    env.remapS2(env.leafTable, env.guestPa + env.leafTable, { read: true });
    const before = read64Big(env.host, env.guestPa + env.leafIpa)!;
    expect(before & 64n).toBe(0n);
    expect(env.translator.translate(env.ctx, env.va, Access.READ)).toEqual({
      ok: false,
      stage: 2,
      kind: 'permission',
      detail: 'write',
      depth: 1,
      level: 3,
      address: env.leafIpa,
      purpose: 's1-table',
      s1Depth: 2,
      s1Level: 3,
      onUpdate: true,
      reads: 3 * 3 + 2, // three stage-1 fetches, then the stage-2 walk for the write
    });
    expect(read64Big(env.host, env.guestPa + env.leafIpa)).toBe(before);
  });

  it('with stage-2 write permission the flag is written, traced as a stage-1 write at its IPA', () => {
    const env = setup();
    env.translator.trace = [];
    const r = env.translator.translate(env.ctx, env.va, Access.READ);
    expect(r).toMatchObject({ ok: true, output: env.guestPa + DATA, reads: 3 * 3 + 2 + 2 });
    const after = read64Big(env.host, env.guestPa + env.leafIpa)!;
    expect(after & 64n).toBe(64n);
    const writes = env.translator.trace.filter((t) => t.write);
    expect(writes).toEqual([{ stage: 1, level: 3, depth: 2, address: env.guestPa + env.leafIpa, ipa: env.leafIpa, value: after, write: true }]);
    // Set now: the next walk has no write-back.
    expect(env.translator.translate(env.ctx, env.va, Access.READ)).toMatchObject({ ok: true, reads: 3 * 3 + 2 });
  });
});

// ---- Degenerate contexts --------------------------------------------------------------------------------------

describe('NestedTranslator: stage-1-only, stage-2-only and bypass', () => {
  it('stage 1 only: tables at physical addresses, no stage-2 reads, ipa = output', () => {
    const host = new SparseMemory().back(0x10_0000, 0x10_0000);
    const format = createToyFormat({ levels: 3, outputBits: 40, stage: 1 });
    const b = new PageTableBuilder(format, host, new PoolAllocator(host, 0x10_0000, 0x10_0000));
    b.map(0x20_0000, 0x80_0000_0000, MiB2, { read: true, exec: true, user: true, global: false, attrIndex: 3 });
    const t = new NestedTranslator(host);
    t.trace = [];
    expect(t.translate({ stage1: { format, root: b.root } }, 0x21_2345, Access.EXEC)).toEqual({
      ok: true,
      output: 0x80_0001_2345,
      ipa: 0x80_0001_2345,
      pageShift: 21,
      permitted: Perm.UR | Perm.UX | Perm.PR | Perm.PX,
      cachePermitted: Perm.UR | Perm.UX | Perm.PR | Perm.PX,
      global: false,
      attrs1: 3,
      attrs2: 0,
      s1Level: 2,
      s2Level: -1,
      reads: 2,
    });
    expect(t.trace.map((e) => [e.stage, e.ipa])).toEqual([
      [1, undefined],
      [1, undefined],
    ]);
    // External abort on a physical table pointer.
    write64Big(host, b.root, toyEntry({ address: 0x7000_0000, table: true }));
    expect(t.translate({ stage1: { format, root: b.root } }, 0x1000, Access.READ)).toMatchObject({
      ok: false,
      stage: 1,
      kind: 'externalAbort',
      fetchAddress: 0x7000_0000,
      address: 0x1000,
    });
  });

  it('stage 2 only: the input is the IPA', () => {
    const env = nestedEnv({ levels: 2, outputBits: 32, stage: 1 }, { levels: 3, outputBits: 40, stage: 2 });
    env.remapS2(DATA, env.guestPa + DATA, { read: true, attrIndex: 1 });
    const r = env.translator.translate({ stage2: env.ctx.stage2 }, DATA + 0x10, Access.READ | Access.PRIV);
    expect(r).toEqual({
      ok: true,
      output: env.guestPa + DATA + 0x10,
      ipa: DATA + 0x10,
      pageShift: 12,
      permitted: Perm.UR | Perm.PR,
      cachePermitted: Perm.UR | Perm.PR,
      global: true,
      attrs1: 0,
      attrs2: 1,
      s1Level: -1,
      s2Level: 3,
      reads: 3,
    });
    expect(env.translator.translate({ stage2: env.ctx.stage2 }, GUEST_SIZE, Access.READ)).toMatchObject({ ok: false, stage: 2, purpose: 'output', kind: 'translation', address: GUEST_SIZE });
    expect(env.translator.translate({ stage2: env.ctx.stage2 }, 2 ** 39, Access.READ)).toMatchObject({ ok: false, stage: 2, kind: 'inputRange', level: -1, reads: 0 });
  });

  it('full bypass: output = input, no reads', () => {
    const t = new NestedTranslator(new SparseMemory());
    t.trace = [];
    expect(t.translate({}, 0x1234_5678_9abc, Access.WRITE | Access.EXEC)).toEqual({
      ok: true,
      output: 0x1234_5678_9abc,
      ipa: 0x1234_5678_9abc,
      pageShift: 12,
      permitted: Perm.ALL,
      cachePermitted: Perm.ALL,
      global: true,
      attrs1: 0,
      attrs2: 0,
      s1Level: -1,
      s2Level: -1,
      reads: 0,
    });
    expect(t.trace).toEqual([]);
  });
});

describe('NestedTranslator: combined permissions and page size', () => {
  it('permissions are the intersection; the page is the smaller of the two leaves', () => {
    const env = nestedEnv({ levels: 3, outputBits: 32, stage: 1 }, { levels: 3, outputBits: 40, stage: 2 }, 0x1000_0000);
    // Stage 2 uses 2 MiB blocks here (aligned guest PA); make one 4 KiB page read-only.
    env.s1.map(0x20_0000, DATA, MiB2, { read: true, write: true, exec: true, user: true });
    env.s1.map(0x40_0000, DATA + MiB2 + 0x5000, KiB4, { read: true, user: true });
    expect(env.s2.lookup(DATA + MiB2)?.shift).toBe(21);
    const both = env.translator.translate(env.ctx, 0x20_1000, Access.READ);
    expect(both).toMatchObject({ ok: true, pageShift: 21, permitted: Perm.ALL, s1Level: 2, s2Level: 2 });
    const s1Small = env.translator.translate(env.ctx, 0x40_0abc, Access.READ);
    expect(s1Small).toMatchObject({ ok: true, output: 0x1000_0000 + DATA + MiB2 + 0x5abc, pageShift: 12, permitted: Perm.UR | Perm.PR, s1Level: 3, s2Level: 2 });
    env.remapS2(DATA + 0x1000, 0x1000_0000 + DATA + 0x1000, { read: true, exec: true });
    const s2Small = env.translator.translate(env.ctx, 0x20_1000, Access.READ);
    expect(s2Small).toMatchObject({ ok: true, pageShift: 12, permitted: Perm.UR | Perm.UX | Perm.PR | Perm.PX, s1Level: 2, s2Level: 3 });
  });
});

describe('NestedTranslator.readThroughStage2 (configuration structures)', () => {
  it('reads a structure at an IPA, traced under its label, after the stage-2 reads', () => {
    const env = nestedEnv({ levels: 2, outputBits: 32, stage: 1 }, { levels: 3, outputBits: 40, stage: 2 });
    const words = Uint32Array.from({ length: 16 }, (_, i) => (0x1111_1111 * (i + 1)) >>> 0);
    expect(writeWords(env.guest, DATA + 0x40, words)).toBe(true);
    env.translator.trace = [];
    const r = env.translator.readThroughStage2(env.ctx.stage2, DATA + 0x40, 16, 'CD');
    expect(r).toEqual(words);
    const trace = env.translator.trace;
    expect(trace.slice(0, 3).map((t) => [t.stage, t.depth, t.purpose])).toEqual([
      [2, 0, 'config'],
      [2, 1, 'config'],
      [2, 2, 'config'],
    ]);
    expect(trace.slice(3)).toEqual(
      Array.from({ length: 8 }, (_, i) => ({
        stage: 0,
        level: 0,
        depth: 0,
        address: env.guestPa + DATA + 0x40 + 8 * i,
        ipa: DATA + 0x40 + 8 * i,
        value: (BigInt(words[2 * i + 1]!) << 32n) | BigInt(words[2 * i]!),
        label: 'CD',
      })),
    );
  });

  it('a stage-2 hole is a stage-2 fault with purpose config at the structure IPA', () => {
    const env = nestedEnv({ levels: 2, outputBits: 32, stage: 1 }, { levels: 3, outputBits: 40, stage: 2 });
    env.remapS2(DATA, undefined);
    expect(env.translator.readThroughStage2(env.ctx.stage2, DATA + 0x80, 16, 'STE')).toEqual({
      ok: false,
      stage: 2,
      kind: 'translation',
      detail: '',
      depth: 2,
      level: 3,
      address: DATA + 0x80,
      purpose: 'config',
      reads: 3,
    });
  });

  it('without stage 2, an unbacked structure is an external abort', () => {
    const host = new SparseMemory().back(0, KiB4);
    const t = new NestedTranslator(host);
    expect(t.readThroughStage2(undefined, 0x40, 4, 'PASID entry')).toEqual(Uint32Array.from([0, 0, 0, 0]));
    expect(t.readThroughStage2(undefined, 0x5000, 4, 'PASID entry')).toMatchObject({
      ok: false,
      stage: 2,
      kind: 'externalAbort',
      level: -1,
      address: 0x5000,
      fetchAddress: 0x5000,
      purpose: 'config',
    });
  });
});

// ---- Property: nested == composition of a stage-1 walk (tables as IPAs) and stage-2 walks -------------------

type Expected = Record<string, unknown>;
type Final = { final: Expected };
type Fetched = { value: bigint } | Final;
type StageOutcome =
  | { ok: true; out: bigint; shift: number; perm: number; global: boolean; depth: number }
  | { ok: false; fault: FaultKind; detail: string; depth: number }
  | Final;

const PRIV = Access.PRIV;

/** Toy semantics restated over bigint (independent of the format object and the walker). */
function refStage(
  o: ToyFormatOptions,
  root: bigint,
  input: bigint,
  access: number,
  fetch: (address: bigint, depth: number) => Fetched,
  update: (address: bigint, depth: number) => Final | undefined,
): StageOutcome {
  const shift = (d: number) => 12 + 9 * (o.levels - 1 - d);
  const idxBits = (d: number) => (d === 0 ? (o.rootIndexBits ?? 9) : 9);
  if (input < 0n || input >= 1n << BigInt(shift(0) + idxBits(0))) return { ok: false, fault: 'inputRange', detail: '', depth: 0 };
  let table = root;
  let denied = 0n;
  for (let d = 0; d < o.levels; d++) {
    const at = table + ((input >> BigInt(shift(d))) & ((1n << BigInt(idxBits(d))) - 1n)) * 8n;
    const got = fetch(at, d);
    if ('final' in got) return got;
    const v = got.value;
    const bit = (n: number) => ((v >> BigInt(n)) & 1n) === 1n;
    const fault = (f: FaultKind, detail = '') => ({ ok: false as const, fault: f, detail, depth: d });
    if (!bit(0)) return fault('translation');
    const isTable = bit(1);
    if (isTable ? d === o.levels - 1 : (o.noLeafDepths ?? []).includes(d)) return fault('translation');
    if (((v >> 52n) & 0x7ffn) !== 0n) return fault('reserved');
    let address = v & 0x000f_ffff_ffff_f000n;
    if (!isTable) address -= address % (1n << BigInt(shift(d)));
    if (address >= 1n << BigInt(o.outputBits)) return fault('addressSize');
    if (isTable) {
      denied |= ~v & (o.stage === 1 ? 0x3cn : 0x1cn);
      table = address;
      continue;
    }
    const has = (n: number) => bit(n) && ((denied >> BigInt(n)) & 1n) === 0n;
    const [r, w, x] = [has(2), has(3), has(4)];
    const user = o.stage === 2 || has(5);
    const priv = (access & PRIV) !== 0;
    if (!bit(6) && !o.hwAccessFlag) return fault('access');
    const allowed = (need: number, right: boolean) => !(access & need) || (right && (priv || user));
    if (!allowed(Access.READ, r) || !allowed(Access.WRITE, w) || !allowed(Access.EXEC, x)) {
      const detail = !priv && !user ? 'user' : access & Access.READ && !r ? 'read' : access & Access.WRITE && !w ? 'write' : 'exec';
      return fault('permission', detail);
    }
    if (!bit(6)) {
      const u = update(at, d);
      if (u) return u;
    }
    const rights = (r ? 1 : 0) | (w ? 2 : 0) | (x ? 4 : 0);
    return {
      ok: true,
      out: address + (input % (1n << BigInt(shift(d)))),
      shift: shift(d),
      perm: (rights << 3) | (user ? rights : 0),
      global: o.stage === 2 || !bit(9),
      depth: d,
    };
  }
  return { ok: false, fault: 'translation', detail: '', depth: o.levels - 1 };
}

/** The reference nested translation: stage 1 with every table fetch (and A write-back) translated by stage 2. */
function refNested(
  host: PhysicalMemory,
  s1: { o: ToyFormatOptions; root: number } | undefined,
  s2: { o: ToyFormatOptions; root: number } | undefined,
  va: number,
  access: number,
): Expected {
  let reads = 0;
  const arch = (o: ToyFormatOptions, d: number) => 4 - o.levels + d;
  type Leaf2 = { pa: bigint; perm: number; shift: number; depth: number };
  const s2x = (ipa: bigint, acc: number, purpose: string, s1Depth: number, onUpdate: boolean): Leaf2 | Final => {
    if (!s2) return { pa: ipa, perm: 63, shift: 64, depth: -1 };
    const s1Info = purpose === 's1-table' ? { s1Depth, s1Level: arch(s1!.o, s1Depth) } : {};
    const r = refStage(
      s2.o,
      BigInt(s2.root),
      ipa,
      acc,
      (address, d) => {
        reads++;
        const value = read64Big(host, Number(address));
        if (value !== undefined) return { value };
        return { final: { stage: 2, kind: 'externalAbort', detail: '', depth: d, level: arch(s2.o, d), address: Number(ipa), fetchAddress: Number(address), purpose, ...s1Info } };
      },
      () => undefined,
    );
    if ('final' in r) return r;
    if (!r.ok) {
      return {
        final: {
          stage: 2,
          kind: r.fault,
          detail: r.detail,
          depth: r.depth,
          level: r.fault === 'inputRange' ? -1 : arch(s2.o, r.depth),
          address: Number(ipa),
          purpose,
          ...(onUpdate ? { onUpdate } : {}),
          ...s1Info,
        },
      };
    }
    return { pa: r.out, perm: r.perm, shift: r.shift, depth: r.depth };
  };
  const finish = (e: Expected) => ({ ...e, reads });
  let ipa = BigInt(va);
  let perm = 63;
  let shift = 64;
  let global = true;
  let s1Level = -1;
  if (s1) {
    const r1 = refStage(
      s1.o,
      BigInt(s1.root),
      BigInt(va),
      access,
      (address, d) => {
        const t = s2x(address, Access.READ, 's1-table', d, false);
        if ('final' in t) return t;
        reads++;
        const value = read64Big(host, Number(t.pa));
        if (value !== undefined) return { value };
        return { final: { stage: 1, kind: 'externalAbort', detail: '', depth: d, level: arch(s1.o, d), address: va, fetchAddress: Number(t.pa) } };
      },
      (address, d) => {
        const t = s2x(address, Access.READ | Access.WRITE, 's1-table', d, true);
        if ('final' in t) return t;
        if (!host.isBacked(Number(t.pa), 8)) return { final: { stage: 1, kind: 'externalAbort', detail: '', depth: d, level: arch(s1.o, d), address: va, fetchAddress: Number(t.pa), onUpdate: true } };
        return undefined;
      },
    );
    if ('final' in r1) return finish({ ok: false, ...r1.final });
    if (!r1.ok) {
      return finish({ ok: false, stage: 1, kind: r1.fault, detail: r1.detail, depth: r1.depth, level: r1.fault === 'inputRange' ? -1 : arch(s1.o, r1.depth), address: va });
    }
    ipa = r1.out;
    perm = r1.perm;
    shift = r1.shift;
    global = r1.global;
    s1Level = arch(s1.o, r1.depth);
  }
  let output = ipa;
  let s2Level = -1;
  if (s2) {
    const t = s2x(ipa, access, 'output', -1, false);
    if ('final' in t) return finish({ ok: false, ...t.final });
    output = t.pa;
    perm &= t.perm;
    shift = Math.min(shift, t.shift);
    s2Level = arch(s2.o, t.depth);
  }
  return finish({ ok: true, output: Number(output), ipa: Number(ipa), pageShift: shift === 64 ? 12 : shift, permitted: perm, global, s1Level, s2Level });
}

describe('property: nested translation is the composition of the two stages', () => {
  const GUEST_PA = 0x1000_0000;
  const UNBACKED_PA = 0x7000_0000;
  const mostly = (p: number) => fc.integer({ min: 1, max: 100 }).map((n) => n <= p);
  const protArb = fc.record({ read: mostly(85), write: mostly(60), exec: mostly(50), user: mostly(70), global: fc.boolean(), accessed: mostly(80) });
  const s2ProtArb = fc.oneof(
    { arbitrary: fc.constant<MapProt | null>(RWX), weight: 5 },
    { arbitrary: protArb.map((p): MapProt | null => p), weight: 2 },
    { arbitrary: fc.constant(null), weight: 1 },
  );
  const envArb = fc.record({
    l1: fc.integer({ min: 2, max: 4 }),
    l2: fc.integer({ min: 2, max: 4 }),
    s1Hw: fc.boolean(),
    s2Hw: fc.boolean(),
    s1NoLeaf: fc.subarray([0, 1]),
    mode: fc.constantFrom('nested', 'nested', 'nested', 's1', 's2', 'none'),
    maps: fc.uniqueArray(
      fc.record({
        slot: fc.nat({ max: 127 }),
        dataPage: fc.oneof(fc.nat({ max: 2047 }), fc.nat({ max: 3 }).map((n) => n * 512)),
        pages: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constant(512)),
        prot: protArb,
      }),
      { minLength: 1, maxLength: 5, selector: (m) => m.slot },
    ),
    // Stage-2 protection per 2 MiB chunk of IPA (chunk 0 holds the stage-1 tables), then per-page edits.
    chunkProt: fc.array(s2ProtArb, { minLength: 8, maxLength: 8 }),
    edits: fc.array(
      fc.record({ table: fc.boolean(), which: fc.nat(), how: fc.constantFrom('hole', 'unbacked', 'readonly', 'noaccess') }),
      { maxLength: 4 },
    ),
    queries: fc.array(
      fc.record({
        which: fc.nat(),
        offset: fc.nat({ max: 2 * MiB2 }),
        random: mostly(15),
        access: fc.constantFrom(Access.READ, Access.WRITE, Access.EXEC, Access.READ | Access.WRITE, Access.READ | PRIV, Access.WRITE | PRIV, Access.EXEC | PRIV),
      }),
      { minLength: 1, maxLength: 16 },
    ),
  });

  it('agrees with the bigint reference on result, fault, stage, purpose, levels and read count', () => {
    fc.assert(
      fc.property(envArb, (e) => {
        const noLeafDepths = e.s1NoLeaf.filter((d) => d < e.l1 - 1);
        const s1o: ToyFormatOptions = { levels: e.l1, outputBits: 32, stage: 1, hwAccessFlag: e.s1Hw, noLeafDepths };
        const s2o: ToyFormatOptions = { levels: e.l2, outputBits: 40, stage: 2, hwAccessFlag: e.s2Hw };
        const host = new SparseMemory().back(S2_POOL, S2_POOL_SIZE).back(GUEST_PA, GUEST_SIZE);
        const s1f = createToyFormat(s1o);
        const s2f = createToyFormat(s2o);
        // Stage 1: tables at IPAs (written through a linear guest view), data in IPA [4 MiB, 12 MiB).
        const guest = new TranslatedMemory(host, (ipa) => (ipa < GUEST_SIZE ? GUEST_PA + ipa : undefined));
        const s1Pool = new PoolAllocator(guest, S1_POOL, S1_POOL_SIZE);
        const s1 = new PageTableBuilder(s1f, guest, s1Pool);
        const vaSlot = 2 ** (s1f.inputBits - 7); // at least 8 MiB
        const vaOf = (m: (typeof e.maps)[number]) => m.slot * vaSlot + (m.pages === 512 ? 0 : (m.dataPage % 1024) * KiB4);
        for (const m of e.maps) s1.map(vaOf(m), DATA + m.dataPage * KiB4, m.pages * KiB4, m.prot);
        // Stage 2: chunked protections, then page edits on table or data pages.
        const s2 = new PageTableBuilder(s2f, host, new PoolAllocator(host, S2_POOL, S2_POOL_SIZE));
        e.chunkProt.forEach((p, i) => {
          if (p) s2.map(i * MiB2, GUEST_PA + i * MiB2, MiB2, p);
        });
        const tablePages = s1Pool.used / KiB4;
        for (const edit of e.edits) {
          const ipa = edit.table ? S1_POOL + (edit.which % tablePages) * KiB4 : DATA + (edit.which % 4096) * KiB4;
          s2.unmap(ipa, KiB4);
          if (edit.how === 'unbacked') s2.map(ipa, UNBACKED_PA + ipa, KiB4, RWX);
          if (edit.how === 'readonly') s2.map(ipa, GUEST_PA + ipa, KiB4, { read: true, exec: true });
          if (edit.how === 'noaccess') s2.map(ipa, GUEST_PA + ipa, KiB4, { ...RWX, accessed: false });
        }
        const stage1 = e.mode === 'nested' || e.mode === 's1' ? { format: s1f, root: s1.root } : undefined;
        const stage2 = e.mode === 'nested' || e.mode === 's2' ? { format: s2f, root: s2.root } : undefined;
        // Stage 1 alone reads its tables at IPA = PA: give it the guest's tables by mapping the view 1:1.
        const memory = e.mode === 's1' ? guest : host;
        const translator = new NestedTranslator(memory);
        for (const q of e.queries) {
          const m = e.maps[q.which % e.maps.length]!;
          const base = vaOf(m);
          const va = e.mode === 's2' || e.mode === 'none' ? DATA + (q.offset % (8 * MiB2)) : q.random ? (q.offset * 4099) % 2 ** s1f.inputBits : base + (q.offset % (m.pages * KiB4 + KiB4));
          const expected = refNested(memory, stage1 && { o: s1o, root: s1.root }, stage2 && { o: s2o, root: s2.root }, va, q.access);
          translator.trace = [];
          const actual = translator.translate({ stage1, stage2 }, va, q.access);
          const projected = actual.ok
            ? { ok: true, output: actual.output, ipa: actual.ipa, pageShift: actual.pageShift, permitted: actual.permitted, global: actual.global, s1Level: actual.s1Level, s2Level: actual.s2Level, reads: actual.reads }
            : actual;
          expect(projected).toEqual(expected);
          if (actual.ok) {
            expect(actual.cachePermitted).toBe(actual.permitted);
            expect(translator.trace.filter((t) => !t.write).length).toBe(actual.reads);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
