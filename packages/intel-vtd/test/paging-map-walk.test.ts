import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  MemoryFetcher,
  PageTableBuilder,
  Perm,
  PoolAllocator,
  SparseMemory,
  WalkState,
  WalkStop,
  read64Big,
  walkStage,
  type MapProt,
  type PageTableFormat,
  type PhysicalMemory,
} from '@viommu/core';
import { createFirstLevelFormat, createSecondLevelFormat, SLLPS_1G, SLLPS_2M } from '../src/paging/index';

/*
 * Property: whatever the builder maps, the walker finds, and an independent slow `bigint` walker written
 * from the VT-d §3.6/§3.7 entry layouts agrees on the output address, the page size and the rights.
 */

const POOL = 0x10_0000;
const POOL_SIZE = 0x400_0000;
const mask = (hi: number, lo: number) => ((1n << BigInt(hi + 1)) - 1n) ^ ((1n << BigInt(lo)) - 1n);
const ADDR = mask(51, 12);

type RefResult = { pa: bigint; shift: number; user: boolean; write: boolean; xd: boolean; r: boolean; x: boolean } | { fault: string };

/** First-level reference: IA-32e paging entry by entry (P, PS, reserved 51:HAW, 1 GiB only with FL1GP). */
function refFirstLevel(mem: PhysicalMemory, root: bigint, va: bigint, levels: number, haw: number, fl1gp: boolean): RefResult {
  let table = root;
  let user = true;
  let write = true;
  let xd = false;
  for (let level = levels; level >= 1; level--) {
    const shift = 12 + 9 * (level - 1);
    const e = read64Big(mem, Number(table + ((va >> BigInt(shift)) & 511n) * 8n));
    if (e === undefined) return { fault: 'externalAbort' };
    if ((e & 1n) === 0n) return { fault: 'translation' };
    if ((e & mask(51, haw)) !== 0n && haw < 52) return { fault: 'reserved' };
    user &&= (e & 4n) !== 0n;
    write &&= (e & 2n) !== 0n;
    xd ||= (e & (1n << 63n)) !== 0n;
    const ps = (e & 0x80n) !== 0n;
    if (level === 1 || (ps && (level === 2 || (level === 3 && fl1gp)))) {
      const pa = (e & mask(51, shift)) | (va & ((1n << BigInt(shift)) - 1n));
      return { pa, shift, user, write, xd, r: true, x: true };
    }
    if (ps) return { fault: 'reserved' };
    table = e & ADDR;
  }
  throw new Error('unreachable');
}

/** Second-level reference: R/W present bits, PS per SLLPS, rights AND-ed down the walk. */
function refSecondLevel(mem: PhysicalMemory, root: bigint, iova: bigint, levels: number, sllps: number): RefResult {
  let table = root;
  let r = true;
  let w = true;
  for (let level = levels; level >= 1; level--) {
    const shift = 12 + 9 * (level - 1);
    const e = read64Big(mem, Number(table + ((iova >> BigInt(shift)) & 511n) * 8n));
    if (e === undefined) return { fault: 'externalAbort' };
    if ((e & 3n) === 0n) return { fault: 'translation' };
    r &&= (e & 1n) !== 0n;
    w &&= (e & 2n) !== 0n;
    const ps = (e & 0x80n) !== 0n;
    if (level === 1 || (ps && ((level === 2 && (sllps & 1) !== 0) || (level === 3 && (sllps & 2) !== 0)))) {
      const pa = (e & mask(51, shift)) | (iova & ((1n << BigInt(shift)) - 1n));
      return { pa, shift, user: true, write: w, xd: false, r, x: r };
    }
    if (ps) return { fault: 'reserved' };
    table = e & ADDR;
  }
  throw new Error('unreachable');
}

