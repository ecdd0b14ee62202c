import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  MemoryFetcher,
  NestedTranslator,
  PageTableBuilder,
  Perm,
  PoolAllocator,
  SparseMemory,
  TranslatedMemory,
  WalkState,
  WalkStop,
  read64Big,
  walkStage,
  write64Big,
  type MapProt,
  type PageTableFormat,
  type PhysicalMemory,
} from '@viommu/core';
import { createStage1Format, createStage2Format, stage2GeometryValid, type VmsaGranuleBits } from '../src/vmsa/index';

const R = Access.READ;
const W = Access.WRITE;
const X = Access.EXEC;
const P = Access.PRIV;

// ---------------------------------------------------------------------------------------------------------
// An independent, slow reference walker on bigints, written from reference §4 / the ARM ARM descriptor
// formats: it shares no code with src/vmsa.
// ---------------------------------------------------------------------------------------------------------

interface RefConfig {
  stage: 1 | 2;
  g: number; // log2 granule
  tsz: number; // stage-1 TxSZ or stage-2 T0SZ
  sl0: number; // stage 2 only
  outputBits: number; // as given (the reference clamps to 48 for 4K/16K itself)
  oasBits: number;
  had: boolean;
  wxn: boolean;
  pan: boolean;
  affd: boolean;
  ha: boolean;
  hd: boolean; // stage 2 only
  xnx: boolean; // stage 2 only
}

type RefResult =
  | { ok: true; output: bigint; shift: number; perm: number; cachePerm: number; attrs: number; global: boolean; level: number; leafAddress: bigint; newDesc: bigint }
  | { ok: false; fault: string; detail: string; level: number };

const MASK48 = (1n << 48n) - 1n;

function refStartLevel(c: RefConfig): number {
  const stride = c.g - 3;
  const ia = 64 - c.tsz;
  if (c.stage === 2) {
    const table: Record<number, number[]> = { 12: [2, 1, 0], 14: [3, 2, 1], 16: [3, 2, 1] };
    return table[c.g]![c.sl0]!;
  }
  // Fewest levels whose combined span covers the input.
  let level = 3;
  while (c.g + (4 - level) * stride < ia) level--;
  return level;
}

function refShift(c: RefConfig, level: number): number {
  return c.g + (3 - level) * (c.g - 3);
}

function refIndex(c: RefConfig, input: bigint, level: number, start: number): bigint {
  const shift = refShift(c, level);
  const top = level === start ? 64 - c.tsz : shift + c.g - 3;
  return (input >> BigInt(shift)) & ((1n << BigInt(top - shift)) - 1n);
}

function refOutputBits(c: RefConfig): number {
  return c.g === 16 ? c.outputBits : Math.min(c.outputBits, 48);
}

function refLpa(c: RefConfig): boolean {
  return c.g === 16 && c.oasBits === 52;
}

function refBlockOk(c: RefConfig, level: number): boolean {
  if (c.g === 12) return level === 1 || level === 2;
  if (c.g === 14) return level === 2;
  return level === 2 || (level === 1 && refLpa(c));
}

function refAddress(c: RefConfig, desc: bigint, shift: number): bigint {
  let a = desc & MASK48 & ~((1n << BigInt(shift)) - 1n);
  if (refLpa(c)) a |= ((desc >> 12n) & 0xfn) << 48n;
  return a;
}

type Access4 = { r: boolean; w: boolean; x: boolean; priv: boolean };

function refS1Allowed(c: RefConfig, ap: number, pxn: boolean, uxn: boolean, tattr: bigint, a: Access4): boolean {
  const apTable = c.had ? 0n : (tattr >> 2n) & 3n;
  const pxnT = !c.had && (tattr & 1n) !== 0n;
  const uxnT = !c.had && (tattr & 2n) !== 0n;
  let privR = true;
  let privW = (ap & 2) === 0;
  let userR = (ap & 1) === 1;
  let userW = ap === 1;
  if (apTable & 1n) userR = userW = false;
  if (apTable & 2n) privW = userW = false;
  const userX = !uxn && !uxnT;
  const privX = !pxn && !pxnT && !userW;
  if (c.pan && userR) privR = privW = false;
  const [r, w, x] = a.priv ? [privR, privW, privX] : [userR, userW, userX];
  const xw = x && !(c.wxn && w);
  return !((a.r && !r) || (a.w && !w) || (a.x && !xw));
}

function refS2Allowed(c: RefConfig, desc: bigint, a: Access4): boolean {
  const r = ((desc >> 6n) & 1n) === 1n;
  const w = ((desc >> 7n) & 1n) === 1n || (c.ha && c.hd && ((desc >> 51n) & 1n) === 1n);
  const xn = Number((desc >> 53n) & 3n);
  const x = c.xnx ? [true, !a.priv, false, a.priv][xn]! : (xn & 2) === 0;
  return !((a.r && !r) || (a.w && !w) || (a.x && !x));
}

function toAccess4(access: number): Access4 {
  return { r: (access & R) !== 0, w: (access & W) !== 0, x: (access & X) !== 0, priv: (access & P) !== 0 };
}

function refWalk(c: RefConfig, mem: PhysicalMemory, root: number, input: bigint, access: number): RefResult | { ok: false; fault: 'externalAbort'; detail: ''; level: number } {
  const start = refStartLevel(c);
  if (input >= 1n << BigInt(64 - c.tsz)) return { ok: false, fault: 'inputRange', detail: '', level: -1 };
  const limit = 1n << BigInt(refOutputBits(c));
  let table = BigInt(root);
  let tattr = 0n;
  for (let level = start; ; level++) {
    const address = table + refIndex(c, input, level, start) * 8n;
    const desc = read64Big(mem, Number(address));
    if (desc === undefined) return { ok: false, fault: 'externalAbort', detail: '', level };
    const fault = (fault: string, detail = '') => ({ ok: false as const, fault, detail, level });
    if ((desc & 1n) === 0n) return fault('translation');
    if ((desc & 2n) !== 0n && level < 3) {
      const next = refAddress(c, desc, c.g);
      if (next >= limit) return fault('addressSize');
      if (c.stage === 1) tattr |= (desc >> 59n) & 0xfn;
      table = next;
      continue;
    }
    if ((desc & 2n) === 0n && !refBlockOk(c, level)) return fault('translation');
    const shift = refShift(c, level);
    const output = refAddress(c, desc, shift);
    if (output >= limit) return fault('addressSize');
    const af = (desc >> 10n) & 1n;
    if (af === 0n && !c.ha && !c.affd) return fault('access');
    const allowed = (acc: number) =>
      c.stage === 1
        ? refS1Allowed(c, Number((desc >> 6n) & 3n), ((desc >> 53n) & 1n) === 1n, ((desc >> 54n) & 1n) === 1n, tattr, toAccess4(acc))
        : refS2Allowed(c, desc, toAccess4(acc));
    const bits: [number, number][] = [
      [R, Perm.UR],
      [W, Perm.UW],
      [X, Perm.UX],
      [R | P, Perm.PR],
      [W | P, Perm.PW],
      [X | P, Perm.PX],
    ];
    const perm = bits.reduce((m, [acc, bit]) => (allowed(acc) ? m | bit : m), 0);
    if (!allowed(access)) {
      const p = access & P;
      const detail = access & X && !allowed(X | p) ? 'exec' : access & W && !allowed(W | p) ? 'write' : 'read';
      return fault('permission', detail);
    }
    let newDesc = desc;
    if (af === 0n && c.ha) newDesc |= 1n << 10n;
    let cachePerm = perm;
    const cleanDbm = c.stage === 2 && c.ha && c.hd && ((desc >> 51n) & 1n) === 1n && ((desc >> 7n) & 1n) === 0n;
    if (cleanDbm) {
      if (access & W) newDesc |= 1n << 7n;
      else cachePerm &= ~(Perm.UW | Perm.PW);
    }
    const sh = Number((desc >> 8n) & 3n);
    const contiguous = ((desc >> 52n) & 1n) === 1n;
    const attrs =
      c.stage === 1
        ? Number((desc >> 2n) & 7n) | (Number((desc >> 5n) & 1n) << 3) | (sh << 4) | (contiguous ? 0x40 : 0)
        : Number((desc >> 2n) & 0xfn) | (sh << 4) | (contiguous ? 0x40 : 0) | (((desc >> 4n) & 3n) === 0n ? 0x80 : 0);
    return {
      ok: true,
      output: output + (input & ((1n << BigInt(shift)) - 1n)),
      shift,
      perm,
      cachePerm,
      attrs,
      global: c.stage === 2 || ((desc >> 11n) & 1n) === 0n,
      level,
      leafAddress: address,
      newDesc,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------------------------------------

function makeFormat(c: RefConfig): PageTableFormat {
  const granuleBits = c.g as VmsaGranuleBits;
  if (c.stage === 1) {
    return createStage1Format({ granuleBits, tsz: c.tsz, outputBits: c.outputBits, oasBits: c.oasBits, had: c.had, wxn: c.wxn, pan: c.pan, affd: c.affd, ha: c.ha });
  }
  return createStage2Format({ granuleBits, t0sz: c.tsz, sl0: c.sl0, outputBits: c.outputBits, oasBits: c.oasBits, affd: c.affd, ha: c.ha, hd: c.hd, xnx: c.xnx });
}

const STAGE2_COMBOS: Record<number, [number, number][]> = {};
for (const g of [12, 14, 16] as VmsaGranuleBits[]) {
  STAGE2_COMBOS[g] = [];
  for (let t0sz = 12; t0sz <= 39; t0sz++) for (let sl0 = 0; sl0 < 3; sl0++) if (stage2GeometryValid(g, t0sz, sl0, 52)) STAGE2_COMBOS[g]!.push([t0sz, sl0]);
}

const configArb: fc.Arbitrary<RefConfig> = fc
  .record({
    stage: fc.constantFrom(1 as const, 2 as const),
    g: fc.constantFrom(12, 14, 16),
    pick: fc.nat(),
    outputBits: fc.constantFrom(40, 44, 48, 52),
    lpa: fc.boolean(),
    had: fc.boolean(),
    wxn: fc.boolean(),
    pan: fc.boolean(),
    affd: fc.boolean(),
    ha: fc.boolean(),
    hd: fc.boolean(),
    xnx: fc.boolean(),
  })
  .map((r) => {
    let tsz: number;
    let sl0 = 0;
    if (r.stage === 1) {
      const min = r.g === 16 ? 12 : 16;
      tsz = min + (r.pick % (40 - min));
    } else {
      const combos = STAGE2_COMBOS[r.g]!;
      [tsz, sl0] = combos[r.pick % combos.length]!;
    }
    const oasBits = r.outputBits === 52 || r.lpa ? 52 : 48;
    return { stage: r.stage, g: r.g, tsz, sl0, outputBits: r.outputBits, oasBits, had: r.had, wxn: r.wxn, pan: r.pan, affd: r.affd, ha: r.ha, hd: r.stage === 2 && r.hd, xnx: r.stage === 2 && r.xnx };
  });

function compare(f: PageTableFormat, c: RefConfig, mem: PhysicalMemory, root: number, input: number, access: number, label: string): void {
  const ref = refWalk(c, mem, root, BigInt(input), access);
  const before = ref.ok ? read64Big(mem, Number(ref.leafAddress)) : undefined;
  const fetcher = new MemoryFetcher(mem);
  const st = new WalkState();
  const stop = walkStage(f, root, input, access, fetcher, st);
  if (ref.ok) {
    expect(stop, label).toBe(WalkStop.OK);
    expect(
      { output: st.output, shift: st.leafShift, perm: st.permitted, cachePerm: st.cachePermitted, attrs: st.attrs, global: st.global, level: f.archLevels[st.depth] },
      label,
    ).toEqual({ output: Number(ref.output), shift: ref.shift, perm: ref.perm, cachePerm: ref.cachePerm, attrs: ref.attrs, global: ref.global, level: ref.level });
    expect(read64Big(mem, Number(ref.leafAddress)), label).toBe(ref.newDesc);
    if (ref.newDesc !== before) write64Big(mem, Number(ref.leafAddress), before!); // keep memory as generated
  } else if (ref.fault === 'externalAbort') {
    expect(stop, label).toBe(WalkStop.FETCH);
    expect(fetcher.aborted, label).toBe(true);
  } else {
    expect(stop, label).toBe(WalkStop.FAULT);
    const level = st.fault === 'inputRange' ? -1 : f.archLevels[st.depth];
    expect({ fault: st.fault, detail: st.faultDetail, level }, label).toEqual({ fault: ref.fault, detail: ref.detail, level: ref.level });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Property 1: builder map → walk agreement
// ---------------------------------------------------------------------------------------------------------

const POOL_BASE = 0x4000_0000;
const POOL_SIZE = 0x1000_0000;

interface MapRequest {
  depthPick: number;
  pages: number;
  iovaFrac: number;
  paFrac: number;
  write: boolean;
  exec: boolean;
  user: boolean;
  pxn: boolean;
  global: boolean;
  read: boolean;
  attr: number;
}

const mapArb: fc.Arbitrary<MapRequest> = fc.record({
  depthPick: fc.nat(),
  pages: fc.integer({ min: 1, max: 3 }),
  iovaFrac: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  paFrac: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  write: fc.boolean(),
  exec: fc.boolean(),
  user: fc.boolean(),
  pxn: fc.boolean(),
  global: fc.boolean(),
  read: fc.boolean(),
  attr: fc.nat({ max: 15 }),
});

const ACCESS_ARB = fc.integer({ min: 0, max: 15 });

describe('map → walk agreement (PageTableBuilder + walkStage vs the bigint reference)', () => {
  it('random mappings in every granule, start level and stage', () => {
    fc.assert(
      fc.property(configArb, fc.array(mapArb, { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), ACCESS_ARB), { maxLength: 8 }), (c, maps, probes) => {
        const f = makeFormat(c);
        const mem = new SparseMemory().back(POOL_BASE, POOL_SIZE);
        const builder = new PageTableBuilder(f, mem, new PoolAllocator(mem, POOL_BASE, POOL_SIZE));
        const leafDepths = f.leafDepths.flatMap((ok, d) => (ok ? [d] : []));
        const mapped: { iova: number; pa: number; size: number; prot: MapProt }[] = [];
        for (const m of maps) {
          const depth = leafDepths[m.depthPick % leafDepths.length]!;
          const unit = 2 ** f.shifts[depth]!;
          const size = depth === f.levels - 1 ? unit * m.pages : unit;
          const iova = Math.floor((m.iovaFrac * 2 ** f.inputBits) / unit) * unit;
          const pa = Math.floor((m.paFrac * 2 ** f.outputBits) / unit) * unit;
          if (iova + size > 2 ** f.inputBits || pa + size > 2 ** f.outputBits) continue;
          if (builder.firstMapped(iova, iova + size) !== undefined) continue;
          const prot: MapProt =
            c.stage === 1
              ? { read: true, write: m.write, exec: m.exec, user: m.user, privExecNever: m.pxn, global: m.global, attrIndex: m.attr & 7 }
              : { read: m.read, write: m.write, exec: m.exec, attrIndex: m.attr };
          builder.map(iova, pa, size, prot);
          mapped.push({ iova, pa, size, prot });
        }
        const st = new WalkState();
        const fetcher = new MemoryFetcher(mem);
        for (const m of mapped) {
          for (const offset of [0, m.size - 1, Math.floor(m.size / 2)]) {
            // Access 0 needs no permission: the walk must reach the mapped output.
            expect(walkStage(f, builder.root, m.iova + offset, 0, fetcher, st)).toBe(WalkStop.OK);
            expect(st.output).toBe(m.pa + offset);
            expect(builder.iovaToPhys(m.iova + offset)).toBe(m.pa + offset);
            for (const access of [R, W, X, R | P, W | P, X | P]) compare(f, c, mem, builder.root, m.iova + offset, access, `mapped ${JSON.stringify(m)}`);
          }
        }
        for (const [frac, access] of probes) compare(f, c, mem, builder.root, Math.floor(frac * 2 ** f.inputBits), access, 'probe');
        // Unmap one granule from the middle of the first mapping larger than a granule: the block splits.
        const big = mapped.find((m) => m.size > 2 ** f.granuleShift);
        if (big) {
          const g = 2 ** f.granuleShift;
          const hole = big.iova + Math.floor(big.size / g / 2) * g;
          expect(walkStage(f, builder.root, big.iova, 0, fetcher, st)).toBe(WalkStop.OK);
          const permittedBefore = st.permitted;
          const attrsBefore = st.attrs;
          expect(builder.unmap(hole, g)).toBe(g);
          expect(walkStage(f, builder.root, hole, 0, fetcher, st)).toBe(WalkStop.FAULT);
          expect(st.fault).toBe('translation');
          const around = [big.iova, big.iova + big.size - 1, hole - 1, hole + g].filter((a) => a >= big.iova && a < big.iova + big.size && (a < hole || a >= hole + g));
          for (const probe of around) {
            expect(walkStage(f, builder.root, probe, 0, fetcher, st)).toBe(WalkStop.OK);
            expect(st.output).toBe(big.pa + (probe - big.iova));
            expect(st.permitted).toBe(permittedBefore);
            expect(st.attrs & ~0x40).toBe(attrsBefore & ~0x40);
            compare(f, c, mem, builder.root, probe, R | P, 'after split');
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property 2: arbitrary descriptor contents (what a guest may write) decode like the reference
// ---------------------------------------------------------------------------------------------------------

const TABLE_BASE = 0x10_0000;
const TABLE_SPACING = 0x20_0000;

describe('random descriptors vs the bigint reference', () => {
  it('agrees on every fault kind, level, output, permissions, attributes and A/D updates', () => {
    const kinds: Record<string, number> = {};
    fc.assert(
      fc.property(
        configArb,
        fc.double({ min: 0, max: 1.02, noNaN: true }),
        ACCESS_ARB,
        fc.array(fc.record({ raw: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), type: fc.nat({ max: 19 }), link: fc.nat({ max: 9 }) }), { minLength: 4, maxLength: 4 }),
        (c, frac, access, descs) => {
          const f = makeFormat(c);
          const mem = new SparseMemory().back(0, TABLE_BASE + 5 * TABLE_SPACING);
          const root = TABLE_BASE;
          const input = Math.floor(frac * 2 ** f.inputBits);
          const start = refStartLevel(c);
          for (let level = start; level <= 3; level++) {
            const d = descs[level - start]!;
            // Mostly valid shapes: 15% invalid, 25% block-type (01), 60% table/page (11).
            const type = d.type < 3 ? 0n : d.type < 8 ? 1n : 3n;
            let desc = (d.raw & ~3n) | type;
            // Sparse attribute noise: clear most high bits so AF, AP and the like vary but are not all set.
            if (d.link < 5) desc &= ~(0xfffn << 52n) | (d.raw & (0x3n << 53n));
            if (type === 3n && level < 3 && d.link < 8) {
              // Link to the next table, keeping other bits random (attributes, RES0, upper OA bits).
              const next = BigInt(TABLE_BASE + (level - start + 1) * TABLE_SPACING);
              desc = (desc & ~(MASK48 & ~0xfffn)) | next;
              if (d.link < 6) desc &= ~(0xfn << 12n) & ~(0xfn << 48n);
            } else if (d.link < 7) {
              // A plausible output address below 2^40.
              desc &= ~((MASK48 >> 40n) << 40n);
            }
            if (d.link < 3) desc |= 1n << 10n; // AF often set
            const table = BigInt(TABLE_BASE + (level - start) * TABLE_SPACING);
            write64Big(mem, Number(table + refIndex(c, BigInt(input), level, start) * 8n), desc);
          }
          const ref = refWalk(c, mem, root, BigInt(input), access);
          const key = ref.ok ? 'ok' : ref.fault;
          kinds[key] = (kinds[key] ?? 0) + 1;
          compare(f, c, mem, root, input, access, `${JSON.stringify(c)} input 0x${input.toString(16)} access ${access}`);
        },
      ),
      { numRuns: 3000 },
    );
    // The generator reached every outcome.
    for (const k of ['ok', 'translation', 'addressSize', 'access', 'permission', 'inputRange']) expect(kinds[k] ?? 0, k).toBeGreaterThan(0);
  });

  it('an unbacked next-level table is an external abort (the fetcher reports it)', () => {
    const c: RefConfig = { stage: 1, g: 12, tsz: 25, sl0: 0, outputBits: 48, oasBits: 48, had: false, wxn: false, pan: false, affd: false, ha: false, hd: false, xnx: false };
    const f = makeFormat(c);
    const mem = new SparseMemory().back(0, 0x1000);
    write64Big(mem, 0, 0x0000_0000_0020_0003n); // level-1 table at 2 MB: not backed
    compare(f, c, mem, 0, 0x1234, R, 'abort');
    const fetcher = new MemoryFetcher(mem);
    expect(walkStage(f, 0, 0x1234, R, fetcher, new WalkState())).toBe(WalkStop.FETCH);
    expect(fetcher.abortAddress).toBe(0x20_0000);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The formats in core's nested pipeline
// ---------------------------------------------------------------------------------------------------------

describe('nested translation (stage 1 over stage 2)', () => {
  it('walks guest tables through stage 2 and combines permissions; a missing stage-2 mapping of a table is a stage-2 fault', () => {
    const host = new SparseMemory().back(0x1000_0000, 0x100_0000).back(0x2000_0000, 0x100_0000);
    const s2f = createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 1, outputBits: 40 });
    const s2 = new PageTableBuilder(s2f, host, new PoolAllocator(host, 0x2000_0000, 0x100_0000));
    // Guest RAM: GPA [0, 16 MB) → HPA [0x1000_0000, +16 MB), read/write, not executable.
    s2.map(0, 0x1000_0000, 0x100_0000, { read: true, write: true });
    const guest = new TranslatedMemory(host, (gpa) => s2.iovaToPhys(gpa));
    const s1f = createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 40 });
    const s1 = new PageTableBuilder(s1f, guest, new PoolAllocator(guest, 0x80_0000, 0x40_0000));
    s1.map(0x7f_4000_0000, 0x20_0000, 0x20_0000, { read: true, write: true, exec: true, user: true }); // 2 MB block
    s1.map(0x7f_4020_0000, 0x200_0000, 0x1000, { read: true, user: true }); // page outside guest RAM
    const nested = new NestedTranslator(host);
    const ctx = { stage1: { format: s1f, root: s1.root }, stage2: { format: s2f, root: s2.root } };
    const ok = nested.translate(ctx, 0x7f_4001_2345, R | W);
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    expect([ok.ipa, ok.output, ok.s1Level, ok.pageShift]).toEqual([0x21_2345, 0x1021_2345, 2, 21]);
    // Stage 1 grants RWX at EL0; stage 2 removes execution.
    expect(ok.permitted).toBe(Perm.UR | Perm.UW | Perm.PR | Perm.PW);
    const x = nested.translate(ctx, 0x7f_4001_2345, X);
    expect(x.ok ? 'ok' : [x.stage, x.kind, x.detail, x.purpose]).toEqual([2, 'permission', 'exec', 'output']);
    const outside = nested.translate(ctx, 0x7f_4020_0010, R);
    expect(outside.ok ? 'ok' : [outside.stage, outside.kind, outside.purpose, outside.address]).toEqual([2, 'translation', 'output', 0x200_0010]);
    // Point the stage-1 root's entry at a GPA stage 2 does not map: the table fetch faults at stage 2.
    const rootEntry = s1.root + ((0x7f_4000_0000 / 2 ** 39) | 0) * 8;
    write64Big(guest, rootEntry, 0x0000_0000_0300_0003n);
    const walk = nested.translate(ctx, 0x7f_4001_2345, R);
    expect(walk.ok ? 'ok' : [walk.stage, walk.kind, walk.purpose, walk.s1Level, walk.address]).toEqual([2, 'translation', 's1-table', 1, 0x300_0000 + 0x1fd * 8]);
  });
});