interface Config {
  name: string;
  format: PageTableFormat;
  ref: (mem: PhysicalMemory, root: bigint, input: bigint) => RefResult;
  /** Rights the reference result grants, as a Perm mask. */
  perms: (ref: Extract<RefResult, { pa: bigint }>) => number;
  prot: fc.Arbitrary<MapProt>;
}

function firstLevelConfig(levels: 4 | 5, fl1gp: boolean): Config {
  const haw = 48;
  return {
    name: `first-level ${levels}-level fl1gp=${fl1gp}`,
    format: createFirstLevelFormat({ levels, hawBits: haw, fl1gp, nxe: true, sre: true, wpe: true }),
    ref: (mem, root, input) => refFirstLevel(mem, root, input, levels, haw, fl1gp),
    perms: (x) => {
      let p = Perm.PR | (x.write ? Perm.PW : 0) | (!x.xd ? Perm.PX : 0); // WPE on, SMEP off
      if (x.user) p |= Perm.UR | (x.write ? Perm.UW : 0) | (!x.xd ? Perm.UX : 0);
      return p;
    },
    prot: fc.record({ read: fc.constant(true), write: fc.boolean(), exec: fc.boolean(), user: fc.boolean() }),
  };
}

function secondLevelConfig(levels: 3 | 4 | 5, sllps: number): Config {
  return {
    name: `second-level ${levels}-level sllps=${sllps}`,
    format: createSecondLevelFormat({ levels, hawBits: 46, sllps }),
    ref: (mem, root, input) => refSecondLevel(mem, root, input, levels, sllps),
    perms: (x) => (x.r ? Perm.UR | Perm.PR | Perm.UX | Perm.PX : 0) | (x.write ? Perm.UW | Perm.PW : 0),
    prot: fc.oneof(
      fc.constant<MapProt>({ read: true, write: true }),
      fc.constant<MapProt>({ read: true, write: false }),
      fc.constant<MapProt>({ read: false, write: true }),
    ),
  };
}

const configs: Config[] = [
  firstLevelConfig(4, false),
  firstLevelConfig(4, true),
  firstLevelConfig(5, false),
  firstLevelConfig(5, true),
  ...([3, 4, 5] as const).flatMap((levels) => [0, SLLPS_2M, SLLPS_1G, SLLPS_2M | SLLPS_1G].map((s) => secondLevelConfig(levels, s))),
];

/** Walk access that every mapping generated above allows (first level: supervisor read; second: R or W). */
function accessFor(ref: Extract<RefResult, { pa: bigint }>, sl: boolean): number {
  if (!sl) return Access.READ | Access.PRIV;
  return ref.r ? Access.READ : Access.WRITE;
}

describe('map → walk agreement with an independent bigint walker', () => {
  for (const config of configs) {
    it(config.name, () => {
      const f = config.format;
      const sl = f.name.includes('second-level');
      // Distinct 1 GiB slots keep the mappings apart; inputs stay below 2^53 (JS numbers).
      const slotBits = Math.min(f.inputBits, 53) - 30;
      const leafShifts = f.shifts.filter((_, d) => f.leafDepths[d]);
      const mapping = fc.record({
        shift: fc.constantFrom(...leafShifts),
        slotOffset: fc.nat(),
        paPage: fc.bigInt({ min: 0n, max: (1n << BigInt(f.outputBits - 30)) - 1n }),
        prot: config.prot,
        probe: fc.nat(),
      });
      fc.assert(
        fc.property(fc.uniqueArray(fc.nat({ max: 2 ** slotBits - 1 }), { minLength: 1, maxLength: 6 }), fc.array(mapping, { minLength: 6, maxLength: 6 }), fc.nat({ max: 2 ** slotBits - 1 }), (slots, maps, emptySlot) => {
          const mem = new SparseMemory().back(POOL, POOL_SIZE);
          const builder = new PageTableBuilder(f, mem, new PoolAllocator(mem, POOL, POOL_SIZE));
          const placed = slots.map((slot, i) => {
            const m = maps[i]!;
            const size = 2 ** m.shift;
            const iova = slot * 2 ** 30 + ((m.slotOffset * size) % 2 ** 30);
            const pa = Number(m.paPage) * 2 ** 30 + ((m.slotOffset * size) % 2 ** 30);
            builder.map(iova, pa, size, m.prot);
            return { iova, pa, size, m };
          });
          const state = new WalkState();
          const fetcher = new MemoryFetcher(mem);
          for (const { iova, pa, size, m } of placed) {
            const input = iova + (m.probe % size);
            const ref = config.ref(mem, BigInt(builder.root), BigInt(input));
            if ('fault' in ref) throw new Error(`reference faulted (${ref.fault}) on a mapped address`);
            expect(ref.pa).toBe(BigInt(pa + (m.probe % size)));
            expect(ref.shift).toBe(Math.log2(size));
            const stop = walkStage(f, builder.root, input, accessFor(ref, sl), fetcher, state);
            expect(stop).toBe(WalkStop.OK);
            expect(state.output).toBe(Number(ref.pa));
            expect(state.leafShift).toBe(ref.shift);
            expect(state.permitted).toBe(config.perms(ref));
          }
          if (!slots.includes(emptySlot)) {
            const input = emptySlot * 2 ** 30 + 0x1234;
            const ref = config.ref(mem, BigInt(builder.root), BigInt(input));
            expect(ref).toEqual({ fault: 'translation' });
            expect(walkStage(f, builder.root, input, Access.READ | Access.PRIV, fetcher, state)).toBe(WalkStop.FAULT);
            expect(state.fault).toBe('translation');
          }
        }),
        { numRuns: 40 },
      );
    });
  }
});

/** Core's builder splits a block into leaves one level down, so every depth below the largest leaf must allow leaves. */
const splittable = (f: PageTableFormat) => {
  const first = f.leafDepths.indexOf(true);
  return first < f.levels - 1 && f.leafDepths.slice(first).every(Boolean);
};

describe('unmap splits large leaves without changing the rest of the mapping', () => {
  for (const config of configs.filter((c) => splittable(c.format))) {
    it(config.name, () => {
      const f = config.format;
      const sl = f.name.includes('second-level');
      const mem = new SparseMemory().back(POOL, POOL_SIZE);
      const builder = new PageTableBuilder(f, mem, new PoolAllocator(mem, POOL, POOL_SIZE));
      const largest = Math.max(...f.shifts.filter((_, d) => f.leafDepths[d]));
      const size = 2 ** largest;
      const iova = 3 * 2 ** 30;
      const pa = 5 * 2 ** 30;
      const prot: MapProt = sl ? { read: true, write: false, attrIndex: 5 } : { read: true, write: true, user: true, exec: false, attrIndex: 5 };
      builder.map(iova, pa, size, prot);
      const state = new WalkState();
      const fetcher = new MemoryFetcher(mem);
      walkStage(f, builder.root, iova + 0x5000, Access.READ | Access.PRIV, fetcher, state);
      const before = { permitted: state.permitted, attrs: state.attrs };
      expect(builder.unmap(iova + 0x2000, 0x1000)).toBe(0x1000);
      expect(walkStage(f, builder.root, iova + 0x2abc, Access.READ | Access.PRIV, fetcher, state)).toBe(WalkStop.FAULT);
      for (const offset of [0, 0x1fff, 0x3000, size - 1]) {
        expect(walkStage(f, builder.root, iova + offset, Access.READ | Access.PRIV, fetcher, state)).toBe(WalkStop.OK);
        expect(state.output).toBe(pa + offset);
        expect({ permitted: state.permitted, attrs: state.attrs }).toEqual(before);
        const ref = config.ref(mem, BigInt(builder.root), BigInt(iova + offset));
        expect(ref).toMatchObject({ pa: BigInt(pa + offset) });
      }
    });
  }
});
